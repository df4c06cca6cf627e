#define _GNU_SOURCE
#include "fdscan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SIOCGSKNS
#define SIOCGSKNS 0x894C
#endif

const char *const nsb_ns_entries[NSB_NS_ENTRIES] = {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"};

/* Our copy (close-on-exec) of fd `fd` of the process `pidfd` refers to. */
static int copy_fd(int pidfd, int fd) {
  int copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
  return copy < 0 ? -errno : copy;
}

/* The network namespace (an fd) of the socket `sk`; closes sk. */
static int socket_netns(int sk) {
  int ns = ioctl(sk, SIOCGSKNS); /* opened close-on-exec by the kernel */
  int err = errno;
  close(sk);
  return ns < 0 ? -err : ns;
}

/* The inode of the network namespace of socket `fd`; *pidfd is opened on first use (-errno once it failed). */
static int socket_netns_ino(int pid, int *pidfd, int fd, uint64_t *ino) {
  if (*pidfd == -1) {
    *pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (*pidfd < 0) *pidfd = -errno;
  }
  if (*pidfd < 0) return *pidfd;
  int sk = copy_fd(*pidfd, fd);
  if (sk < 0) return sk;
  int ns = socket_netns(sk);
  if (ns < 0) return ns;
  struct stat st;
  int r = fstat(ns, &st) < 0 ? -errno : 0;
  close(ns);
  if (r == 0) *ino = st.st_ino;
  return r;
}

/* 1 when `name` is a decimal fd number, stored in *fd. */
static int fd_name(const char *name, int *fd) {
  long n = 0;
  if (!*name) return 0;
  for (const char *p = name; *p; p++) {
    if (*p < '0' || *p > '9' || n > 0x7fffffff / 10) return 0;
    n = n * 10 + (*p - '0');
  }
  *fd = (int)n;
  return 1;
}

/* The inode a namespace link names ("net:[4026531840]"), or 0 if it is not one. */
static uint64_t link_inode(const char *link, ssize_t len) {
  const char *open = memchr(link, '[', (size_t)len);
  uint64_t ino = 0;
  if (!open || len < 2 || link[len - 1] != ']') return 0;
  for (const char *p = open + 1; p < link + len - 1; p++) {
    if (*p < '0' || *p > '9') return 0;
    ino = ino * 10 + (uint64_t)(*p - '0');
  }
  return ino;
}

enum fd_kind { FD_OTHER, FD_SOCKET, FD_NAMESPACE };

/* What fd `name` of the directory `dfd` (a /proc/PID/fd) is, nsfs being device `nsfs`; a namespace's
 * inode goes to *ino. Its link tells most ("socket:[…]", "net:[4026531840]" for an nsfs file); a path
 * may be an nsfs file opened through a bind mount (/run/netns/NAME) or any file, which is asked for the
 * attributes the kernel has cached only: a FUSE or NFS server that does not answer would hang a plain
 * stat for good. */
static enum fd_kind fd_kind(int dfd, const char *name, dev_t nsfs, uint64_t *ino) {
  char link[64];
  ssize_t len = readlinkat(dfd, name, link, sizeof(link));
  if (len <= 0) return FD_OTHER; /* gone */
  if (link[0] == '/') {
    struct statx st;
    if (statx(dfd, name, AT_STATX_DONT_SYNC, STATX_TYPE | STATX_INO, &st) < 0 ||
        makedev(st.stx_dev_major, st.stx_dev_minor) != nsfs)
      return FD_OTHER;
    *ino = st.stx_ino;
    return FD_NAMESPACE;
  }
  if ((size_t)len == sizeof(link)) return FD_OTHER;
  const char *colon = memchr(link, ':', (size_t)len);
  size_t type_len = colon ? (size_t)(colon - link) : 0;
  if (type_len == 6 && memcmp(link, "socket", 6) == 0) return link_inode(link, len) ? FD_SOCKET : FD_OTHER;
  for (int i = 0; i < NSB_NS_ENTRIES; i++)
    if (type_len == strlen(nsb_ns_entries[i]) && memcmp(link, nsb_ns_entries[i], type_len) == 0)
      return (*ino = link_inode(link, len)) ? FD_NAMESPACE : FD_OTHER;
  return FD_OTHER;
}

/* The namespaces the fds in /proc/PID/fd (`proc` is /proc/PID) hold, nsfs being device `nsfs`. */
static int held_namespaces(int proc, int pid, dev_t nsfs, struct nsb_held *out, size_t max) {
  int dfd = openat(proc, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return 0; /* not ours to inspect: nothing more to learn, as for lsns */
  DIR *dir = fdopendir(dfd);
  if (!dir) {
    close(dfd);
    return 0;
  }
  int pidfd = -1, r = 0;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(dir))) {
    uint64_t ino = 0;
    int fd;
    if (!fd_name(e->d_name, &fd)) continue;
    enum fd_kind kind = fd_kind(dirfd(dir), e->d_name, nsfs, &ino);
    if (kind == FD_OTHER || (kind == FD_SOCKET && socket_netns_ino(pid, &pidfd, fd, &ino) < 0)) continue;
    size_t i = 0;
    while (i < n && out[i].ino != ino) i++;
    if (i < n) continue; /* held already, through an earlier fd */
    if (n == max) {
      r = -ENOSPC;
      break;
    }
    out[n].fd = fd;
    out[n].ino = ino;
    n++;
  }
  if (pidfd >= 0) close(pidfd);
  closedir(dir);
  return r < 0 ? r : (int)n;
}

int nsb_process_namespaces(int pid, uint64_t inodes[NSB_NS_ENTRIES], int with_fds, struct nsb_held *out, size_t max) {
  char path[32];
  snprintf(path, sizeof(path), "/proc/%d", pid);
  int proc = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (proc < 0) return -errno;
  int r = 0, first = -1;
  /* readlink, as lsns's stat would be (the same permission check), is several times cheaper */
  for (int i = 0; i < NSB_NS_ENTRIES && r == 0; i++) {
    char entry[16], link[64];
    snprintf(entry, sizeof(entry), "ns/%s", nsb_ns_entries[i]);
    ssize_t len = readlinkat(proc, entry, link, sizeof(link));
    inodes[i] = len > 0 ? link_inode(link, len) : 0;
    if (len < 0 && errno != ENOENT) r = -errno; /* ENOENT: no such entry on this kernel, or the process exited */
    if (inodes[i] && first < 0) first = i;
  }
  if (r == 0 && with_fds && first >= 0) {
    char entry[16];
    struct stat st;
    snprintf(entry, sizeof(entry), "ns/%s", nsb_ns_entries[first]);
    if (fstatat(proc, entry, &st, 0) == 0) r = held_namespaces(proc, pid, st.st_dev, out, max); /* nsfs's device */
  }
  close(proc);
  return r;
}

int nsb_held_namespace(int pid, int fd) {
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) return -errno;
  int copy = copy_fd(pidfd, fd);
  close(pidfd);
  if (copy < 0) return copy;
  /* the attributes the kernel has cached only: the fd number may name a file of a FUSE server by now */
  struct statx st;
  if (statx(copy, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE, &st) < 0) {
    int err = errno;
    close(copy);
    return -err;
  }
  return S_ISSOCK(st.stx_mode) ? socket_netns(copy) : copy;
}
