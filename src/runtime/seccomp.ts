// berth's default seccomp filter. Docker's own default is an allow-list of
// ~350 syscalls maintained with per-capability and per-architecture rules;
// berth does not have that yet. This is a deny-list of the syscalls Docker's
// profile refuses to containers without extra capabilities: kernel modules,
// kexec, reboot, swap, clock setting, accounting, keyrings, namespace creation
// and entry, BPF, perf, userfaultfd, handle-based opens and the like. Refused
// calls fail with EPERM, as with Docker.

export interface SeccompProfile {
  defaultAction: string;
  architectures: string[];
  syscalls: { names: string[]; action: string; errnoRet?: number }[];
}

const DENIED = [
  'acct', 'add_key', 'bpf', 'clock_adjtime', 'clock_settime', 'create_module', 'delete_module', 'finit_module',
  'fsconfig', 'fsmount', 'fsopen', 'fspick', 'get_kernel_syms', 'get_mempolicy', 'init_module', 'ioperm', 'iopl',
  'kcmp', 'kexec_file_load', 'kexec_load', 'keyctl', 'lookup_dcookie', 'mbind', 'mount', 'mount_setattr', 'move_mount',
  'move_pages', 'name_to_handle_at', 'nfsservctl', 'open_by_handle_at', 'open_tree', 'perf_event_open', 'pivot_root',
  'process_vm_readv', 'process_vm_writev', 'query_module', 'quotactl', 'reboot', 'request_key', 'set_mempolicy',
  'setns', 'settimeofday', 'stime', 'swapoff', 'swapon', 'sysfs', '_sysctl', 'umount', 'umount2', 'unshare', 'uselib',
  'userfaultfd', 'ustat', 'vm86', 'vm86old',
];

const EPERM = 1;

/** The default filter; capabilities that docker lets re-enable a call (e.g. CAP_SYS_ADMIN for mount) lift it here too. */
export function defaultSeccomp(caps: readonly string[]): SeccompProfile {
  const lifted = new Set<string>();
  if (caps.includes('CAP_SYS_ADMIN')) for (const s of ['mount', 'umount', 'umount2', 'unshare', 'setns', 'pivot_root', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'move_mount', 'open_tree', 'mount_setattr', 'quotactl', 'bpf', 'perf_event_open', 'lookup_dcookie', 'name_to_handle_at']) lifted.add(s);
  if (caps.includes('CAP_SYS_MODULE')) for (const s of ['init_module', 'finit_module', 'delete_module']) lifted.add(s);
  if (caps.includes('CAP_SYS_BOOT')) lifted.add('reboot');
  if (caps.includes('CAP_SYS_TIME')) for (const s of ['settimeofday', 'stime', 'clock_settime', 'clock_adjtime']) lifted.add(s);
  if (caps.includes('CAP_SYS_PTRACE')) for (const s of ['process_vm_readv', 'process_vm_writev', 'kcmp']) lifted.add(s);
  if (caps.includes('CAP_DAC_READ_SEARCH')) lifted.add('open_by_handle_at');
  if (caps.includes('CAP_SYS_NICE')) for (const s of ['mbind', 'set_mempolicy', 'get_mempolicy', 'move_pages']) lifted.add(s);
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
    syscalls: [{ names: DENIED.filter((s) => !lifted.has(s)), action: 'SCMP_ACT_ERRNO', errnoRet: EPERM }],
  };
}
