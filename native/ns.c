#define _GNU_SOURCE
#include "ns.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* <linux/nsfs.h> on a 6.1 system stops at NS_GET_OWNER_UID; the rest is
 * defined here from the kernel's uapi so the request values are encoded for
 * this architecture by _IO/_IOR. */
#define NSIO 0xb7
static const unsigned long requests[NSB_REQUEST_COUNT] = {
    [NSB_GET_USERNS] = _IO(NSIO, 0x1),
    [NSB_GET_PARENT] = _IO(NSIO, 0x2),
    [NSB_GET_NSTYPE] = _IO(NSIO, 0x3),
    [NSB_GET_OWNER_UID] = _IO(NSIO, 0x4),
    [NSB_GET_MNTNS_ID] = _IOR(NSIO, 0x5, uint64_t),
    [NSB_GET_PID_FROM_PIDNS] = _IOR(NSIO, 0x6, int),
    [NSB_GET_TGID_FROM_PIDNS] = _IOR(NSIO, 0x7, int),
    [NSB_GET_PID_IN_PIDNS] = _IOR(NSIO, 0x8, int),
    [NSB_GET_TGID_IN_PIDNS] = _IOR(NSIO, 0x9, int),
    [NSB_MNT_GET_INFO] = _IOR(NSIO, 10, struct nsb_mnt_info),
    [NSB_MNT_GET_NEXT] = _IOR(NSIO, 11, struct nsb_mnt_info),
    [NSB_MNT_GET_PREV] = _IOR(NSIO, 12, struct nsb_mnt_info),
    [NSB_GET_ID] = _IOR(NSIO, 13, uint64_t),
};
#define MNT_NS_INFO_SIZE_VER0 16

#define RETURN_ERRNO(expr)            \
  do {                                \
    long r_ = (long)(expr);           \
    return r_ < 0 ? -errno : (int)r_; \
  } while (0)

unsigned long nsb_request_value(enum nsb_request req) { return (unsigned)req < NSB_REQUEST_COUNT ? requests[req] : 0; }

/* Fill out from an fd we already own; on failure close it. */
static int describe(int fd, struct nsb_ns *out) {
  struct statfs sfs;
  struct stat st;
  int err;
  if (fstatfs(fd, &sfs) < 0) goto fail;
  if (sfs.f_type != NSFS_MAGIC) {
    errno = EINVAL;
    goto fail;
  }
  if (fstat(fd, &st) < 0) goto fail;
  int type = ioctl(fd, requests[NSB_GET_NSTYPE]);
  if (type < 0) goto fail;
  out->fd = fd;
  out->type = type;
  out->dev = st.st_dev;
  out->ino = st.st_ino;
  return fd;
fail:
  err = errno;
  close(fd);
  return -err;
}

/* O_NONBLOCK: a FIFO (or a device) at a namespace path must not block the thread; describe() then refuses
 * anything that is not nsfs. */
int nsb_open(const char *path, struct nsb_ns *out) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return -errno;
  return describe(fd, out);
}

int nsb_dup(int fd, struct nsb_ns *out) {
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return -errno;
  return describe(copy, out);
}

int nsb_close(int fd) { RETURN_ERRNO(close(fd)); }

int nsb_identity(int fd, uint64_t *dev, uint64_t *ino) {
  struct stat st;
  if (fstat(fd, &st) < 0) return -errno;
  *dev = st.st_dev;
  *ino = st.st_ino;
  return 0;
}

int nsb_close_if(int fd, uint64_t dev, uint64_t ino) {
  uint64_t d, i;
  int r = nsb_identity(fd, &d, &i);
  if (r < 0) return r;
  if (d != dev || i != ino) return -ESTALE;
  return nsb_close(fd);
}

int nsb_unshare(int flags) { RETURN_ERRNO(unshare(flags)); }

int nsb_setns(int fd, int nstype) { RETURN_ERRNO(setns(fd, nstype)); }

/* pidfds are always close-on-exec. */
int nsb_pidfd_open(int pid) { RETURN_ERRNO(syscall(SYS_pidfd_open, pid, 0)); }

/* <linux/pidfd.h> on a 6.1 system has no ioctls: from the kernel's uapi include/uapi/linux/pidfd.h. */
#define PIDFS_IOCTL_MAGIC 0xFF
static const struct {
  int nstype, for_children;
  unsigned long request;
  const char *entry;
} pidfd_namespaces[] = {
    {CLONE_NEWCGROUP, 0, _IO(PIDFS_IOCTL_MAGIC, 1), "cgroup"},
    {CLONE_NEWIPC, 0, _IO(PIDFS_IOCTL_MAGIC, 2), "ipc"},
    {CLONE_NEWNS, 0, _IO(PIDFS_IOCTL_MAGIC, 3), "mnt"},
    {CLONE_NEWNET, 0, _IO(PIDFS_IOCTL_MAGIC, 4), "net"},
    {CLONE_NEWPID, 0, _IO(PIDFS_IOCTL_MAGIC, 5), "pid"},
    {CLONE_NEWPID, 1, _IO(PIDFS_IOCTL_MAGIC, 6), "pid_for_children"},
    {CLONE_NEWTIME, 0, _IO(PIDFS_IOCTL_MAGIC, 7), "time"},
    {CLONE_NEWTIME, 1, _IO(PIDFS_IOCTL_MAGIC, 8), "time_for_children"},
    {CLONE_NEWUSER, 0, _IO(PIDFS_IOCTL_MAGIC, 9), "user"},
    {CLONE_NEWUTS, 0, _IO(PIDFS_IOCTL_MAGIC, 10), "uts"},
};

