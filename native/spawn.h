/*
 * nsbind spawn: start a process in new and/or joined namespaces without
 * copying the parent. The child is a CLONE_VM clone on its own stack that runs
 * only async-signal-safe code over memory prepared before the clone (no
 * malloc, no locks, raw syscalls that leave errno alone), like posix_spawn.
 * Setup failures come back through a CLOEXEC pipe as {step, errno, aux}.
 * No N-API types here.
 */
#ifndef NSBIND_SPAWN_H
#define NSBIND_SPAWN_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where a spawn failed. aux carries the namespace flag for NSB_STEP_SETNS. */
enum nsb_step {
  NSB_STEP_NONE,
  NSB_STEP_PIPE,
  NSB_STEP_STACK,
  NSB_STEP_CLONE,
  NSB_STEP_SETGROUPS,  /* parent: /proc/PID/setgroups */
  NSB_STEP_UID_MAP,    /* parent: /proc/PID/uid_map */
  NSB_STEP_GID_MAP,    /* parent: /proc/PID/gid_map */
  NSB_STEP_FDS,        /* child: arranging stdio */
  NSB_STEP_SETNS,      /* child (or parent, for pid): joining aux */
  NSB_STEP_CREDS_JOIN, /* child: becoming root in a joined user namespace */
  NSB_STEP_UNSHARE_TIME,
  NSB_STEP_TIMENS_OFFSETS,
  NSB_STEP_SETHOSTNAME,
  NSB_STEP_SETDOMAINNAME,
  NSB_STEP_PROPAGATION, /* mount(NULL, "/", MS_REC|MS_PRIVATE…) */
  NSB_STEP_CHROOT,
  NSB_STEP_MOUNT_PROC,
  NSB_STEP_MOUNT_SYS,
  NSB_STEP_CHDIR,
  NSB_STEP_SETSID,
  NSB_STEP_SETGID,
  NSB_STEP_SETUID,
  NSB_STEP_PDEATHSIG,
  NSB_STEP_EXEC,
  NSB_STEP_RESTORE_PID, /* parent: back to its own pid_for_children after the clone */
};

#define NSB_MAX_JOIN 8

struct nsb_join {
  int fd;     /* an open namespace file */
  int nstype; /* its CLONE_NEW* flag */
};

struct nsb_spawn {
  /* --- in: prepared by the caller, read by the child --- */
  const char *file; /* program: a path, or a name looked up in `path` */
  char *const *argv;
  char *const *envp;
  const char *path;                   /* PATH for the lookup (NULL: a default) */
  int clone_flags;                    /* CLONE_NEW* for clone(2); never CLONE_NEWTIME */
  int new_time;                       /* unshare(CLONE_NEWTIME) in the child */
  const char *timens_offsets;         /* "1 S N\n7 S N\n" or NULL */
  struct nsb_join join[NSB_MAX_JOIN]; /* joined in the child, user namespace handled as nsenter does */
  int njoin;
  int join_pid_fd;         /* >= 0: pid namespace to create the child in (parent-side) */
  int join_pid_restore_fd; /* the calling thread's pid_for_children, to go back to */
  const char *hostname;
  const char *domainname;
  unsigned long propagation; /* 0, or MS_PRIVATE/MS_SLAVE/MS_SHARED (applied with MS_REC to "/") */
  const char *root;          /* chroot */
  int mount_proc;
  int mount_sys; /* a sysfs of the child's network namespace on /sys, as ip netns exec */
  const char *cwd;
  int setsid;
  int uid, gid;   /* -1: unchanged */
  int pdeathsig;  /* 0: none */
  const int *fds; /* child fd i <- parent fd fds[i]; -1 leaves i closed */
  int nfds;
  int use_vm; /* CLONE_VM (0 only where the kernel demands a private mm: joining a time ns) */
  /* parent-side writes while the child waits (new user namespace) */
  const char *setgroups; /* "deny" or NULL */
  const char *uid_map;
  const char *gid_map;

  /* --- out --- */
  pid_t pid; /* also on failure, when the clone happened (the child is reaped) */
  int pidfd;
  int step; /* enum nsb_step of a failure */
  int aux;

  /* --- child scratch, inside the prepared struct so the child allocates nothing --- */
  char exec_path[4096];
  int err_fd;
  int sync_fd;
  pid_t parent;
  int max_fd; /* for the close-on-exec sweep when close_range(2) is missing */
};

/* Names for enum nsb_step, as spawn errors report them (NULL-terminated). */
extern const char *const nsb_step_names[];

/* Returns 0 (pid, pidfd filled) or a negative errno with step/aux set; on
 * failure no child is left (killed and reaped) and no fd is leaked. */
int nsb_spawn(struct nsb_spawn *s);

/* A CLOEXEC pipe for stdio: fds[0] read end, fds[1] write end. */
int nsb_pipe(int fds[2]);
/* /dev/null, read-write, for stdio 'ignore'. */
int nsb_open_devnull(void);
/* pidfd_send_signal(2). */
int nsb_pidfd_kill(int pidfd, int sig);
/* Reap without blocking: 1 and code/signal when the child has exited, 0 if not yet. */
int nsb_pidfd_reap(int pidfd, int *code, int *signal);
/* Kill and reap (blocking), leaving the pidfd open: for a child whose owner goes away. */
void nsb_pidfd_kill_reap(int pidfd);

#ifdef __cplusplus
}
#endif

#endif
