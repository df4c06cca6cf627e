/*
 * nsbind-init: the minimal pid 1 that spawn's `init: true` puts first in a new
 * pid namespace (as bwrap, `docker --init` and tini do). The kernel shields a
 * namespace's init from every signal it has no handler for, so a program that
 * is pid 1 itself ignores SIGTERM and SIGINT; and orphans of the namespace
 * become pid 1's children, to be reaped by it.
 *
 * A program of its own, linked statically (spawn execs it from an fd opened
 * before its clone, so it runs after a chroot without a C library): it shares
 * no memory with the Node.js process that spawned it.
 *
 *   nsbind-init ERROR_FD FILE ARGV0 ARGS...
 *
 * Forks, and the child execs FILE (execvp: looked up in the PATH of the
 * environment, which is the program's; a file without #! run by /bin/sh). Until it has exec'd,
 * ERROR_FD (spawn's error pipe) stays open: a failed exec is reported there
 * with spawn's step, so spawn throws as without init. Then every signal is
 * forwarded to the program, orphans are reaped, and init exits with the
 * program's status (128 + the signal when a signal ended it: as pid 1 it
 * cannot die of one itself).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"

/* spawn.c's error report: {step, errno, aux}. */
static void report(int fd, int err) {
  int32_t r[3] = {NSB_STEP_EXEC, err, 0};
  ssize_t n = write(fd, r, sizeof r);
  (void)n; /* nothing more to tell anyone */
}

int main(int argc, char **argv) {
  if (argc < 4) return 127;
  char *end;
  long err_fd = strtol(argv[1], &end, 10);
  if (*end || err_fd < 0 || err_fd > INT32_MAX || fcntl((int)err_fd, F_SETFD, FD_CLOEXEC) < 0) return 127;

  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &all, NULL); /* every signal is taken with sigwaitinfo */
  pid_t program = fork();
  if (program == 0) {
    sigprocmask(SIG_SETMASK, &none, NULL);
    execvp(argv[2], argv + 3);
    report((int)err_fd, errno);
    _exit(127);
  }
  if (program < 0) {
    report((int)err_fd, errno);
    return 127;
  }
  close((int)err_fd);

  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0) continue; /* EINTR */
    if (sig != SIGCHLD) {
      kill(program, sig);
      continue;
    }
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) { /* the program, or orphans */
      if (pid != program) continue;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
  }
}
