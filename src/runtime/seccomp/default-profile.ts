// berth's default seccomp profile, as data. Docker's semantics: every syscall
// not allowed here fails with EPERM; some are allowed only to a container whose
// bounding set holds a capability, only on some architectures, only from some
// kernel version, or only with some arguments (clone without namespace flags,
// the harmless personality values, socket families other than AF_ALG/AF_VSOCK).
//
// Where it comes from: moby/profiles/seccomp v0.2.3 default.json, the profile
// dockerd 29 (moby docker-v29.7.2, commit b985e23) builds in. The rules are
// rewritten in berth's own shape below (grouped by what unlocks them); build.ts
// turns them into an OCI linux.seccomp for one container. To follow a new moby
// release, compare its default.json with these lists and bump `version`.
// Compared with dockerd 20.10 (the oracle on these machines), this release no
// longer allows io_uring_* and socket(AF_ALG/AF_VSOCK), allows
// name_to_handle_at without CAP_SYS_ADMIN, and knows syscalls added since.

/** A condition on one syscall argument; '&==' compares (arg & mask) with value. */
export interface ArgCondition {
  arg: number;
  op: '==' | '!=' | '<' | '<=' | '>' | '>=' | '&==';
  value: number;
  mask?: number;
}

export interface FilteredRule {
  syscall: string;
  /** Alternatives: the call is allowed when every condition of one of them holds. Absent: no argument check. */
  when?: ArgCondition[][];
  /** Instead of allowing: fail with this errno. */
  errno?: ErrnoName;
  onlyArches?: string[];
  unlessArches?: string[];
  unlessCap?: string;
  why: string;
}

export type ErrnoName = 'EPERM' | 'ENOSYS';
export const ERRNO: Record<ErrnoName, number> = { EPERM: 1, ENOSYS: 38 };

export interface SeccompData {
  format: 'berth-seccomp/1';
  version: string;
  reference: string;
  /** what a syscall that no rule allows returns */
  refuse: { errno: ErrnoName };
  /** host architecture (docker's names) -> the seccomp architectures a filter on it covers, native first */
  arches: Record<string, string[]>;
  allow: string[];
  allowFromKernel: Record<string, string[]>;
  allowOnArch: Record<string, string[]>;
  allowWithCap: Record<string, string[]>;
  filtered: FilteredRule[];
}

/** clone(2) flags that create namespaces: CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET (0x7E020000). */
export const CLONE_NAMESPACE_FLAGS = 0x0002_0000 | 0x0200_0000 | 0x0400_0000 | 0x0800_0000 | 0x1000_0000 | 0x2000_0000 | 0x4000_0000;

const AF_ALG = 38;
const AF_VSOCK = 40;
/** personality(2) values a container may set: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and 0xffffffff (query). */
const PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

