/*
 * nsbind: mounts that keep namespaces alive (bind mounts of nsfs files) and
 * the iproute2-style /run/netns setup. Plain C, no N-API types; every
 * function returns >= 0 on success or a negative errno. Every fd is O_CLOEXEC.
 *
 * Root callers are targets: a mount point is named by a directory the caller
 * opened (O_PATH, resolved once) and one file name in it, never followed if it
 * is a symlink; what is checked is the opened object, and the mount or unmount
 * goes through /proc/self/fd/N, to that same object.
 */
#ifndef NSBIND_MOUNT_H
#define NSBIND_MOUNT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A mount point file: whether this call created it, and its identity; on failure, the syscall that failed. */
struct nsb_file {
  int created;
  uint64_t dev;
  uint64_t ino;
  const char *failed;
};

/* open(path, O_PATH | O_DIRECTORY): the directory mount points are named in. */
int nsb_open_dir(const char *path);

/*
 * Bind-mount a namespace onto `name` in dirfd: the one open on nsfd, or with
 * nsfd -1 a new network namespace made on a short-lived thread (no other thread
 * changes namespace). The file is created (mode 0, O_EXCL); with `exclusive`
 * it must not exist yet (EEXIST), else an existing one is used, but never a
 * symlink (ELOOP). A file this call created is removed again if the mount
 * fails. out: the mount point file. nsfd must be a namespace file (EINVAL).
 */
int nsb_persist_at(int nsfd, int dirfd, const char *name, int exclusive, struct nsb_file *out);

/*
 * If `name` in dirfd (not followed if a symlink) is the root of a bind mount of
 * a namespace file, unmount it (MNT_DETACH); EINVAL for anything else, which is
 * left alone. out: the file the mount covered (now at name).
 */
int nsb_release_at(int dirfd, const char *name, struct nsb_file *out);

/* Remove `name` from dirfd (never what a symlink points to); with expect, only if it is still that file. */
int nsb_unlink_at(int dirfd, const char *name, const struct nsb_file *expect);

/*
 * Make dir a shared mount point in its own peer group, as `ip netns add` does
 * for /run/netns: under flock(dir), if it is not a mount point yet, bind it
 * onto itself (recursively) and make that private first, then MS_SHARED|MS_REC.
 */
int nsb_make_shared_mountpoint(const char *dir);

#ifdef __cplusplus
}
#endif

#endif
