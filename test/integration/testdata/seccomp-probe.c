// Calls syscalls that docker's default seccomp profile decides on (with
// harmless arguments) and prints one line per call: the errno name or "ok".
// Built static at test time by test/integration/seccomp.test.ts and run in
// containers under berth and under docker; the two outputs must be the same.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sched.h>

static void report(const char *name, long r) { printf("%s %s\n", name, r < 0 ? strerrorname_np(errno) : "ok"); }

/* A child that exits at once; the parent reaps it. */
static long fork_with(long r) {
  if (r == 0) _exit(0);
  if (r > 0) waitpid((pid_t)r, 0, 0);
  return r < 0 ? -1 : 0;
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  report("clone", fork_with(syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0)));
  report("clone(CLONE_NEWUSER)", fork_with(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0)));
  struct clone_args a;
  memset(&a, 0, sizeof a);
  a.exit_signal = SIGCHLD;
  report("clone3", fork_with(syscall(SYS_clone3, &a, sizeof a)));
  report("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session keyring */, 0));
  report("bpf", syscall(SYS_bpf, 0, 0, 0));
  report("userfaultfd", syscall(SYS_userfaultfd, 0));
  report("personality(PER_LINUX32)", syscall(SYS_personality, 0x8) < 0 ? -1 : 0);
  syscall(SYS_personality, 0);
  report("personality(ADDR_NO_RANDOMIZE)", syscall(SYS_personality, 0x0040000) < 0 ? -1 : 0);
  syscall(SYS_personality, 0);
  report("ptrace(PTRACE_TRACEME)", syscall(SYS_ptrace, 0, 0, 0, 0));
  report("mkdirat", syscall(SYS_mkdirat, AT_FDCWD, "/tmp/probe-dir", 0755));
  return 0;
}