export const DEFAULT_SECCOMP: SeccompData = {
  format: 'berth-seccomp/1',
  version: '2026.12.1',
  reference: 'github.com/moby/profiles/seccomp v0.2.3 default.json (vendored by moby docker-v29.7.2)',
  refuse: { errno: 'EPERM' },
  arches: {
    amd64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    arm64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
    mips64: ['SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64N32'],
    mips64n32: ['SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64'],
    mipsel64: ['SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64N32'],
    mips3l64n32: ['SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64'],
    s390x: ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390'],
    riscv64: ['SCMP_ARCH_RISCV64'],
    loong64: ['SCMP_ARCH_LOONGARCH64'],
  },
  allow: [
    'accept', 'accept4', 'access', 'adjtimex', 'alarm', 'bind', 'brk', 'cachestat', 'capget', 'capset',
    'chdir', 'chmod', 'chown', 'chown32', 'clock_adjtime', 'clock_adjtime64', 'clock_getres',
    'clock_getres_time64', 'clock_gettime', 'clock_gettime64', 'clock_nanosleep',
    'clock_nanosleep_time64', 'close', 'close_range', 'connect', 'copy_file_range', 'creat', 'dup',
    'dup2', 'dup3', 'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_pwait',
    'epoll_pwait2', 'epoll_wait', 'epoll_wait_old', 'eventfd', 'eventfd2', 'execve', 'execveat', 'exit',
    'exit_group', 'faccessat', 'faccessat2', 'fadvise64', 'fadvise64_64', 'fallocate', 'fanotify_mark',
    'fchdir', 'fchmod', 'fchmodat', 'fchmodat2', 'fchown', 'fchown32', 'fchownat', 'fcntl', 'fcntl64',
    'fdatasync', 'fgetxattr', 'flistxattr', 'flock', 'fork', 'fremovexattr', 'fsetxattr', 'fstat',
    'fstat64', 'fstatat64', 'fstatfs', 'fstatfs64', 'fsync', 'ftruncate', 'ftruncate64', 'futex',
    'futex_requeue', 'futex_time64', 'futex_wait', 'futex_waitv', 'futex_wake', 'futimesat', 'getcpu',
    'getcwd', 'getdents', 'getdents64', 'getegid', 'getegid32', 'geteuid', 'geteuid32', 'getgid',
    'getgid32', 'getgroups', 'getgroups32', 'getitimer', 'getpeername', 'getpgid', 'getpgrp', 'getpid',
    'getppid', 'getpriority', 'getrandom', 'getresgid', 'getresgid32', 'getresuid', 'getresuid32',
    'getrlimit', 'get_robust_list', 'getrusage', 'getsid', 'getsockname', 'getsockopt',
    'get_thread_area', 'gettid', 'gettimeofday', 'getuid', 'getuid32', 'getxattr', 'getxattrat',
    'inotify_add_watch', 'inotify_init', 'inotify_init1', 'inotify_rm_watch', 'io_cancel', 'ioctl',
    'io_destroy', 'io_getevents', 'io_pgetevents', 'io_pgetevents_time64', 'ioprio_get', 'ioprio_set',
    'io_setup', 'io_submit', 'ipc', 'kill', 'landlock_add_rule', 'landlock_create_ruleset',
    'landlock_restrict_self', 'lchown', 'lchown32', 'lgetxattr', 'link', 'linkat', 'listen', 'listmount',
    'listxattr', 'listxattrat', 'llistxattr', '_llseek', 'lremovexattr', 'lseek', 'lsetxattr', 'lstat',
    'lstat64', 'madvise', 'map_shadow_stack', 'membarrier', 'memfd_create', 'memfd_secret', 'mincore',
    'mkdir', 'mkdirat', 'mknod', 'mknodat', 'mlock', 'mlock2', 'mlockall', 'mmap', 'mmap2', 'mprotect',
    'mq_getsetattr', 'mq_notify', 'mq_open', 'mq_timedreceive', 'mq_timedreceive_time64', 'mq_timedsend',
    'mq_timedsend_time64', 'mq_unlink', 'mremap', 'mseal', 'msgctl', 'msgget', 'msgrcv', 'msgsnd',
    'msync', 'munlock', 'munlockall', 'munmap', 'name_to_handle_at', 'nanosleep', 'newfstatat',
    '_newselect', 'open', 'openat', 'openat2', 'pause', 'pidfd_open', 'pidfd_send_signal', 'pipe',
    'pipe2', 'pkey_alloc', 'pkey_free', 'pkey_mprotect', 'poll', 'ppoll', 'ppoll_time64', 'prctl',
    'pread64', 'preadv', 'preadv2', 'prlimit64', 'process_mrelease', 'pselect6', 'pselect6_time64',
    'pwrite64', 'pwritev', 'pwritev2', 'read', 'readahead', 'readlink', 'readlinkat', 'readv', 'recv',
    'recvfrom', 'recvmmsg', 'recvmmsg_time64', 'recvmsg', 'remap_file_pages', 'removexattr',
    'removexattrat', 'rename', 'renameat', 'renameat2', 'restart_syscall', 'riscv_hwprobe', 'rmdir',
    'rseq', 'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_sigreturn',
    'rt_sigsuspend', 'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'rt_tgsigqueueinfo',
    'sched_getaffinity', 'sched_getattr', 'sched_getparam', 'sched_get_priority_max',
    'sched_get_priority_min', 'sched_getscheduler', 'sched_rr_get_interval',
    'sched_rr_get_interval_time64', 'sched_setaffinity', 'sched_setattr', 'sched_setparam',
    'sched_setscheduler', 'sched_yield', 'seccomp', 'select', 'semctl', 'semget', 'semop', 'semtimedop',
    'semtimedop_time64', 'send', 'sendfile', 'sendfile64', 'sendmmsg', 'sendmsg', 'sendto', 'setfsgid',
    'setfsgid32', 'setfsuid', 'setfsuid32', 'setgid', 'setgid32', 'setgroups', 'setgroups32',
    'setitimer', 'setpgid', 'setpriority', 'setregid', 'setregid32', 'setresgid', 'setresgid32',
    'setresuid', 'setresuid32', 'setreuid', 'setreuid32', 'setrlimit', 'set_robust_list', 'setsid',
    'setsockopt', 'set_thread_area', 'set_tid_address', 'setuid', 'setuid32', 'setxattr', 'setxattrat',
    'shmat', 'shmctl', 'shmdt', 'shmget', 'shutdown', 'sigaltstack', 'signalfd', 'signalfd4',
    'sigprocmask', 'sigreturn', 'socketcall', 'socketpair', 'splice', 'stat', 'stat64', 'statfs',
    'statfs64', 'statmount', 'statx', 'symlink', 'symlinkat', 'sync', 'sync_file_range', 'syncfs',
    'sysinfo', 'tee', 'tgkill', 'time', 'timer_create', 'timer_delete', 'timer_getoverrun',
    'timer_gettime', 'timer_gettime64', 'timer_settime', 'timer_settime64', 'timerfd_create',
    'timerfd_gettime', 'timerfd_gettime64', 'timerfd_settime', 'timerfd_settime64', 'times', 'tkill',
    'truncate', 'truncate64', 'ugetrlimit', 'umask', 'uname', 'unlink', 'unlinkat', 'uretprobe', 'utime',
    'utimensat', 'utimensat_time64', 'utimes', 'vfork', 'vmsplice', 'wait4', 'waitid', 'waitpid',
    'write', 'writev',
  ],
  // Before 4.8, ptrace could be used to bypass seccomp.
  allowFromKernel: {
    '4.8': ['process_vm_readv', 'process_vm_writev', 'ptrace'],
  },
  allowOnArch: {
    ppc64le: ['sync_file_range2', 'swapcontext'],
    arm: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'],
    arm64: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'],
    amd64: ['arch_prctl', 'modify_ldt'],
    x32: ['arch_prctl', 'modify_ldt'],
    x86: ['modify_ldt'],
    s390: ['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr'],
    s390x: ['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr'],
    riscv64: ['riscv_flush_icache'],
  },
  allowWithCap: {
    CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
    CAP_SYS_ADMIN: [
      'bpf', 'clone', 'clone3', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'lookup_dcookie',
      'lsm_get_self_attr', 'lsm_list_modules', 'lsm_set_self_attr', 'mount', 'mount_setattr', 'move_mount', 'open_tree',
      'perf_event_open', 'quotactl', 'quotactl_fd', 'setdomainname', 'sethostname', 'setns', 'syslog', 'umount', 'umount2',
      'unshare',
    ],
    CAP_SYS_BOOT: ['reboot'],
    CAP_SYS_CHROOT: ['chroot'],
    CAP_SYS_MODULE: ['delete_module', 'init_module', 'finit_module'],
    CAP_SYS_PACCT: ['acct'],
    CAP_SYS_PTRACE: ['kcmp', 'pidfd_getfd', 'process_madvise', 'process_vm_readv', 'process_vm_writev', 'ptrace'],
    CAP_SYS_RAWIO: ['iopl', 'ioperm'],
    CAP_SYS_TIME: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'],
    CAP_SYS_TTY_CONFIG: ['vhangup'],
    CAP_SYS_NICE: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'],
    CAP_SYSLOG: ['syslog'],
    CAP_BPF: ['bpf'],
    CAP_PERFMON: ['perf_event_open'],
  },
  filtered: [
    { syscall: 'socket', when: [[{ arg: 0, op: '<', value: AF_ALG }], [{ arg: 0, op: '==', value: AF_ALG + 1 }], [{ arg: 0, op: '>', value: AF_VSOCK }]], why: 'every address family but AF_ALG and AF_VSOCK' },
    { syscall: 'personality', when: PERSONALITIES.map((value) => [{ arg: 0, op: '==', value }]), why: 'no execution domains that weaken ASLR and the like' },
    { syscall: 'clone', when: [[{ arg: 0, op: '&==', mask: CLONE_NAMESPACE_FLAGS, value: 0 }]], unlessCap: 'CAP_SYS_ADMIN', unlessArches: ['s390', 's390x'], why: 'threads and processes, but no new namespaces' },
    { syscall: 'clone', when: [[{ arg: 1, op: '&==', mask: CLONE_NAMESPACE_FLAGS, value: 0 }]], unlessCap: 'CAP_SYS_ADMIN', onlyArches: ['s390', 's390x'], why: 'on s390 the flags are clone\'s second argument' },
    { syscall: 'clone3', errno: 'ENOSYS', unlessCap: 'CAP_SYS_ADMIN', why: 'its flags sit in memory where seccomp cannot read them; ENOSYS makes libc fall back to clone' },
  ],
};
