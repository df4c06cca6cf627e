#define _GNU_SOURCE
#include "spawn.h"

#include "loopback.h"
#include "raw_syscall.h"
#include "sandbox_mounts.h"
#include "sandbox_privs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x1000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* clone3(2)'s arguments (linux/sched.h, up to CLONE_ARGS_SIZE_VER2). */
struct nsb_clone_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
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

/* The namespaces clone(2) creates; a new time namespace is the child's unshare. */
#define CLONE_CREATE \
  (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
#define STACK_SIZE (128 * 1024)
#define GUARD_SIZE 4096
#define SHELL "/bin/sh"
#define INIT_FD_DIGITS 16

#define NSB_STEP_NAME(id, name) [NSB_STEP_##id] = name,
const char *const nsb_step_names[NSB_STEP_COUNT] = {NSB_STEPS(NSB_STEP_NAME)};
#undef NSB_STEP_NAME

/* The child calls raw syscalls only (raw_syscall.h): it must not write errno. */
#define SYS RAW_SYS

struct report {
  int32_t step, err, aux;
};

struct kernel_sigaction {
  void *handler;
  unsigned long flags;
  void *restorer;
  uint64_t mask;
};

/* What the child reads besides the request: prepared by the parent before the
 * clone, written by nobody afterwards. The child's scratch is its own frame,
 * plus sh_argv, an area of the child's mapping that only the child writes. */
struct child {
  const struct nsb_spawn_request *req;
  const int *src;   /* child fd i <- parent fd src[i], for i < req->nstdio */
  int err_fd;       /* write end of the error pipe; it and sync_fd lie above every fd in src */
  int err_read;     /* the error pipe's read end, which only the parent may hold */
  int sync_fd;      /* read end of the go-ahead pipe (new user namespace, paused), or -1 */
  int sync_write;   /* its write end, which only the parent may hold, or -1 */
  pid_t ppid;       /* getppid() while the parent lives: its pid, or 0 from a new or joined pid namespace */
  int max_fd;       /* for the close-on-exec sweep when close_range(2) is missing */
  char **sh_argv;   /* SHELL, (the script), argv[1], …, NULL: execvp's rule for ENOEXEC */
  int init_fd;      /* O_PATH fd of req->init, or -1 */
  char **init_argv; /* "nsbind-init", err_fd's number, file, argv[0], …, NULL */
  const struct nsb_loopback *loopback; /* the request that brings lo up, or NULL */
};

/* The child calls no libc function (raw_syscall.h has slen and copy). */
CHILD static int has_slash(const char *s) {
  for (; *s; s++)
    if (*s == '/') return 1;
  return 0;
}

/* Every way out of the child before exec goes through here, with its step. */
CHILD __attribute__((noreturn)) static void child_fail(const struct child *c, int step, long err, int aux) {
  struct report r = {step, (int32_t)-err, aux};
  SYS(SYS_write, c->err_fd, &r, sizeof r);
  for (;;) SYS(SYS_exit_group, 127);
}

#define TRY(step, call)                       \
  do {                                        \
    long r_ = (call);                         \
    if (r_ < 0) child_fail(c, (step), r_, 0); \
  } while (0)

CHILD static long child_write_file(const char *path, const char *text) {
  long fd = SYS(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fd;
  long r = SYS(SYS_write, fd, text, slen(text));
  SYS(SYS_close, fd);
  return r;
}

/* Keep an fd out of the range stdio is being arranged into. */
CHILD static int child_move_up(const struct child *c, int fd, int aux) {
  int nfds = c->req->nstdio;
  if (fd < nfds) {
    long r = SYS(SYS_fcntl, fd, F_DUPFD_CLOEXEC, nfds);
    if (r < 0) child_fail(c, NSB_STEP_DUP, r, aux);
    fd = (int)r;
  }
  return fd;
}

/* Child fd i <- src[i]; join fds moved out of the way into join_fd. */
CHILD static void child_fds(const struct child *c, int *join_fd) {
  const struct nsb_spawn_request *q = c->req;
  int src[NSB_MAX_STDIO];
  for (int i = 0; i < q->njoin; i++) join_fd[i] = child_move_up(c, q->join[i].fd, -1);
  /* sources below nstdio could be overwritten by a dup3 into them: copy them up first */
  for (int i = 0; i < q->nstdio; i++) src[i] = c->src[i] == i ? i : child_move_up(c, c->src[i], i);
  for (int i = 0; i < q->nstdio; i++) {
    long r = src[i] == i ? SYS(SYS_fcntl, i, F_SETFD, 0) : SYS(SYS_dup3, src[i], i, 0);
    if (r < 0) child_fail(c, NSB_STEP_DUP, r, i);
  }
  /* everything else the parent had open: close-on-exec */
  if (SYS(SYS_close_range, q->nstdio, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    for (int fd = q->nstdio; fd <= c->max_fd; fd++) SYS(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
}

CHILD static void child_join(const struct child *c, const int *join_fd) {
  const struct nsb_spawn_request *q = c->req;
  int done[NSB_MAX_JOIN];
  int user = -1;
  /* nsenter's two passes: the user namespace last when we hold privilege (pass 0
   * succeeds), first when we need it for the others (they fail in pass 0). The
   * pid namespace was the parent's to join. */
  for (int i = 0; i < q->njoin; i++) {
    int type = q->join[i].nstype;
    done[i] = type == CLONE_NEWPID;
    if (type == CLONE_NEWUSER)
      user = i;
    else if (!done[i])
      done[i] = SYS(SYS_setns, join_fd[i], type) == 0;
  }
  if (user >= 0) {
    long r = SYS(SYS_setns, join_fd[user], CLONE_NEWUSER);
    if (r < 0) child_fail(c, NSB_STEP_SETNS, r, CLONE_NEWUSER);
    if (!q->keep_credentials && q->uid == (uid_t)-1 && q->gid == (gid_t)-1) { /* as nsenter: become its root */
      SYS(SYS_setgroups, 0, 0);
      TRY(NSB_STEP_CREDS_JOIN, SYS(SYS_setresgid, 0, 0, 0));
      TRY(NSB_STEP_CREDS_JOIN, SYS(SYS_setresuid, 0, 0, 0));
    }
  }
  for (int i = 0; i < q->njoin; i++) {
    if (done[i] || i == user) continue;
    long r = SYS(SYS_setns, join_fd[i], q->join[i].nstype);
    if (r < 0) child_fail(c, NSB_STEP_SETNS, r, q->join[i].nstype);
  }
}

/* As ip netns exec: detach the old /sys and mount a sysfs, which shows the
 * devices of the network namespace the child is in by now. Where the old one
 * cannot be detached (a mount locked by a less privileged user namespace), the
 * new one goes on top, read-only if the old one was (the kernel demands it). */
CHILD static void child_mount_sys(const struct child *c) {
  unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  struct statfs st;
  if (SYS(SYS_umount2, "/sys", MNT_DETACH) < 0 && SYS(SYS_statfs, "/sys", &st) == 0 && (st.f_flags & ST_RDONLY))
    flags |= MS_RDONLY;
  TRY(NSB_STEP_MOUNT_SYS, SYS(SYS_mount, "sysfs", "/sys", "sysfs", flags, 0));
}

/* After PR_SET_PDEATHSIG: whether the parent is still there (had it gone
 * before the prctl, no signal would come). In its pid namespace getppid()
 * changes when it dies; from a new or a joined one it is 0 all along, the
 * parent being outside. So the error pipe decides too: only the parent holds
 * its read end (we closed our copy), and the spawning thread keeps it until
 * we exec; without a reader, the write end polls POLLERR. */
CHILD static int child_parent_alive(const struct child *c) {
  if (SYS(SYS_getppid, 0) != c->ppid) return 0;
  struct pollfd pfd = {c->err_fd, POLLOUT, 0};
  struct timespec now = {0, 0};
  return !(SYS(SYS_ppoll, &pfd, 1, &now, 0, 8) == 1 && (pfd.revents & POLLERR));
}

/* execve, and execvp's rule for a file the kernel does not recognise (no #!):
 * it is a shell script, run by SHELL (as child_process, unshare, nsenter and
 * shells run it). Returns the error of the file itself. */
CHILD static long child_execve(const struct child *c, const char *path) {
  const struct nsb_spawn_request *q = c->req;
  long r = SYS(SYS_execve, path, q->argv, q->envp);
  if (r == -ENOEXEC) {
    c->sh_argv[1] = (char *)path;
    SYS(SYS_execve, SHELL, c->sh_argv, q->envp);
  }
  return r;
}

/* nsbind-init in place of the program, keeping the error pipe open for its report of the program's exec. */
CHILD __attribute__((noreturn)) static void child_exec_init(const struct child *c) {
  TRY(NSB_STEP_INIT, SYS(SYS_fcntl, c->err_fd, F_SETFD, 0));
  child_fail(c, NSB_STEP_INIT, SYS(SYS_execveat, c->init_fd, "", c->init_argv, c->req->envp, AT_EMPTY_PATH), 0);
}

/* execvp-like lookup without allocation: each candidate path is built in this frame. */
CHILD __attribute__((noreturn)) static void child_exec(const struct child *c) {
  const struct nsb_spawn_request *q = c->req;
  if (has_slash(q->file)) child_fail(c, NSB_STEP_EXEC, child_execve(c, q->file), 0);
  char candidate[4096];
  const char *p = q->path ? q->path : "/usr/local/bin:/usr/bin:/bin";
  size_t flen = slen(q->file);
  long result = -ENOENT;
  for (;;) {
    const char *end = p;
    while (*end && *end != ':') end++;
    size_t dlen = (size_t)(end - p);
    if (dlen == 0) { /* an empty entry means the current directory */
      p = ".";
      dlen = 1;
    }
    if (dlen + 1 + flen + 1 <= sizeof candidate) {
      copy(candidate, p, dlen);
      candidate[dlen] = '/';
      copy(candidate + dlen + 1, q->file, flen + 1);
      long r = child_execve(c, candidate);
      if (r == -EACCES)
        result = r;
      else if (r != -ENOENT && r != -ENOTDIR && r != -ESTALE && r != -ENODEV && r != -ETIMEDOUT)
        child_fail(c, NSB_STEP_EXEC, r, 0);
    }
    if (!*end) break;
    p = end + 1;
  }
  child_fail(c, NSB_STEP_EXEC, result, 0);
}

CHILD static int child_main(void *arg) {
  const struct child *c = arg;
  const struct nsb_spawn_request *q = c->req;
  /* All signals arrive blocked; give every one its default action (the
   * parent's handlers are Node's code), and unblock just before exec. */
  struct kernel_sigaction dfl = {SIG_DFL, 0, 0, 0};
  for (int sig = 1; sig < 65; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) SYS(SYS_rt_sigaction, sig, &dfl, 0, 8);
  /* our copies of the ends the parent keeps: their state must tell us about the parent alone */
  SYS(SYS_close, c->err_read);
  if (c->sync_write >= 0) SYS(SYS_close, c->sync_write);

  int join_fd[NSB_MAX_JOIN];
  child_fds(c, join_fd);
  if (c->sync_fd >= 0) { /* the parent writes our id maps, then says go */
    char go;
    long r = SYS(SYS_read, c->sync_fd, &go, 1);
    if (r != 1) child_fail(c, NSB_STEP_SYNC, r < 0 ? r : -EPIPE, 0);
  }
  child_join(c, join_fd);
  if (q->new_time) {
    TRY(NSB_STEP_UNSHARE_TIME, SYS(SYS_unshare, CLONE_NEWTIME));
    if (q->timens_offsets)
      TRY(NSB_STEP_TIMENS_OFFSETS, child_write_file("/proc/self/timens_offsets", q->timens_offsets));
  }
  if (q->hostname) TRY(NSB_STEP_SETHOSTNAME, SYS(SYS_sethostname, q->hostname, slen(q->hostname)));
  if (q->domainname) TRY(NSB_STEP_SETDOMAINNAME, SYS(SYS_setdomainname, q->domainname, slen(q->domainname)));
  if (q->propagation) TRY(NSB_STEP_PROPAGATION, SYS(SYS_mount, 0, "/", 0, MS_REC | q->propagation, 0));
  if (c->loopback) {
    int stage;
    long r = nsb_loopback_up(c->loopback, &stage);
    if (r < 0) child_fail(c, NSB_STEP_LOOPBACK, r, stage);
  }
  if (q->new_root) {
    int step, aux;
    long r = nsb_sandbox_build(q->mounts, q->nmounts, q->root, &step, &aux);
    if (r < 0) child_fail(c, step, r, aux);
  } else if (q->root) {
    TRY(NSB_STEP_CHROOT, SYS(SYS_chroot, q->root));
    if (!q->cwd) TRY(NSB_STEP_CHDIR, SYS(SYS_chdir, "/"));
  }
  if (q->mount_proc)
    TRY(NSB_STEP_MOUNT_PROC, SYS(SYS_mount, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, 0));
  if (q->mount_sys) child_mount_sys(c);
  if (q->cwd) TRY(NSB_STEP_CHDIR, SYS(SYS_chdir, q->cwd));
  if (q->setsid) TRY(NSB_STEP_SETSID, SYS(SYS_setsid, 0));
  struct nsb_privs_failure f;
  long r;
  if (q->ngroups < 0 && (q->gid != (gid_t)-1 || q->uid != (uid_t)-1))
    SYS(SYS_setgroups, 0, 0); /* may be refused (setgroups "deny"): fine */
  if ((r = nsb_privs_before_ids(q, &f)) < 0) child_fail(c, f.step, r, f.aux);
  if (q->gid != (gid_t)-1) TRY(NSB_STEP_SETGID, SYS(SYS_setresgid, q->gid, q->gid, q->gid));
  if (q->uid != (uid_t)-1) TRY(NSB_STEP_SETUID, SYS(SYS_setresuid, q->uid, q->uid, q->uid));
  if ((r = nsb_privs_after_ids(q, &f)) < 0) child_fail(c, f.step, r, f.aux);
  if (q->pdeathsig) {
    TRY(NSB_STEP_PDEATHSIG, SYS(SYS_prctl, PR_SET_PDEATHSIG, q->pdeathsig, 0, 0, 0));
    if (!child_parent_alive(c)) child_fail(c, NSB_STEP_PDEATHSIG, -ESRCH, 0);
  }
  uint64_t none = 0;
  SYS(SYS_rt_sigprocmask, SIG_SETMASK, &none, 0, 8);
  if ((r = nsb_privs_seccomp(q, &f)) < 0) child_fail(c, f.step, r, f.aux);
  if (c->init_fd >= 0) child_exec_init(c);
  child_exec(c);
}

/* ---------------------------------------------------------------------------
 * Parent side: ordinary code.
 */

long nsb_id_map_max(void) {
  long page = sysconf(_SC_PAGESIZE);
  return (page > 0 ? page : 4096) - 1;
}

static int one_namespace(int flag) {
  return (flag & (CLONE_CREATE | CLONE_NEWTIME)) == flag && flag != 0 && (flag & (flag - 1)) == 0;
}

/* The limits C keeps whatever its caller checked. */
static int check_request(const struct nsb_spawn_request *q, struct nsb_spawn_result *res) {
  int seen = 0;
  res->step = NSB_STEP_REQUEST;
  if (!q->file || !q->argv || !q->envp || (q->clone_flags & ~CLONE_CREATE) || q->njoin < 0 || q->njoin > NSB_MAX_JOIN ||
      (q->njoin && !q->join) || q->nstdio < 0 || q->nstdio > NSB_MAX_STDIO || (q->nstdio && !q->stdio) ||
      (q->propagation & ~(unsigned long)(MS_PRIVATE | MS_SLAVE | MS_SHARED)) ||
      (q->loopback && !(q->clone_flags & CLONE_NEWNET)) || !nsb_privs_check(q))
    return -EINVAL;
  for (int i = 0; i < q->njoin; i++) {
    if (q->join[i].fd < 0 || !one_namespace(q->join[i].nstype) || (seen & q->join[i].nstype)) return -EINVAL;
    seen |= q->join[i].nstype;
  }
  for (int i = 0; i < q->nstdio; i++)
    if (q->stdio[i].kind > NSB_STDIO_SOCKETPAIR || (q->stdio[i].kind == NSB_STDIO_FD && q->stdio[i].fd < 0))
      return -EINVAL;
  /* a new root only in a mount namespace of its own, and one that propagates nothing back */
  if (q->new_root ? !(q->clone_flags & CLONE_NEWNS) || (q->propagation != MS_PRIVATE && q->propagation != MS_SLAVE) ||
                        q->mount_proc || q->mount_sys || nsb_mounts_check(q->mounts, q->nmounts) < 0
                  : q->nmounts != 0)
    return -EINVAL;
  long max = nsb_id_map_max();
  res->step = NSB_STEP_UID_MAP;
  if (q->uid_map && (long)strlen(q->uid_map) > max) return -EINVAL;
  res->step = NSB_STEP_GID_MAP;
  if (q->gid_map && (long)strlen(q->gid_map) > max) return -EINVAL;
  res->step = NSB_STEP_NONE;
  return 0;
}

/* fd at or above floor (so that it cannot be a number the child's stdio
 * names), or a negative errno; fd is consumed either way. */
static int place(int fd, int floor) {
  if (fd < 0) return -errno;
  if (fd >= floor) return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, floor);
  int err = errno;
  close(fd);
  return moved < 0 ? -err : moved;
}

/* Both ends of a new pipe or socketpair above floor, or a negative errno (neither left open). */
static int place_pair(const int raw[2], int fds[2], int floor) {
  fds[0] = place(raw[0], floor);
  fds[1] = place(raw[1], floor);
  if (fds[0] >= 0 && fds[1] >= 0) return 0;
  int err = fds[0] < 0 ? fds[0] : fds[1];
  for (int i = 0; i < 2; i++)
    if (fds[i] >= 0) close(fds[i]);
  fds[0] = fds[1] = -1;
  return err;
}

static int make_pipe(int fds[2], int floor) {
  int raw[2];
  return pipe2(raw, O_CLOEXEC) < 0 ? -errno : place_pair(raw, fds, floor);
}

static int make_socketpair(int fds[2], int floor) {
  int raw[2];
  return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, raw) < 0 ? -errno : place_pair(raw, fds, floor);
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/* Everything nsb_spawn opens and maps, released in one place. */
struct parent {
  int err[2], sync[2];
  int devnull;
  int cgroup;  /* the cgroup dir to start in, O_RDONLY (CLONE_INTO_CGROUP) */
  int restore; /* the calling thread's pid_for_children, while it joins another */
  int pidfd;
  int init;   /* O_PATH fd of nsbind-init */
  char *area; /* guard page, stack, the child-only sh_argv, then init's argv */
  size_t area_size;
  int src[NSB_MAX_STDIO]; /* child fd i <- src[i] */
};

/* The fds the child's stdio is made of: the caller's (checked open), /dev/null
 * and new pipes (above floor). Pipe ends for the parent go to res->stdio. */
static int open_stdio(const struct nsb_spawn_request *q, struct parent *p, struct nsb_spawn_result *res, int floor) {
  for (int i = 0; i < q->nstdio; i++) {
    const struct nsb_stdio *e = &q->stdio[i];
    int pipe[2];
    int r = 0;
    if (e->kind == NSB_STDIO_FD) {
      p->src[i] = e->fd;
    } else if (e->kind == NSB_STDIO_DEVNULL) {
      if (p->devnull < 0 && (r = place(open("/dev/null", O_RDWR | O_CLOEXEC), floor)) >= 0) p->devnull = r;
      p->src[i] = p->devnull;
      if (r < 0) res->step = NSB_STEP_DEVNULL;
    } else if ((r = e->kind == NSB_STDIO_SOCKETPAIR ? make_socketpair(pipe, floor) : make_pipe(pipe, floor)) == 0) {
      int child_end = e->kind == NSB_STDIO_PIPE_READ ? 0 : 1;
      p->src[i] = pipe[child_end];
      res->stdio[i] = pipe[1 - child_end];
    } else {
      res->step = NSB_STEP_PIPE;
    }
    if (r < 0) {
      res->aux = i;
      return r;
    }
  }
  return 0;
}

static void close_stdio(const struct nsb_spawn_request *q, struct parent *p, int *parent_ends) {
  for (int i = 0; i < q->nstdio; i++) {
    if (q->stdio[i].kind != NSB_STDIO_FD && q->stdio[i].kind != NSB_STDIO_DEVNULL) close_fd(&p->src[i]);
    if (parent_ends) close_fd(&parent_ends[i]);
  }
  close_fd(&p->devnull);
}

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

static int write_maps(const struct nsb_spawn_request *q, pid_t pid, struct nsb_spawn_result *res) {
  int r = 0;
  if (q->setgroups && (r = proc_write(pid, "setgroups", q->setgroups)) < 0)
    res->step = NSB_STEP_SETGROUPS;
  else if (q->uid_map && (r = proc_write(pid, "uid_map", q->uid_map)) < 0)
    res->step = NSB_STEP_UID_MAP;
  else if (q->gid_map && (r = proc_write(pid, "gid_map", q->gid_map)) < 0)
    res->step = NSB_STEP_GID_MAP;
  return r;
}

/* The error pipe until EOF (the child exec'd: CLOEXEC, or died): a whole
 * report means it failed at a step. */
static int read_report(int fd, struct report *rep) {
  size_t got = 0;
  for (;;) {
    char buf[sizeof *rep];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    size_t take = got + (size_t)n > sizeof *rep ? sizeof *rep - got : (size_t)n;
    memcpy((char *)rep + got, buf, take);
    got += take;
  }
  return got == sizeof *rep;
}

/* The clone, between joining the pid namespace for children and going back. */
static pid_t clone_child(const struct nsb_spawn_request *q, struct parent *p, struct child *c,
                         struct nsb_spawn_result *res, int floor, int *err) {
  const struct nsb_join *pid_ns = NULL;
  int use_vm = 1;
  for (int i = 0; i < q->njoin; i++) {
    if (q->join[i].nstype == CLONE_NEWPID) pid_ns = &q->join[i];
    /* entering a time namespace needs a process that shares its memory with no other (EUSERS) */
    if (q->join[i].nstype == CLONE_NEWTIME) use_vm = 0;
  }
  /* Joining a pid namespace only changes pid_for_children: switch the calling
   * thread's for the clone and straight back. */
  if (pid_ns) {
    p->restore = place(open("/proc/thread-self/ns/pid_for_children", O_RDONLY | O_CLOEXEC), floor);
    if (p->restore < 0) {
      *err = p->restore;
      res->step = NSB_STEP_SAVE_PID;
      return -1;
    }
    if (setns(pid_ns->fd, CLONE_NEWPID) < 0) {
      *err = -errno;
      res->step = NSB_STEP_SETNS;
      res->aux = CLONE_NEWPID;
      return -1;
    }
  }
  uint64_t flags = (uint64_t)(unsigned)q->clone_flags | CLONE_PIDFD | (use_vm ? CLONE_VM : 0);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  long pid;
  if (p->cgroup >= 0) { /* only clone3 starts a child in a cgroup: it takes the stack's base and size */
    struct nsb_clone_args args = {
        .flags = flags | CLONE_INTO_CGROUP,
        .pidfd = (uint64_t)(uintptr_t)&p->pidfd,
        .exit_signal = SIGCHLD,
        .stack = (uint64_t)(uintptr_t)(p->area + GUARD_SIZE),
        .stack_size = STACK_SIZE,
        .cgroup = (uint64_t)p->cgroup,
    };
    pid = raw_clone3(&args, sizeof args, child_main, c);
  } else {
    pid = clone(child_main, p->area + GUARD_SIZE + STACK_SIZE, (int)flags | SIGCHLD, c, &p->pidfd);
    if (pid < 0) pid = -errno;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (pid < 0) {
    *err = (int)pid;
    /* what the kernel says of the cgroup: not a cgroup2 dir, no write access, a domain with controllers */
    int cgroup_err = pid == -EBADF || pid == -EACCES || pid == -EBUSY || pid == -EOPNOTSUPP;
    res->step = p->cgroup >= 0 && cgroup_err ? NSB_STEP_CGROUP : NSB_STEP_CLONE;
    res->aux = res->step == NSB_STEP_CGROUP ? 1 : -1;
  }
  if (pid_ns && setns(p->restore, CLONE_NEWPID) < 0) {
    *err = -errno;
    res->step = NSB_STEP_RESTORE_PID;
    if (pid > 0) nsb_pidfd_kill_reap(p->pidfd);
    return -1;
  }
  return (pid_t)pid;
}

/* A started child and everything it reads: kept, unchanged, until it has exec'd or is gone. */
struct nsb_spawn_state {
  const struct nsb_spawn_request *q;
  struct parent p;
  struct child c;
  struct nsb_loopback loopback;
};

/* Close and unmap what the spawn made (failed: also the parent's pipe ends
 * for stdio). Only once the child has exec'd or is gone: EOF on the error
 * pipe (the kernel drops the child's memory before its files), or reaped. */
static void release(struct nsb_spawn_state *s, int failed, struct nsb_spawn_result *res) {
  struct parent *p = &s->p;
  close_stdio(s->q, p, failed ? res->stdio : NULL);
  close_fd(&p->pidfd);
  close_fd(&p->restore);
  close_fd(&p->cgroup);
  close_fd(&p->init);
  for (int i = 0; i < 2; i++) {
    close_fd(&p->err[i]);
    close_fd(&p->sync[i]);
  }
  if (p->area != MAP_FAILED) munmap(p->area, p->area_size);
  p->area = MAP_FAILED;
}

/* Up to the clone and the id maps: the child waits for the go-ahead if it has
 * a sync pipe. On failure everything is released and no child is left. */
static int start(struct nsb_spawn_state *s, const struct nsb_spawn_request *q, struct nsb_spawn_result *res) {
  struct parent *p = &s->p;
  int r;
  *s = (struct nsb_spawn_state){.q = q, .p = {{-1, -1}, {-1, -1}, -1, -1, -1, -1, -1, MAP_FAILED, 0, {0}}};
  res->pid = -1;
  res->pidfd = -1;
  res->step = NSB_STEP_NONE;
  res->aux = -1;
  for (int i = 0; i < NSB_MAX_STDIO; i++) res->stdio[i] = -1;
  if ((r = check_request(q, res)) < 0) return r;
  for (int i = 0; i < q->nstdio; i++) p->src[i] = -1;

  /* Every fd given for stdio must be open, and nothing made here may take its
   * number (another thread could close it meanwhile): what nsb_spawn opens
   * lies above all of them, and above the child fds stdio is arranged into. */
  int floor = q->nstdio;
  for (int i = 0; i < q->nstdio; i++) {
    if (q->stdio[i].kind != NSB_STDIO_FD) continue;
    if (fcntl(q->stdio[i].fd, F_GETFD) < 0) {
      res->step = NSB_STEP_STDIO;
      res->aux = i;
      return -errno;
    }
    if (q->stdio[i].fd >= floor) floor = q->stdio[i].fd + 1;
  }
  int wait = (q->clone_flags & CLONE_NEWUSER) || q->paused;
  if ((r = make_pipe(p->err, floor)) < 0 || (wait && (r = make_pipe(p->sync, floor)) < 0)) {
    res->step = NSB_STEP_PIPE;
    goto fail;
  }
  if ((r = open_stdio(q, p, res, floor)) < 0) goto fail;
  if (q->cgroup && (p->cgroup = place(open(q->cgroup, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), floor)) < 0) {
    r = p->cgroup;
    res->step = NSB_STEP_CGROUP;
    goto fail;
  }
  if (q->init && (p->init = place(open(q->init, O_PATH | O_CLOEXEC), floor)) < 0) {
    r = p->init;
    res->step = NSB_STEP_INIT;
    goto fail;
  }

  int argc = 0;
  while (q->argv[argc]) argc++;
  size_t init_argv = GUARD_SIZE + STACK_SIZE + ((size_t)argc + 3) * sizeof(char *);
  p->area_size = init_argv + ((size_t)argc + 4) * sizeof(char *) + INIT_FD_DIGITS;
  p->area = mmap(NULL, p->area_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (p->area == MAP_FAILED) {
    r = -errno;
    res->step = NSB_STEP_STACK;
    goto fail;
  }
  mprotect(p->area, GUARD_SIZE, PROT_NONE);
  char **sh_argv = (char **)(p->area + GUARD_SIZE + STACK_SIZE);
  sh_argv[0] = SHELL;
  for (int i = 1; i < argc; i++) sh_argv[i + 1] = q->argv[i];
  sh_argv[argc > 1 ? argc + 1 : 2] = NULL;
  char **init = (char **)(p->area + init_argv);
  char *digits = (char *)(init + argc + 4);
  snprintf(digits, INIT_FD_DIGITS, "%d", p->err[1]);
  init[0] = "nsbind-init";
  init[1] = digits;
  init[2] = (char *)q->file;
  for (int i = 0; i <= argc; i++) init[i + 3] = q->argv[i];

  int new_pid = (q->clone_flags & CLONE_NEWPID) != 0;
  for (int i = 0; i < q->njoin; i++) new_pid |= q->join[i].nstype == CLONE_NEWPID;
  struct rlimit nofile;
  if (q->loopback) nsb_loopback_prepare(&s->loopback);
  s->c = (struct child){
      .req = q,
      .src = p->src,
      .err_fd = p->err[1],
      .err_read = p->err[0],
      .sync_fd = p->sync[0],
      .sync_write = p->sync[1],
      .ppid = new_pid ? 0 : getpid(),
      .max_fd = getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < (1 << 20) ? (int)nofile.rlim_cur : 1 << 20,
      .sh_argv = sh_argv,
      .loopback = q->loopback ? &s->loopback : NULL,
      .init_fd = p->init,
      .init_argv = init,
  };
  pid_t pid = clone_child(q, p, &s->c, res, floor, &r);
  if (pid < 0) goto fail;
  res->pid = pid; /* kept on failure too, for messages (the child is reaped by then) */

  /* Until the child has exec'd or is gone, what it reads stays as it is (p->src
   * too: its stdio ends are closed at the end). Its pipe ends in c are copies. */
  close_fd(&p->err[1]);
  close_fd(&p->sync[0]);
  if (p->sync[1] >= 0 && (r = write_maps(q, pid, res)) < 0) {
    nsb_pidfd_kill_reap(p->pidfd);
    goto fail;
  }
  return 0;
fail:
  release(s, 1, res);
  return r;
}

/* The go-ahead, then the child's report or EOF (it exec'd). A failed child is
 * killed, and reaped when `reap` (else its pidfd's owner reaps it). */
static int go(struct nsb_spawn_state *s, int pidfd, int reap, struct nsb_spawn_result *res) {
  struct parent *p = &s->p;
  struct report rep;
  int r = 0;
  if (p->sync[1] >= 0 && write(p->sync[1], "", 1) != 1) {
    r = -errno;
    res->step = NSB_STEP_SYNC;
  } else if (read_report(p->err[0], &rep)) {
    r = -rep.err;
    res->step = rep.step;
    res->aux = rep.aux;
  }
  if (r < 0 && reap) {
    nsb_pidfd_kill_reap(pidfd);
  } else if (r < 0) {
    nsb_pidfd_kill(pidfd, SIGKILL);
    close_fd(&p->sync[1]);        /* a child that never read the go-ahead sees EOF */
    read_report(p->err[0], &rep); /* until EOF: the child is gone */
  }
  release(s, r < 0, res);
  return r;
}

/* The pidfd, taken out of the state (release closes what is left there). */
static int take_pidfd(struct nsb_spawn_state *s) {
  int pidfd = s->p.pidfd;
  s->p.pidfd = -1;
  return pidfd;
}

int nsb_spawn(const struct nsb_spawn_request *q, struct nsb_spawn_result *res) {
  struct nsb_spawn_state s;
  int r = start(&s, q, res);
  if (r < 0) return r;
  int pidfd = take_pidfd(&s);
  if ((r = go(&s, pidfd, 1, res)) < 0)
    close(pidfd);
  else
    res->pidfd = pidfd;
  return r;
}

int nsb_spawn_start(const struct nsb_spawn_request *q, struct nsb_spawn_result *res, struct nsb_spawn_state **state) {
  struct nsb_spawn_state *s = malloc(sizeof *s);
  if (!s) {
    res->step = NSB_STEP_STACK;
    return -ENOMEM;
  }
  int r = start(s, q, res);
  if (r < 0) {
    free(s);
    return r;
  }
  res->pidfd = take_pidfd(s);
  *state = s;
  return 0;
}

int nsb_spawn_go(struct nsb_spawn_state *s, int pidfd, struct nsb_spawn_result *res) {
  res->step = NSB_STEP_NONE;
  res->aux = -1;
  for (int i = 0; i < NSB_MAX_STDIO; i++) res->stdio[i] = -1; /* the parent's ends went out with the start */
  int r = go(s, pidfd, 0, res);
  free(s);
  return r;
}

void nsb_spawn_release(struct nsb_spawn_state *s) {
  release(s, 0, NULL);
  free(s);
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
