/*
 * nsbind spawn: start a process in new and/or joined namespaces without
 * copying the parent. The child is a CLONE_VM clone on its own stack that runs
 * only async-signal-safe code over memory prepared before the clone (no
 * malloc, no locks, raw syscalls that leave errno alone), like posix_spawn.
 * It reads the request and writes nothing in it. Setup failures come back
 * through a CLOEXEC pipe as {step, errno, aux}. No N-API types here.
 */
#ifndef NSBIND_SPAWN_H
#define NSBIND_SPAWN_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Where a spawn fails, in the order it happens: one list, expanded into enum
 * nsb_step and nsb_step_names. lib/spawn-steps.ts has one row per name (the
 * syscall, the path and the hint a failure reports). A new step is a line
 * here and a row there.
 */
#define NSB_STEPS(X)                                                                                         \
  X(NONE, "none")                                                                                            \
  X(REQUEST, "request")   /* parent: a request outside the limits below */                                   \
  X(STDIO, "stdio")       /* parent: an fd given for stdio is not open (aux: child fd) */                    \
  X(PIPE, "pipe")         /* parent: pipe2 (aux: the child fd of a stdio pipe, or -1) */                     \
  X(DEVNULL, "devnull")   /* parent: /dev/null for stdio */                                                  \
  X(STACK, "stack")       /* parent: the child's stack and scratch area */                                   \
  X(INIT, "init")         /* opening nsbind-init (the parent, O_PATH), exec'ing it (the child) */            \
  X(SAVE_PID, "save:pid") /* parent: its own pid_for_children, to come back to */                            \
  X(SETNS, "setns")       /* child (the parent for pid): joining aux, a CLONE_NEW* */                        \
  X(CLONE, "clone")                                                                                          \
  X(RESTORE_PID, "restore:pid") /* parent: back to its pid_for_children after the clone */                   \
  X(SETGROUPS, "setgroups")     /* parent: /proc/PID/setgroups (aux -1); child: setgroups(2) (aux: count) */ \
  X(UID_MAP, "uid_map")         /* parent: /proc/PID/uid_map (also: a map of a page or more) */              \
  X(GID_MAP, "gid_map")         /* parent: /proc/PID/gid_map */                                              \
  X(SYNC, "sync")               /* the go-ahead after the id maps: the parent's write, the child's read */   \
  X(DUP, "dup")                 /* child: arranging stdio (aux: the child fd, or -1) */                      \
  X(CREDS_JOIN, "setresuid")    /* child: becoming root in a joined user namespace */                        \
  X(UNSHARE_TIME, "unshare:time")                                                                            \
  X(TIMENS_OFFSETS, "timens_offsets")                                                                        \
  X(SETHOSTNAME, "sethostname")                                                                              \
  X(SETDOMAINNAME, "setdomainname")                                                                          \
  X(PROPAGATION, "mount:/") /* mount(NULL, "/", MS_REC | propagation) */                                     \
  /* sandbox: */                                                                                             \
  X(LOOPBACK, "loopback")     /* child: lo up in its new network namespace (aux: enum nsb_loopback_stage) */ \
  X(NEWROOT, "newroot")       /* child: the new root's base (aux: enum nsb_mount_stage) */                   \
  X(MOUNT, "mount")           /* child: mounts[aux >> 8] (aux & 0xff: enum nsb_mount_stage) */               \
  X(PIVOT_ROOT, "pivot_root") /* child: into the new root (aux: enum nsb_pivot_stage) */                     \
  X(CHROOT, "chroot")                                                                                        \
  X(MOUNT_PROC, "mount:/proc")                                                                               \
  X(MOUNT_SYS, "mount:/sys")                                                                                 \
  X(CHDIR, "chdir")                                                                                          \
  X(SETSID, "setsid")                                                                                        \
  /* privileges (native/sandbox_privs.c), around the id change: */                                           \
  X(RLIMIT, "rlimit")             /* child: prlimit (aux: the RLIMIT_* resource) */                          \
  X(CAPABILITIES, "capabilities") /* child: prctl (aux: the capability, -2: none), capset (aux -1) */        \
  X(NO_NEW_PRIVS, "no_new_privs") /* child: PR_SET_NO_NEW_PRIVS, after the id change */                      \
  X(SECCOMP, "seccomp")           /* child: the filter, the last step before exec */                         \
  X(CGROUP, "cgroup")             /* parent: opening the cgroup dir; clone3 refusing it (aux: 1) */          \
  X(SETGID, "setgid")                                                                                        \
  X(SETUID, "setuid")                                                                                        \
  X(PDEATHSIG, "prctl") /* child: PR_SET_PDEATHSIG, and the parent still there */                            \
  X(EXEC, "exec")                                                                                            \
  X(WATCH, "watch") /* glue: watching the pidfd on the event loop */

#define NSB_STEP_ENUM(id, name) NSB_STEP_##id,
enum nsb_step { NSB_STEPS(NSB_STEP_ENUM) NSB_STEP_COUNT };
#undef NSB_STEP_ENUM

/* Names for enum nsb_step, as spawn errors report them. */
extern const char *const nsb_step_names[NSB_STEP_COUNT];

/* Limits nsb_spawn enforces itself (NSB_STEP_REQUEST). */
#define NSB_MAX_JOIN 8 /* one per namespace type */
#define NSB_MAX_STDIO 1024

