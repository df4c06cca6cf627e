/*
 * nsbind: name resolution inside a network namespace. getaddrinfo(3) is libc
 * code (NSS, locks, malloc), so it cannot run in a raw clone child; it runs on
 * a new thread of our own that joins the namespace, resolves, reports and
 * exits: no other thread of the process changes namespace, and the caller's
 * thread does not wait. Plain C, no N-API types.
 */
#ifndef NSBIND_LOOKUP_H
#define NSBIND_LOOKUP_H

#include <netdb.h>

#ifdef __cplusplus
extern "C" {
#endif

enum nsb_lookup_step { NSB_LOOKUP_STEP_NONE, NSB_LOOKUP_STEP_SETNS, NSB_LOOKUP_STEP_GETADDRINFO };

struct nsb_lookup {
  /* in, owned by the job (see nsb_lookup_free): a dup of the namespace fd, the name */
  int net_fd;
  char *host;
  int family; /* AF_UNSPEC, AF_INET, AF_INET6 */
  int flags;  /* AI_ADDRCONFIG, AI_V4MAPPED, AI_ALL */
  /* out: a negative errno (setns, or getaddrinfo's EAI_SYSTEM), or getaddrinfo's EAI_* code in eai; 0, 0 on success */
  int err;
  int eai;
  int step;
  struct addrinfo *result; /* freeaddrinfo'd by nsb_lookup_free */
  /* called on the lookup thread once the result is in; the thread ends after it returns */
  void (*done)(struct nsb_lookup *job);
  void *context;
};

/* Start the lookup thread (every signal blocked in it, detached). 0, or a
 * negative errno when no thread could be started (then done is never called). */
int nsb_lookup_start(struct nsb_lookup *job);

/* Release what the job owns (fd, host, result); not the job itself. */
void nsb_lookup_free(struct nsb_lookup *job);

#ifdef __cplusplus
}
#endif

#endif
