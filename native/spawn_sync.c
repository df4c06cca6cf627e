#define _GNU_SOURCE
#include "spawn_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define CHUNK 65536

struct waiter {
  const struct nsb_spawn_request *q;
  const struct nsb_sync_options *opt;
  struct nsb_sync_result *res;
  int *ends; /* res->spawn.stdio: the parent's end of each pipe, -1 once closed */
  size_t written;
  int killed;
};

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_end(struct waiter *w, int i) {
  if (w->ends[i] >= 0) close(w->ends[i]);
  w->ends[i] = -1;
}

/* As child_process's spawnSync on a timeout, a full buffer or a failure: signal
 * the child once and close our pipe ends (a grandchild holding them cannot make
 * us wait); the exit is still waited for. */
static void stop(struct waiter *w, int error, const char *syscall) {
  if (!w->res->error) {
    w->res->error = error;
    w->res->syscall = syscall;
  }
  if (w->killed) return;
  w->killed = 1;
  nsb_pidfd_kill(w->res->spawn.pidfd, w->opt->kill_signal);
  for (int i = 0; i < w->q->nstdio; i++) close_end(w, i);
}

static void feed(struct waiter *w) {
  const char *input = w->opt->input;
  ssize_t n = write(w->ends[0], input + w->written, w->opt->input_len - w->written);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n < 0 && errno != EPIPE) return stop(w, -errno, "write");
  if (n > 0) w->written += (size_t)n;
  if (n < 0 || w->written == w->opt->input_len) close_end(w, 0); /* EPIPE: the child does not read it */
}

static void drain(struct waiter *w, int i) {
  struct nsb_sync_output *o = &w->res->out[i];
  char buf[CHUNK];
  ssize_t n = read(w->ends[i], buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n < 0 && errno != ECONNRESET) return stop(w, -errno, "read");
  if (n <= 0) return close_end(w, i);
  char *grown = realloc(o->data, o->len + (size_t)n);
  if (!grown) return stop(w, -ENOMEM, "read");
  memcpy(grown + o->len, buf, (size_t)n);
  o->data = grown;
  o->len += (size_t)n;
  if (o->len > w->opt->max_buffer) stop(w, -ENOBUFS, "read");
}

/* poll until the child has exited and every pipe end is closed. */
static void wait_child(struct waiter *w) {
  const struct nsb_spawn_request *q = w->q;
  int pidfd = w->res->spawn.pidfd;
  long deadline = w->opt->timeout_ms > 0 ? now_ms() + w->opt->timeout_ms : -1;
  struct pollfd fds[NSB_MAX_STDIO + 1];
  int which[NSB_MAX_STDIO + 1];
  int exited = 0;
  for (;;) {
    int n = 0;
    if (!exited) {
      fds[n] = (struct pollfd){pidfd, POLLIN, 0};
      which[n++] = -1;
    }
    for (int i = 0; i < q->nstdio; i++) {
      if (w->ends[i] < 0) continue;
      fds[n] = (struct pollfd){w->ends[i], q->stdio[i].kind == NSB_STDIO_PIPE_READ ? POLLOUT : POLLIN, 0};
      which[n++] = i;
    }
    if (n == 0) return;
    long wait = -1;
    if (deadline >= 0 && !w->killed) {
      wait = deadline - now_ms();
      if (wait <= 0) {
        stop(w, -ETIMEDOUT, NULL);
        continue;
      }
    }
    if (poll(fds, (nfds_t)n, (int)(wait > INT32_MAX ? INT32_MAX : wait)) < 0) {
      if (errno == EINTR) continue;
      stop(w, -errno, "poll");
      nsb_pidfd_kill_reap(pidfd); /* poll cannot watch it: nothing can end the wait but the child's end */
      return;
    }
    for (int k = 0; k < n; k++) {
      if (!fds[k].revents) continue;
      if (which[k] < 0)
        exited = 1;
      else if (fds[k].events == POLLOUT)
        feed(w);
      else
        drain(w, which[k]);
    }
  }
}

int nsb_spawn_sync(const struct nsb_spawn_request *q, const struct nsb_sync_options *opt, struct nsb_sync_result *res) {
  memset(res, 0, sizeof *res);
  int r = nsb_spawn(q, &res->spawn);
  if (r < 0) return r;
  struct waiter w = {q, opt, res, res->spawn.stdio, 0, 0};
  for (int i = 0; i < q->nstdio; i++) {
    if (w.ends[i] < 0) continue;
    int flags = fcntl(w.ends[i], F_GETFL);
    if (flags < 0 || fcntl(w.ends[i], F_SETFL, flags | O_NONBLOCK) < 0) stop(&w, -errno, "fcntl");
    res->out[i].piped = q->stdio[i].kind != NSB_STDIO_PIPE_READ;
    if (!res->out[i].piped && (i != 0 || opt->input_len == 0)) close_end(&w, i); /* no input: the child reads EOF */
  }
  wait_child(&w);

  siginfo_t si;
  memset(&si, 0, sizeof si);
  int waited;
  while ((waited = waitid((idtype_t)P_PIDFD, (id_t)res->spawn.pidfd, &si, WEXITED)) < 0 && errno == EINTR) {
  }
  if (waited < 0 && !res->error) {
    res->error = -errno;
    res->syscall = "waitid";
  }
  res->code = si.si_code == CLD_EXITED ? si.si_status : -1;
  res->signal = si.si_code == CLD_EXITED ? 0 : si.si_status;
  close(res->spawn.pidfd);
  res->spawn.pidfd = -1;
  for (int i = 0; i < q->nstdio; i++) close_end(&w, i);
  return 0;
}

void nsb_sync_free(struct nsb_sync_result *res) {
  for (int i = 0; i < NSB_MAX_STDIO; i++) {
    free(res->out[i].data);
    res->out[i].data = NULL;
  }
}
