/*
 * nsbind spawnSync: nsb_spawn, then wait for the child on the calling thread
 * with poll(2) on its pidfd and its stdio pipes (no event loop, no pool
 * thread), feeding stdin and collecting what the child writes, as
 * child_process.spawnSync does. No N-API types here.
 */
#ifndef NSBIND_SPAWN_SYNC_H
#define NSBIND_SPAWN_SYNC_H

#include <stddef.h>

#include "spawn.h"

#ifdef __cplusplus
extern "C" {
#endif

struct nsb_sync_options {
  const void *input; /* written to the child's fd 0 when it is a pipe, which is then closed */
  size_t input_len;
  long timeout_ms;   /* 0: none */
  size_t max_buffer; /* bytes per output pipe before the child is killed (ENOBUFS) */
  int kill_signal;
};

/* What one child fd gave: the bytes the child wrote to it (pipes it writes, socketpairs). */
struct nsb_sync_output {
  char *data; /* malloc'd (NULL while empty); nsb_sync_free releases it */
  size_t len;
  int piped; /* 1: this fd was a pipe the child writes, and data is its output */
};

struct nsb_sync_result {
  struct nsb_spawn_result spawn; /* step, aux and pid when nsb_spawn failed */
  int code, signal;              /* how the child ended (code -1 when a signal ended it) */
  int error;                     /* 0, -ETIMEDOUT, -ENOBUFS (and the child was killed), or a poll/read/waitid errno */
  const char *syscall;           /* what failed for error (not for ETIMEDOUT / ENOBUFS) */
  struct nsb_sync_output out[NSB_MAX_STDIO];
};

/* Returns nsb_spawn's result (0 or a negative errno); when 0, the child has
 * been waited for and reaped, every fd nsb_spawn made is closed, and res holds
 * its status and output (free it with nsb_sync_free). */
int nsb_spawn_sync(const struct nsb_spawn_request *req, const struct nsb_sync_options *opt,
                   struct nsb_sync_result *res);
void nsb_sync_free(struct nsb_sync_result *res);

#ifdef __cplusplus
}
#endif

#endif
