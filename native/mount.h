/*
 * nsbind: mounts that keep namespaces alive (bind mounts of nsfs files) and
 * the iproute2-style /run/netns setup. Plain C, no N-API types; every
 * function returns >= 0 on success or a negative errno. Every fd is O_CLOEXEC.
 */
#ifndef NSBIND_MOUNT_H
#define NSBIND_MOUNT_H

#ifdef __cplusplus
extern "C" {
#endif

/* Bind-mount the namespace open on fd (through /proc/self/fd/FD) onto target. */
int nsb_bind_ns(int fd, const char *target);

/* umount2(target, MNT_DETACH): lazy unmount. */
int nsb_umount_detach(const char *target);

/*
 * Make dir a shared mount point in its own peer group, as `ip netns add` does
 * for /run/netns: under flock(dir), if it is not a mount point yet, bind it
 * onto itself (recursively) and make that private first, then MS_SHARED|MS_REC.
 */
int nsb_make_shared_mountpoint(const char *dir);

/*
 * Create a network namespace on a new, short-lived thread and bind-mount that
 * thread's /proc/thread-self/ns/net onto target; no other thread of the
 * process changes namespace. Blocks until the thread is done.
 */
int nsb_bind_new_netns(const char *target);

#ifdef __cplusplus
}
#endif

#endif
