#define _GNU_SOURCE
#include "lookup.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "socket.h"

static void *lookup_thread(void *arg) {
  struct nsb_lookup *job = arg;
  int home = -1;
  if (!nsb_is_own_netns(job->net_fd) &&
      ((home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0 || setns(job->net_fd, CLONE_NEWNET) < 0)) {
    job->err = -errno;
    job->step = NSB_LOOKUP_STEP_SETNS;
  } else {
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = job->family;
    hints.ai_flags = job->flags;
    hints.ai_socktype = SOCK_STREAM; /* one entry per address, as dns.lookup asks */
    int rc = getaddrinfo(job->host, NULL, &hints, &job->result);
    if (rc == EAI_SYSTEM)
      job->err = errno ? -errno : -EIO;
    else
      job->eai = rc;
    job->step = rc ? NSB_LOOKUP_STEP_GETADDRINFO : NSB_LOOKUP_STEP_NONE;
  }
  close(job->net_fd); /* no fd of the job outlives its answer */
  job->net_fd = -1;
  /* Back home before reporting, so that once the answer is in, no thread of
   * the process is in the namespace any more; the thread ends here anyway. */
  if (home >= 0) {
    setns(home, CLONE_NEWNET);
    close(home);
  }
  job->done(job);
  return NULL;
}

static int pinned;

/* The lookup thread runs this library's code and may outlive the environment that started it: a worker
 * terminated meanwhile, whose teardown would dlclose the addon (the last user, if the main thread never
 * loaded it) and leave the thread running unmapped code. RTLD_NODELETE keeps the library mapped for good. */
static void pin(void) {
  Dl_info self;
  pinned = dladdr((void *)nsb_lookup_start, &self) != 0 && self.dli_fname &&
           dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) != NULL;
}

int nsb_lookup_start(struct nsb_lookup *job) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, pin);
  if (!pinned) return -ELIBACC;
  pthread_attr_t attr;
  pthread_t thread;
  sigset_t all, old;
  int r = pthread_attr_init(&attr);
  if (r != 0) return -r;
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  /* The thread must never run a signal handler: it starts with every signal blocked. */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  r = pthread_create(&thread, &attr, lookup_thread, job);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  return -r;
}

void nsb_lookup_free(struct nsb_lookup *job) {
  if (job->net_fd >= 0) close(job->net_fd);
  job->net_fd = -1;
  free(job->host);
  job->host = NULL;
  if (job->result) freeaddrinfo(job->result);
  job->result = NULL;
}
