/*
 * nsbind spawn: the filesystem of a sandbox. spawn's child builds a new root
 * from nothing, as bubblewrap does: a fresh tmpfs (or a recursive bind of
 * `root`) stacked on its old root, the requested mounts under it in order,
 * then pivot_root into it and the old root detached. Targets are resolved
 * inside the new root (openat2 RESOLVE_IN_ROOT: no symlink leads out of it),
 * sources in the view the child inherited from its parent. Everything is
 * mounted through fds (open_tree, fsopen/fsmount, move_mount, mount_setattr),
 * never by a path looked up twice. No N-API types here.
 */
#ifndef NSBIND_SANDBOX_MOUNTS_H
#define NSBIND_SANDBOX_MOUNTS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NSB_MAX_MOUNTS 1024
#define NSB_MOUNT_PATH_MAX 4096 /* bytes of a target or source, with its NUL */

enum nsb_mount_type {
  NSB_MOUNT_BIND,    /* source (recursive), nosuid, nodev unless devices, every submount read-only if readonly */
  NSB_MOUNT_TMPFS,   /* mode, size (0: the kernel's default) */
  NSB_MOUNT_PROC,    /* a new proc, with sys, sysrq-trigger, irq and bus read-only where writable (as bwrap) */
  NSB_MOUNT_DEV,     /* a minimal /dev, as bwrap --dev (with a tmpfs on shm) */
  NSB_MOUNT_DIR,     /* mode */
  NSB_MOUNT_SYMLINK, /* source: the link's text */
  NSB_MOUNT_FILE,    /* data, mode; readonly: a read-only bind of it on itself */
};

struct nsb_mount {
  int type;           /* enum nsb_mount_type */
  const char *target; /* absolute, inside the sandbox, never "/" */
  const char *source; /* bind: a path as the parent sees it; symlink: the link's text; else NULL */
  int readonly;
  int devices;
  unsigned mode; /* at most 07777 */
  uint64_t size;
  const char *data;
  size_t length;
};

/* Where a mount failed, with its index in aux (aux >> 8 is the index, aux & 0xff the stage). */
enum nsb_mount_stage {
  NSB_MOUNT_AT_MKDIR,   /* mkdirat: the target's directories, or the target */
  NSB_MOUNT_AT_CREATE,  /* openat: creating the target file */
  NSB_MOUNT_AT_TARGET,  /* openat2: the target, inside the new root */
  NSB_MOUNT_AT_SOURCE,  /* open_tree: the source */
  NSB_MOUNT_AT_SETATTR, /* mount_setattr */
  NSB_MOUNT_AT_FSOPEN,
  NSB_MOUNT_AT_FSCONFIG,
  NSB_MOUNT_AT_FSMOUNT,
  NSB_MOUNT_AT_MOVE,    /* move_mount: attaching it */
  NSB_MOUNT_AT_SYMLINK, /* symlinkat (EEXIST: something else is there) */
  NSB_MOUNT_AT_WRITE,   /* write: a file's data */
};

/* NSB_STEP_NEWROOT reports an enum nsb_mount_stage in aux (the base: a tmpfs,
 * or a bind of root, moved onto the old root); NSB_STEP_PIVOT_ROOT this. */
enum nsb_pivot_stage {
  NSB_PIVOT_AT_FCHDIR,
  NSB_PIVOT_AT_PIVOT,
  NSB_PIVOT_AT_DETACH, /* umount2 of the old root */
  NSB_PIVOT_AT_CHDIR,
};

/* Parent: whether the entries are within the limits (0 or -EINVAL). */
int nsb_mounts_check(const struct nsb_mount *mounts, int n);

/* Child (async-signal-safe, raw syscalls): build the root and pivot into it.
 * 0, or a negative errno with *step (enum nsb_step) and *aux set. */
long nsb_sandbox_build(const struct nsb_mount *mounts, int n, const char *root, int *step, int *aux);

#ifdef __cplusplus
}
#endif

#endif