/* What a child fd is made of. */
enum nsb_stdio_kind {
  NSB_STDIO_FD,         /* a duplicate of the parent's fd `fd` */
  NSB_STDIO_DEVNULL,    /* /dev/null, read-write */
  NSB_STDIO_PIPE_READ,  /* a new pipe the child reads; the parent gets the write end */
  NSB_STDIO_PIPE_WRITE, /* a new pipe the child writes; the parent gets the read end */
  NSB_STDIO_SOCKETPAIR, /* a new AF_UNIX stream socketpair (duplex, as child_process's fd 3+ 'pipe') */
};

struct nsb_stdio {
  enum nsb_stdio_kind kind;
  int fd; /* NSB_STDIO_FD only */
};

struct nsb_join {
  int fd;     /* an open namespace file */
  int nstype; /* its CLONE_NEW* flag; CLONE_NEWPID is joined by the parent around the clone */
};

struct nsb_mount;

/* What to start: read by nsb_spawn and the child, written by neither. */
struct nsb_spawn_request {
  const char *file; /* program: a path, or a name looked up in `path` */
  char *const *argv;
  char *const *envp;
  const char *path;            /* PATH for the lookup (NULL: a default) */
  int clone_flags;             /* CLONE_NEW* for clone(2); never CLONE_NEWTIME */
  int new_time;                /* unshare(CLONE_NEWTIME) in the child */
  const char *timens_offsets;  /* "1 S N\n7 S N\n" or NULL */
  const struct nsb_join *join; /* in join order; the user namespace is handled as nsenter does */
  int njoin;
  const char *hostname;
  const char *domainname;
  unsigned long propagation; /* 0, or MS_PRIVATE/MS_SLAVE/MS_SHARED (applied with MS_REC to "/") */
  const char *root;          /* chroot, or with new_root the base of the new root */
  int mount_proc;
  int mount_sys; /* a sysfs of the child's network namespace on /sys, as ip netns exec */
  /* sandbox: */
  int loopback; /* bring lo up in the new network namespace (needs CLONE_NEWNET) */
  int new_root; /* build a root from mounts (on a bind of `root`, else a tmpfs) and pivot_root into it */
  const struct nsb_mount *mounts; /* sandbox_mounts.h */
  int nmounts;
  const char *cwd;
  int setsid;
  uid_t uid;                     /* (uid_t)-1: unchanged */
  gid_t gid;                     /* (gid_t)-1: unchanged */
  int keep_credentials;          /* a joined user namespace: keep uid and gid (nsenter --preserve-credentials) */
  int pdeathsig;                 /* 0: none */
  const struct nsb_stdio *stdio; /* child fd i is made of stdio[i] */
  int nstdio;
  const char *init; /* nsbind-init's path, or NULL: exec'd in place of the program, which it forks (pid 1) */
  /* parent-side writes while the child waits (new user namespace) */
  const char *setgroups; /* "deny" or NULL */
  const char *uid_map;
  const char *gid_map;
  /* privileges (native/sandbox_privs.c) */
  const struct nsb_rlimit *rlimits; /* prlimit(2) in the child, in order */
  int nrlimits;
  const gid_t *groups; /* setgroups(2) in the child before the id change */
  int ngroups;         /* -1: unchanged (but cleared when uid or gid change) */
  int has_caps;        /* keep exactly `caps` in all five capability sets */
  uint64_t caps;       /* bit n: capability n */
  int no_new_privs;
  const void *seccomp; /* struct sock_filter[seccomp_len], loaded last before exec */
  int seccomp_len;     /* 0: no filter */
  const char *cgroup;  /* start in this cgroup v2 directory (clone3 CLONE_INTO_CGROUP), or NULL */
  int paused;          /* nsb_spawn_start: the child waits for nsb_spawn_go */
};

struct nsb_spawn_result {
  pid_t pid; /* also on failure, when the clone happened (the child is reaped by then) */
  int pidfd;
  int step; /* enum nsb_step of a failure */
  int aux;
  int stdio[NSB_MAX_STDIO]; /* the parent's end of each stdio pipe, -1 for the other entries */
};

/* The most bytes one uid_map or gid_map write may have (the kernel takes less than a page). */
long nsb_id_map_max(void);

/* Returns 0 (pid, pidfd, stdio filled) or a negative errno with step/aux set;
 * on failure no child is left (killed and reaped) and no fd is leaked. */
int nsb_spawn(const struct nsb_spawn_request *req, struct nsb_spawn_result *res);

/* A child started and waiting (req->paused): its new namespaces exist and its
 * id maps are written; it has joined nothing yet and waits for the go-ahead. */
struct nsb_spawn_state;
/* As nsb_spawn up to that point: 0 (pid, pidfd, stdio filled, *state set) or a
 * negative errno, with no child left. req must stay as it is until go or release. */
int nsb_spawn_start(const struct nsb_spawn_request *req, struct nsb_spawn_result *res, struct nsb_spawn_state **state);
/* The rest of the setup and exec; frees state. On failure (step/aux set) the
 * child is killed, and gone by the return, but not reaped: pidfd's owner reaps it. */
int nsb_spawn_go(struct nsb_spawn_state *state, int pidfd, struct nsb_spawn_result *res);
/* For a child that is gone (reaped) without the go-ahead: frees state. */
void nsb_spawn_release(struct nsb_spawn_state *state);

/* pidfd_send_signal(2). */
int nsb_pidfd_kill(int pidfd, int sig);
/* Reap without blocking: 1 and code/signal when the child has exited, 0 if not yet, or a negative errno. */
int nsb_pidfd_reap(int pidfd, int *code, int *signal);
/* Kill and reap (blocking), leaving the pidfd open: for a child whose owner goes away. */
void nsb_pidfd_kill_reap(int pidfd);

#ifdef __cplusplus
}
#endif

#endif
