/*
 * spawn's privilege steps in the child (sandbox_privs.c): resource limits,
 * supplementary groups, capabilities, no_new_privs and a seccomp filter, in
 * bubblewrap's order around the id change (limits, groups and the bounding
 * set while still privileged; capabilities kept across setuid with
 * PR_SET_KEEPCAPS and re-raised after it, ambient included; seccomp last
 * before exec). Raw syscalls only: these run in spawn's CLONE_VM child.
 */
#ifndef NSBIND_SANDBOX_PRIVS_H
#define NSBIND_SANDBOX_PRIVS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nsb_spawn_request;

#define NSB_MAX_RLIMITS 16   /* RLIM_NLIMITS: one entry per resource */
#define NSB_MAX_GROUPS 65536 /* NGROUPS_MAX */
#define NSB_MAX_SECCOMP 4096 /* BPF_MAXINSNS */
#define NSB_RLIM_INFINITY (~0ULL)

struct nsb_rlimit {
  int resource; /* RLIMIT_* */
  uint64_t soft, hard;
};

/* Where a privilege step failed: the step (enum nsb_step) and its aux. */
struct nsb_privs_failure {
  int step, aux;
};

/* Whether the privilege fields of the request are within their limits. */
int nsb_privs_check(const struct nsb_spawn_request *q);

/* Before the child changes its ids: limits, groups, the bounding set, PR_SET_KEEPCAPS. */
long nsb_privs_before_ids(const struct nsb_spawn_request *q, struct nsb_privs_failure *f);
/* After it: the capabilities kept in the other four sets, no_new_privs. */
long nsb_privs_after_ids(const struct nsb_spawn_request *q, struct nsb_privs_failure *f);
/* The very last step before exec: the seccomp filter, if any. */
long nsb_privs_seccomp(const struct nsb_spawn_request *q, struct nsb_privs_failure *f);

#ifdef __cplusplus
}
#endif

#endif