/* The pid (in our pid namespace) of the process a pidfd refers to, from its fdinfo; -ESRCH once it is gone. */
static int pidfd_pid(int pidfd) {
  char path[48], buf[512];
  snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  int err = errno;
  close(fd);
  if (n < 0) return -err;
  buf[n] = '\0';
  const char *line = strstr(buf, "\nPid:\t");
  if (!line) return -EBADF; /* not a pidfd */
  long pid = strtol(line + 6, NULL, 10);
  return pid > 0 ? (int)pid : -ESRCH; /* -1: exited (reaped); 0: not in our pid namespace */
}

static int via_proc_ns(int pidfd, const char *entry, struct nsb_ns *out) {
  int pid = pidfd_pid(pidfd);
  if (pid < 0) return pid;
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, entry);
  int r = nsb_open(path, out);
  /* Opened first, checked after: had the pid been reused, the process the pidfd names would be gone now. */
  if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) {
    int err = errno;
    if (r >= 0) close(r);
    return -err;
  }
  return r;
}

int nsb_pidfd_namespace(int pidfd, int nstype, int for_children, int via_proc, struct nsb_ns *out) {
  for (size_t i = 0; i < sizeof(pidfd_namespaces) / sizeof(pidfd_namespaces[0]); i++) {
    if (pidfd_namespaces[i].nstype != nstype || pidfd_namespaces[i].for_children != !!for_children) continue;
    if (via_proc) return via_proc_ns(pidfd, pidfd_namespaces[i].entry, out);
    int fd = ioctl(pidfd, pidfd_namespaces[i].request, 0); /* the kernel opens it O_CLOEXEC */
    if (fd >= 0) return describe(fd, out);
    if (errno != ENOTTY && errno != EINVAL) return -errno; /* EINVAL, ENOTTY: a kernel without these ioctls */
    return via_proc_ns(pidfd, pidfd_namespaces[i].entry, out);
  }
  return -EINVAL;
}

int nsb_related(int fd, enum nsb_request req, struct nsb_ns *out) {
  if (req != NSB_GET_USERNS && req != NSB_GET_PARENT) return -EINVAL;
  int related = ioctl(fd, requests[req]); /* the kernel opens it O_CLOEXEC */
  if (related < 0) return -errno;
  return describe(related, out);
}

int nsb_query_int(int fd, enum nsb_request req, int arg) {
  switch (req) {
    case NSB_GET_NSTYPE:
    case NSB_GET_PID_FROM_PIDNS:
    case NSB_GET_TGID_FROM_PIDNS:
    case NSB_GET_PID_IN_PIDNS:
    case NSB_GET_TGID_IN_PIDNS:
      RETURN_ERRNO(ioctl(fd, requests[req], (unsigned long)arg));
    default:
      return -EINVAL;
  }
}

int nsb_owner_uid(int fd, uint32_t *uid) { RETURN_ERRNO(ioctl(fd, requests[NSB_GET_OWNER_UID], uid)); }

int nsb_query_u64(int fd, enum nsb_request req, uint64_t *out) {
  if (req != NSB_GET_MNTNS_ID && req != NSB_GET_ID) return -EINVAL;
  RETURN_ERRNO(ioctl(fd, requests[req], out));
}

int nsb_mnt_query(int fd, enum nsb_request req, struct nsb_mnt_info *info, struct nsb_ns *out) {
  if (req != NSB_MNT_GET_INFO && req != NSB_MNT_GET_NEXT && req != NSB_MNT_GET_PREV) return -EINVAL;
  info->size = MNT_NS_INFO_SIZE_VER0;
  int r = ioctl(fd, requests[req], info);
  if (r < 0) return -errno;
  if (req == NSB_MNT_GET_INFO) return 0;
  return describe(r, out);
}

int nsb_open_cwd(void) { RETURN_ERRNO(open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)); }

int nsb_fchdir(int fd) { RETURN_ERRNO(fchdir(fd)); }

const char *nsb_errno_name(int err) {
#ifdef __GLIBC__
  return strerrorname_np(err);
#else
  (void)err;
  return NULL;
#endif
}

const char *nsb_errno_description(int err) {
#ifdef __GLIBC__
  return strerrordesc_np(err);
#else
  return strerror(err);
#endif
}

int nsb_user_name(uint32_t uid, char *name, size_t size) {
  struct passwd pw, *found = NULL;
  char buf[4096];
  int r = getpwuid_r(uid, &pw, buf, sizeof(buf), &found);
  if (r != 0) return -r;
  if (!found || !found->pw_name) return -ENOENT;
  if (strlen(found->pw_name) >= size) return -ERANGE;
  strcpy(name, found->pw_name);
  return 0;
}
