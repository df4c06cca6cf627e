#define _GNU_SOURCE
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x1000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define STACK_SIZE (128 * 1024)

const char *const nsb_step_names[] = {
    [NSB_STEP_NONE] = "none",
    [NSB_STEP_PIPE] = "pipe",
    [NSB_STEP_STACK] = "stack",
    [NSB_STEP_CLONE] = "clone",
    [NSB_STEP_SETGROUPS] = "setgroups",
    [NSB_STEP_UID_MAP] = "uid_map",
    [NSB_STEP_GID_MAP] = "gid_map",
    [NSB_STEP_FDS] = "stdio",
    [NSB_STEP_SETNS] = "setns",
    [NSB_STEP_CREDS_JOIN] = "setresuid",
    [NSB_STEP_UNSHARE_TIME] = "unshare:time",
    [NSB_STEP_TIMENS_OFFSETS] = "timens_offsets",
    [NSB_STEP_SETHOSTNAME] = "sethostname",
    [NSB_STEP_SETDOMAINNAME] = "setdomainname",
    [NSB_STEP_PROPAGATION] = "mount:/",
    [NSB_STEP_CHROOT] = "chroot",
    [NSB_STEP_MOUNT_PROC] = "mount:/proc",
    [NSB_STEP_MOUNT_SYS] = "mount:/sys",
    [NSB_STEP_CHDIR] = "chdir",
    [NSB_STEP_SETSID] = "setsid",
    [NSB_STEP_SETGID] = "setgid",
    [NSB_STEP_SETUID] = "setuid",
    [NSB_STEP_PDEATHSIG] = "prctl",
    [NSB_STEP_EXEC] = "exec",
    [NSB_STEP_RESTORE_PID] = "restore:pid",
    NULL,
};

/* Child code runs on a foreign stack in the parent's memory: sanitizer
 * runtimes cannot track it (ASan's no-return handling misreads the stack),
 * so it is left uninstrumented, as libc's own posix_spawn child is. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8 || defined(__clang__)
#define CHILD __attribute__((no_sanitize("address", "undefined")))
#else
#define CHILD
#endif

/* ---------------------------------------------------------------------------
 * Raw syscalls for the child. The child shares the parent's memory and TLS,
 * so it must not write errno (it is the parent thread's): these return
 * -errno instead and touch nothing else.
 */
#if defined(__x86_64__)
CHILD static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
CHILD static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
  return x0;
}
#else
#error "nsbind spawn: add a raw syscall stub for this architecture"
#endif

#define SYS(n, ...) sys_n(n, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define sys_n(n, a, b, c, d, e, f, ...) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

struct report {
  int32_t step, err, aux;
};

struct kernel_sigaction {
  void *handler;
  unsigned long flags;
  void *restorer;
  uint64_t mask;
};

/* The child calls no libc function at all (not even memcpy: a sanitizer
 * runtime would intercept it), so these three small loops stand in. */
CHILD static size_t slen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

CHILD static void copy(char *to, const char *from, size_t n) {
  while (n--) *to++ = *from++;
}

CHILD static int has_slash(const char *s) {
  for (; *s; s++)
    if (*s == '/') return 1;
  return 0;
}

CHILD __attribute__((noreturn)) static void child_fail(struct nsb_spawn *s, int step, long err, int aux) {
  struct report r = {step, (int32_t)-err, aux};
  SYS(SYS_write, s->err_fd, &r, sizeof r);
  for (;;) SYS(SYS_exit_group, 127);
}

#define TRY(step, call)                       \
  do {                                        \
    long r_ = (call);                         \
    if (r_ < 0) child_fail(s, (step), r_, 0); \
  } while (0)

