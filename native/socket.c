#define _GNU_SOURCE
#include "socket.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include "raw_syscall.h"

#ifndef SIOCGSKNS
#define SIOCGSKNS 0x894C
#endif

/* The child's stack: it makes three system calls and needs little. */
#define CHILD_STACK (16 * 1024)

/* Prepared before the clone; the child reads the inputs and writes the result. */
struct socket_job {
  int net_fd, user_fd;
  int domain, type, protocol;
  int result, step;
};

CHILD static int socket_child(void *arg) {
  struct socket_job *j = arg;
  long r = RAW_SYS(SYS_setns, j->net_fd, CLONE_NEWNET);
  if (r == -EPERM && j->user_fd >= 0) {
    /* nsenter's second pass: the owning user namespace grants CAP_SYS_ADMIN there */
    r = RAW_SYS(SYS_setns, j->user_fd, CLONE_NEWUSER);
    if (r < 0) {
      j->step = NSB_SOCKET_STEP_SETNS_USER;
      j->result = (int)r;
      return 0;
    }
    r = RAW_SYS(SYS_setns, j->net_fd, CLONE_NEWNET);
  }
  if (r < 0) {
    j->step = NSB_SOCKET_STEP_SETNS_NET;
    j->result = (int)r;
    return 0;
  }
  j->step = NSB_SOCKET_STEP_SOCKET;
  j->result = (int)RAW_SYS(SYS_socket, j->domain, j->type | SOCK_CLOEXEC, j->protocol);
  return 0;
}

int nsb_is_own_netns(int fd) {
  struct stat a, b;
  return fstat(fd, &a) == 0 && stat("/proc/thread-self/ns/net", &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

int nsb_socket_at(int net_fd, int user_fd, int domain, int type, int protocol, int *step) {
  if (nsb_is_own_netns(net_fd)) {
    int fd = socket(domain, type | SOCK_CLOEXEC, protocol);
    *step = fd < 0 ? NSB_SOCKET_STEP_SOCKET : NSB_SOCKET_STEP_NONE;
    return fd < 0 ? -errno : fd;
  }
  struct socket_job job = {net_fd, user_fd, domain, type, protocol, -EIO, NSB_SOCKET_STEP_CLONE};
  _Alignas(16) char stack[CHILD_STACK];
  sigset_t all, old;
  /* The child shares our memory but not our signal handlers' assumptions: it
   * must never run one, so it starts (and ends) with every signal blocked. It
   * shares the fd table (CLONE_FILES), not the filesystem state (a user
   * namespace can only be joined by a task that shares it with nobody), and
   * sends no exit signal. CLONE_VFORK: we resume once it has exited. */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = clone(socket_child, stack + sizeof stack, CLONE_VM | CLONE_FILES | CLONE_VFORK, &job);
  int clone_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (pid < 0) {
    *step = NSB_SOCKET_STEP_CLONE;
    return -clone_err;
  }
  /* The zombie keeps its pid until this wait, so the pid cannot name anyone else. */
  while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR) {
  }
  *step = job.result < 0 ? job.step : NSB_SOCKET_STEP_NONE;
  return job.result;
}

int nsb_bind(int fd, const void *addr, unsigned len, int reuse_addr, int v6only) {
  int one = 1;
  if (reuse_addr && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) return -errno;
  if (v6only >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) < 0) return -errno;
  return bind(fd, (const struct sockaddr *)addr, len) < 0 ? -errno : 0;
}

int nsb_connect(int fd, const void *addr, unsigned len) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return -errno;
  int r;
  while ((r = connect(fd, (const struct sockaddr *)addr, len)) < 0 && errno == EINTR) {
  }
  return r < 0 ? -errno : 0;
}

int nsb_socket_netns(int fd) {
  int ns = ioctl(fd, SIOCGSKNS); /* the kernel opens it O_CLOEXEC (open_related_ns) */
  return ns < 0 ? -errno : ns;
}
