#define _GNU_SOURCE
#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <unistd.h>

int nsb_bind_ns(int fd, const char *target) {
  char source[32];
  snprintf(source, sizeof(source), "/proc/self/fd/%d", fd);
  return mount(source, target, "none", MS_BIND, NULL) < 0 ? -errno : 0;
}

int nsb_umount_detach(const char *target) { return umount2(target, MNT_DETACH) < 0 ? -errno : 0; }

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

int nsb_bind_new_netns(const char *target) {
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