CHILD static long child_write_file(const char *path, const char *text) {
  long fd = SYS(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fd;
  long r = SYS(SYS_write, fd, text, slen(text));
  SYS(SYS_close, fd);
  return r;
}

/* Keep an internal fd out of the range stdio is being arranged into. */
CHILD static int child_move_up(struct nsb_spawn *s, int fd) {
  if (fd < 0 || fd >= s->nfds) return fd;
  long r = SYS(SYS_fcntl, fd, F_DUPFD_CLOEXEC, s->nfds);
  if (r < 0) child_fail(s, NSB_STEP_FDS, r, 0);
  return (int)r;
}

CHILD static void child_fds(struct nsb_spawn *s, int *src) {
  s->err_fd = child_move_up(s, s->err_fd);
  s->sync_fd = child_move_up(s, s->sync_fd);
  for (int i = 0; i < s->njoin; i++) s->join[i].fd = child_move_up(s, s->join[i].fd);
  /* sources below nfds could be overwritten by a dup2 into them: copy them up first */
  for (int i = 0; i < s->nfds; i++) {
    src[i] = s->fds[i];
    if (src[i] >= 0 && src[i] < s->nfds && src[i] != i) src[i] = child_move_up(s, src[i]);
  }
  for (int i = 0; i < s->nfds; i++) {
    if (src[i] < 0)
      SYS(SYS_close, i);
    else if (src[i] == i)
      TRY(NSB_STEP_FDS, SYS(SYS_fcntl, i, F_SETFD, 0));
    else
      TRY(NSB_STEP_FDS, SYS(SYS_dup3, src[i], i, 0));
  }
  /* everything else the parent had open: close-on-exec */
  if (SYS(SYS_close_range, s->nfds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    for (int fd = s->nfds; fd <= s->max_fd; fd++) SYS(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
}

CHILD static void child_join(struct nsb_spawn *s) {
  int done[NSB_MAX_JOIN];
  int user = -1;
  /* nsenter's two passes: the user namespace last when we hold privilege (pass 0
   * succeeds), first when we need it for the others (they fail in pass 0). */
  for (int i = 0; i < s->njoin; i++) {
    done[i] = 0;
    if (s->join[i].nstype == CLONE_NEWUSER)
      user = i;
    else
      done[i] = SYS(SYS_setns, s->join[i].fd, s->join[i].nstype) == 0;
  }
  if (user >= 0) {
    long r = SYS(SYS_setns, s->join[user].fd, CLONE_NEWUSER);
    if (r < 0) child_fail(s, NSB_STEP_SETNS, r, CLONE_NEWUSER);
    if (s->uid < 0 && s->gid < 0) { /* as nsenter: become root of the joined namespace */
      SYS(SYS_setgroups, 0, 0);
      TRY(NSB_STEP_CREDS_JOIN, SYS(SYS_setresgid, 0, 0, 0));
      TRY(NSB_STEP_CREDS_JOIN, SYS(SYS_setresuid, 0, 0, 0));
    }
  }
  for (int i = 0; i < s->njoin; i++) {
    if (done[i] || i == user) continue;
    long r = SYS(SYS_setns, s->join[i].fd, s->join[i].nstype);
    if (r < 0) child_fail(s, NSB_STEP_SETNS, r, s->join[i].nstype);
  }
}

/* As ip netns exec: detach the old /sys and mount a sysfs, which shows the
 * devices of the network namespace the child is in by now. Where the old one
 * cannot be detached (a mount locked by a less privileged user namespace), the
 * new one goes on top, read-only if the old one was (the kernel demands it). */
CHILD static void child_mount_sys(struct nsb_spawn *s) {
  unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  struct statfs st;
  if (SYS(SYS_umount2, "/sys", MNT_DETACH) < 0 && SYS(SYS_statfs, "/sys", &st) == 0 && (st.f_flags & ST_RDONLY))
    flags |= MS_RDONLY;
  TRY(NSB_STEP_MOUNT_SYS, SYS(SYS_mount, "sysfs", "/sys", "sysfs", flags, 0));
}

/* execvp-like lookup without allocation: the path is built in s->exec_path. */
CHILD __attribute__((noreturn)) static void child_exec(struct nsb_spawn *s) {
  long r;
  if (has_slash(s->file)) {
    r = SYS(SYS_execve, s->file, s->argv, s->envp);
    child_fail(s, NSB_STEP_EXEC, r, 0);
  }
  const char *p = s->path ? s->path : "/usr/local/bin:/usr/bin:/bin";
  size_t flen = slen(s->file);
  long result = -ENOENT;
  for (;;) {
    const char *end = p;
    while (*end && *end != ':') end++;
    size_t dlen = (size_t)(end - p);
    if (dlen == 0) { /* an empty entry means the current directory */
      p = ".";
      dlen = 1;
    }
    if (dlen + 1 + flen + 1 <= sizeof s->exec_path) {
      copy(s->exec_path, p, dlen);
      s->exec_path[dlen] = '/';
      copy(s->exec_path + dlen + 1, s->file, flen + 1);
      r = SYS(SYS_execve, s->exec_path, s->argv, s->envp);
      if (r == -EACCES)
        result = r;
      else if (r != -ENOENT && r != -ENOTDIR && r != -ESTALE && r != -ENODEV && r != -ETIMEDOUT)
        child_fail(s, NSB_STEP_EXEC, r, 0);
    }
    if (!*end) break;
    p = end + 1;
  }
  child_fail(s, NSB_STEP_EXEC, result, 0);
}

CHILD static int child_main(void *arg) {
  struct nsb_spawn *s = arg;
  int src[s->nfds > 0 ? s->nfds : 1];
  /* All signals arrive blocked; give every one its default action (the
   * parent's handlers are Node's code), and unblock just before exec. */
  struct kernel_sigaction dfl = {SIG_DFL, 0, 0, 0};
  for (int sig = 1; sig < 65; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) SYS(SYS_rt_sigaction, sig, &dfl, 0, 8);

  child_fds(s, src);
  if (s->sync_fd >= 0) { /* the parent writes our id maps, then says go */
    char go;
    if (SYS(SYS_read, s->sync_fd, &go, 1) != 1)
      for (;;) SYS(SYS_exit_group, 127);
  }
  child_join(s);
  if (s->new_time) {
    TRY(NSB_STEP_UNSHARE_TIME, SYS(SYS_unshare, CLONE_NEWTIME));
    if (s->timens_offsets)
      TRY(NSB_STEP_TIMENS_OFFSETS, child_write_file("/proc/self/timens_offsets", s->timens_offsets));
  }
  if (s->hostname) TRY(NSB_STEP_SETHOSTNAME, SYS(SYS_sethostname, s->hostname, slen(s->hostname)));
  if (s->domainname) TRY(NSB_STEP_SETDOMAINNAME, SYS(SYS_setdomainname, s->domainname, slen(s->domainname)));
  if (s->propagation) TRY(NSB_STEP_PROPAGATION, SYS(SYS_mount, 0, "/", 0, MS_REC | s->propagation, 0));
  if (s->root) {
    TRY(NSB_STEP_CHROOT, SYS(SYS_chroot, s->root));
    if (!s->cwd) TRY(NSB_STEP_CHDIR, SYS(SYS_chdir, "/"));
  }
  if (s->mount_proc)
    TRY(NSB_STEP_MOUNT_PROC, SYS(SYS_mount, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, 0));
  if (s->mount_sys) child_mount_sys(s);
  if (s->cwd) TRY(NSB_STEP_CHDIR, SYS(SYS_chdir, s->cwd));
  if (s->setsid) TRY(NSB_STEP_SETSID, SYS(SYS_setsid, 0));
  if (s->gid >= 0 || s->uid >= 0) SYS(SYS_setgroups, 0, 0); /* may be refused (setgroups "deny"): fine */
  if (s->gid >= 0) TRY(NSB_STEP_SETGID, SYS(SYS_setresgid, s->gid, s->gid, s->gid));
  if (s->uid >= 0) TRY(NSB_STEP_SETUID, SYS(SYS_setresuid, s->uid, s->uid, s->uid));
  if (s->pdeathsig) {
    TRY(NSB_STEP_PDEATHSIG, SYS(SYS_prctl, PR_SET_PDEATHSIG, s->pdeathsig, 0, 0, 0));
    /* the parent (thread) may have gone before the prctl: then go too */
    if (!(s->clone_flags & CLONE_NEWPID) && SYS(SYS_getppid, 0) != s->parent)
      for (;;) SYS(SYS_exit_group, 127);
  }
  uint64_t none = 0;
  SYS(SYS_rt_sigprocmask, SIG_SETMASK, &none, 0, 8);
  child_exec(s);
}

/* ---------------------------------------------------------------------------
 * Parent side: ordinary code.
 */

static int proc_write(pid_t pid, const char *name, const char *text) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  size_t len = strlen(text);
  ssize_t w = write(fd, text, len);
  int err = w < 0 ? -errno : (size_t)w != len ? -EIO : 0;
  close(fd);
  return err;
}

static int write_maps(struct nsb_spawn *s, pid_t pid) {
  int r = 0;
  if (s->setgroups && (r = proc_write(pid, "setgroups", s->setgroups)) < 0)
    s->step = NSB_STEP_SETGROUPS;
  else if (s->uid_map && (r = proc_write(pid, "uid_map", s->uid_map)) < 0)
    s->step = NSB_STEP_UID_MAP;
  else if (s->gid_map && (r = proc_write(pid, "gid_map", s->gid_map)) < 0)
    s->step = NSB_STEP_GID_MAP;
  return r;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

int nsb_spawn(struct nsb_spawn *s) {
  int errp[2] = {-1, -1}, syncp[2] = {-1, -1};
  int pidfd = -1, r = 0;
  s->step = NSB_STEP_NONE;
  s->aux = 0;
  s->pid = -1;
  s->pidfd = -1;
  s->parent = getpid();
  struct rlimit nofile;
  s->max_fd = getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < (1 << 20) ? (int)nofile.rlim_cur : 1 << 20;

  if (pipe2(errp, O_CLOEXEC) < 0 || ((s->clone_flags & CLONE_NEWUSER) && pipe2(syncp, O_CLOEXEC) < 0)) {
    r = -errno;
    s->step = NSB_STEP_PIPE;
    goto out;
  }
  char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) {
    r = -errno;
    s->step = NSB_STEP_STACK;
    goto out;
  }
  mprotect(stack, 4096, PROT_NONE); /* guard page */
  s->err_fd = errp[1];
  s->sync_fd = syncp[0];

  /* Joining a pid namespace only changes pid_for_children: switch the calling
   * thread's for the clone and straight back. */
  if (s->join_pid_fd >= 0 && setns(s->join_pid_fd, CLONE_NEWPID) < 0) {
    r = -errno;
    s->step = NSB_STEP_SETNS;
    s->aux = CLONE_NEWPID;
    goto unmap;
  }
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int flags = s->clone_flags | CLONE_PIDFD | SIGCHLD | (s->use_vm ? CLONE_VM : 0);
  pid_t pid = clone(child_main, stack + STACK_SIZE, flags, s, &pidfd);
  int clone_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (s->join_pid_fd >= 0 && setns(s->join_pid_restore_fd, CLONE_NEWPID) < 0) {
    r = -errno;
    s->step = NSB_STEP_RESTORE_PID;
    if (pid > 0) {
      nsb_pidfd_kill_reap(pidfd);
      close(pidfd);
    }
    goto unmap;
  }
  close_fd(&errp[1]);
  close_fd(&syncp[0]);
  s->pid = pid; /* kept on failure too, for messages (the child is reaped by then) */
  if (pid < 0) {
    r = -clone_err;
    s->step = NSB_STEP_CLONE;
    goto unmap;
  }
  if (syncp[1] >= 0) {
    r = write_maps(s, pid);
    if (r == 0 && write(syncp[1], "1", 1) != 1) {
      r = -errno;
      s->step = NSB_STEP_UID_MAP;
    }
    if (r < 0) {
      nsb_pidfd_kill_reap(pidfd);
      close(pidfd);
      goto unmap;
    }
  }

  /* EOF: the child exec'd (CLOEXEC) or died. A report: it failed at a step. */
  struct report rep;
  size_t got = 0;
  for (;;) {
    char buf[sizeof rep];
    ssize_t n = read(errp[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    size_t take = got + (size_t)n > sizeof rep ? sizeof rep - got : (size_t)n;
    memcpy((char *)&rep + got, buf, take);
    got += take;
  }
  if (got == sizeof rep) {
    nsb_pidfd_kill_reap(pidfd);
    close(pidfd);
    r = -rep.err;
    s->step = rep.step;
    s->aux = rep.aux;
    goto unmap;
  }
  s->pidfd = pidfd;

unmap:
  munmap(stack, STACK_SIZE); /* safe: the child has exec'd or is gone (EOF, or reaped) */
out:
  close_fd(&errp[0]);
  close_fd(&errp[1]);
  close_fd(&syncp[0]);
  close_fd(&syncp[1]);
  return r;
}

int nsb_pipe(int fds[2]) { return pipe2(fds, O_CLOEXEC) < 0 ? -errno : 0; }

int nsb_open_devnull(void) {
  int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

int nsb_pidfd_kill(int pidfd, int sig) { return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0; }

int nsb_pidfd_reap(int pidfd, int *code, int *signal) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG) < 0) return -errno;
  if (si.si_pid == 0) return 0;
  *code = si.si_code == CLD_EXITED ? si.si_status : -1;
  *signal = si.si_code == CLD_EXITED ? 0 : si.si_status;
  return 1;
}

void nsb_pidfd_kill_reap(int pidfd) {
  siginfo_t si;
  nsb_pidfd_kill(pidfd, SIGKILL);
  /* a watched pidfd is O_NONBLOCK (uv_poll made it so): waitid would answer EAGAIN */
  int flags = fcntl(pidfd, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK)) fcntl(pidfd, F_SETFL, flags & ~O_NONBLOCK);
  while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0 && errno == EINTR) {
  }
}
