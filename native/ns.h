/*
 * nsbind: namespace syscalls in plain C. No N-API types here; the glue in
 * addon.cc converts values. Every function returns a value >= 0 on success
 * or a negative errno, and never leaves an fd behind on an error path.
 * Every fd this file creates is O_CLOEXEC.
 */
#ifndef NSBIND_NS_H
#define NSBIND_NS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* nsfs ioctls that the 6.1 uapi headers lack are defined in ns.c. */
enum nsb_request {
  NSB_GET_USERNS,
  NSB_GET_PARENT,
  NSB_GET_NSTYPE,
  NSB_GET_OWNER_UID,
  NSB_GET_MNTNS_ID,
  NSB_GET_PID_FROM_PIDNS,
  NSB_GET_TGID_FROM_PIDNS,
  NSB_GET_PID_IN_PIDNS,
  NSB_GET_TGID_IN_PIDNS,
  NSB_MNT_GET_INFO,
  NSB_MNT_GET_NEXT,
  NSB_MNT_GET_PREV,
  NSB_GET_ID,
  NSB_REQUEST_COUNT
};

/* A namespace file: the fd we own, its CLONE_NEW* type, device and inode. */
struct nsb_ns {
  int fd;
  int type;
  uint64_t dev;
  uint64_t ino;
};

struct nsb_mnt_info {
  uint32_t size;
  uint32_t nr_mounts;
  uint64_t mnt_ns_id;
};

/* The kernel's request value for a query (for messages and tests). */
unsigned long nsb_request_value(enum nsb_request req);

/* Open a namespace file, check it is nsfs, read its type and identity. */
int nsb_open(const char *path, struct nsb_ns *out);
/* Duplicate fd (F_DUPFD_CLOEXEC) and describe it like nsb_open. */
int nsb_dup(int fd, struct nsb_ns *out);
int nsb_close(int fd);
/* st_dev and st_ino of what fd is open on: what a tracked fd must still be before it is closed for its owner. */
int nsb_identity(int fd, uint64_t *dev, uint64_t *ino);
/* Close fd only if it is still open on that file (0), else leave it (-ESTALE, or fstat's error). */
int nsb_close_if(int fd, uint64_t dev, uint64_t ino);

int nsb_unshare(int flags);
int nsb_setns(int fd, int nstype);
int nsb_pidfd_open(int pid);

/*
 * A process's namespace of type nstype (CLONE_NEW*; for_children: pid_for_children, time_for_children)
 * through its pidfd: PIDFD_GET_*_NAMESPACE (Linux 6.11), or with via_proc (and where the kernel lacks the
 * ioctl) /proc/PID/ns/ENTRY of the pidfd's pid, opened first and then kept only if the pidfd's process is
 * still there (its pid can have been reused only once it was gone). -ESRCH once the process has exited.
 */
int nsb_pidfd_namespace(int pidfd, int nstype, int for_children, int via_proc, struct nsb_ns *out);

/* NS_GET_USERNS / NS_GET_PARENT: a new namespace handle. */
int nsb_related(int fd, enum nsb_request req, struct nsb_ns *out);
/* NS_GET_NSTYPE and the pid translations: the ioctl's return value. */
int nsb_query_int(int fd, enum nsb_request req, int arg);
/* NS_GET_OWNER_UID. */
int nsb_owner_uid(int fd, uint32_t *uid);
/* NS_GET_MNTNS_ID, NS_GET_ID. */
int nsb_query_u64(int fd, enum nsb_request req, uint64_t *out);
/* NS_MNT_GET_INFO (returns 0), NS_MNT_GET_NEXT/PREV (fill out->ns, return its fd). */
int nsb_mnt_query(int fd, enum nsb_request req, struct nsb_mnt_info *info, struct nsb_ns *out);

/* The calling thread's working directory, to come back to after a mount-namespace visit. */
int nsb_open_cwd(void);
int nsb_fchdir(int fd);

/* Errno name ("EUSERS") and description, for errnos libuv has no name for; NULL if unknown. */
const char *nsb_errno_name(int err);
const char *nsb_errno_description(int err);

/* The user name of uid from the C library (NSS, like lsns): 0, or -ENOENT if it has none. */
int nsb_user_name(uint32_t uid, char *name, size_t size);

#ifdef __cplusplus
}
#endif

#endif
