#define _GNU_SOURCE
#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif
#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

/* One file name: no '/', not empty, not "." or "..". */
static int one_name(const char *name) {
  return name[0] != '\0' && strchr(name, '/') == NULL && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static void fd_path(char out[32], int fd) { snprintf(out, 32, "/proc/self/fd/%d", fd); }

static int identify(int fd, struct nsb_file *out) {
  struct stat st;
  if (fstat(fd, &st) < 0) return -errno;
  out->dev = st.st_dev;
  out->ino = st.st_ino;
  return 0;
}

int nsb_open_dir(const char *path) {
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

struct new_netns {
  const char *target;
  int err;
};

static void *new_netns_thread(void *arg) {
  struct new_netns *job = arg;
  if (unshare(CLONE_NEWNET) < 0 || mount("/proc/thread-self/ns/net", job->target, "none", MS_BIND, NULL) < 0)
    job->err = errno;
  return NULL;
}

/* The new network namespace is made and mounted on a thread of its own. */
static int bind_new_netns(const char *target) {
  struct new_netns job = {target, 0};
  sigset_t all, old;
  pthread_t thread;
  /* The thread must never run a signal handler: it starts with every signal blocked. */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int r = pthread_create(&thread, NULL, new_netns_thread, &job);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (r != 0) return -r;
  r = pthread_join(thread, NULL);
  if (r != 0) return -r;
  return -job.err;
}

/* The mount point: created here, or (not exclusive) an existing file that is not a symlink. */
static int mount_point(int dirfd, const char *name, int exclusive, struct nsb_file *out) {
  out->failed = "open";
  int fd = openat(dirfd, name, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0);
  out->created = fd >= 0;
  if (fd < 0 && (errno != EEXIST || exclusive)) return -errno;
  if (fd < 0) fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -errno;
  struct stat st;
  int r = fstat(fd, &st) < 0 ? -errno : S_ISLNK(st.st_mode) ? -ELOOP : 0;
  if (r == 0) {
    out->dev = st.st_dev;
    out->ino = st.st_ino;
    return fd;
  }
  close(fd);
  return r;
}

static int is_nsfs(int fd) {
  struct statfs sfs;
  if (fstatfs(fd, &sfs) < 0) return -errno;
  return sfs.f_type == NSFS_MAGIC ? 0 : -EINVAL;
}

int nsb_persist_at(int nsfd, int dirfd, const char *name, int exclusive, struct nsb_file *out) {
  out->created = 0;
  out->failed = "statfs";
  if (!one_name(name)) return -EINVAL;
  int r = nsfd < 0 ? 0 : is_nsfs(nsfd);
  if (r < 0) return r;
  int target = mount_point(dirfd, name, exclusive, out);
  if (target < 0) return target;
  char source[32], on[32];
  fd_path(source, nsfd);
  fd_path(on, target);
  out->failed = "mount";
  r = nsfd < 0 ? bind_new_netns(on) : mount(source, on, "none", MS_BIND, NULL) < 0 ? -errno : 0;
  close(target);
  if (r < 0 && out->created) nsb_unlink_at(dirfd, name, out);
  return r;
}

/* The root of a bind mount of a namespace file: nsfs, and a mount's root (not a path inside one). */
static int is_ns_mount(int fd) {
  struct statx stx;
  int r = is_nsfs(fd);
  if (r < 0) return r;
  if (statx(fd, "", AT_EMPTY_PATH, 0, &stx) < 0) return -errno;
  if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
    return -EINVAL;
  return 0;
}

int nsb_release_at(int dirfd, const char *name, struct nsb_file *out) {
  out->created = 0;
  out->failed = "open";
  if (!one_name(name)) return -EINVAL;
  int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -errno;
  char on[32];
  fd_path(on, fd);
  out->failed = "umount2"; /* EINVAL: nothing of a namespace is mounted there, as umount2 says */
  int r = is_ns_mount(fd);
  if (r == 0 && umount2(on, MNT_DETACH) < 0) r = -errno;
  close(fd);
  if (r < 0) return r;
  out->failed = "open";
  fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC); /* what the mount covered */
  if (fd < 0) return -errno;
  r = identify(fd, out);
  close(fd);
  return r;
}

int nsb_unlink_at(int dirfd, const char *name, const struct nsb_file *expect) {
  if (!one_name(name)) return -EINVAL;
  if (expect) {
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return -errno;
    if (st.st_dev != expect->dev || st.st_ino != expect->ino) return -ESTALE;
  }
  return unlinkat(dirfd, name, 0) < 0 ? -errno : 0;
}

/* Called with dir locked. EINVAL from MS_SHARED means "not a mount point". */
static int make_shared(const char *dir) {
  int made = 0;
  while (mount("", dir, "none", MS_SHARED | MS_REC, NULL) < 0) {
    if (errno != EINVAL || made) return -errno;
    /* Private before shared, so that the new mount gets a peer group of its own. */
    if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) < 0) return -errno;
    if (mount("", dir, "none", MS_PRIVATE | MS_REC, NULL) < 0) return -errno;
    made = 1;
  }
  return 0;
}

int nsb_make_shared_mountpoint(const char *dir) {
  int lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock < 0) return -errno;
  /* Like iproute2: go on without the lock if flock is not possible. */
  int locked = flock(lock, LOCK_EX) == 0;
  int r = make_shared(dir);
  if (locked) flock(lock, LOCK_UN);
  close(lock);
  return r;
}
