/*
 * The same namespace syscalls nsbind makes, from plain C: the floor nsbind is
 * measured against. Prints nanoseconds per operation.
 *   raw setns N PATH   — setns into PATH and back, N round trips
 *   raw unshare N      — unshare(CLONE_NEWUTS), N times
 *   raw ioctl N        — ioctl(NS_GET_ID) on /proc/thread-self/ns/net, N times
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define NS_GET_ID _IOR(0xb7, 13, uint64_t)

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  long n = atol(argv[2]);
  double t0, t1;
  if (!strcmp(argv[1], "setns") && argc == 4) {
    int target = open(argv[3], O_RDONLY | O_CLOEXEC);
    int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (target < 0 || home < 0) die("open");
    for (long i = 0; i < n / 10; i++) /* warm up, as the JS side is */
      if (setns(target, CLONE_NEWNET) || setns(home, CLONE_NEWNET)) die("setns");
    t0 = now();
    for (long i = 0; i < n; i++)
      if (setns(target, CLONE_NEWNET) || setns(home, CLONE_NEWNET)) die("setns");
    t1 = now();
  } else if (!strcmp(argv[1], "unshare")) {
    for (long i = 0; i < n / 10; i++)
      if (unshare(CLONE_NEWUTS)) die("unshare");
    t0 = now();
    for (long i = 0; i < n; i++)
      if (unshare(CLONE_NEWUTS)) die("unshare");
    t1 = now();
  } else if (!strcmp(argv[1], "ioctl")) {
    int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    uint64_t id;
    if (fd < 0) die("open");
    for (long i = 0; i < n / 10; i++)
      if (ioctl(fd, NS_GET_ID, &id)) die("ioctl");
    t0 = now();
    for (long i = 0; i < n; i++)
      if (ioctl(fd, NS_GET_ID, &id)) die("ioctl");
    t1 = now();
  } else {
    return 2;
  }
  printf("%.1f\n", (t1 - t0) / n);
  return 0;
}
