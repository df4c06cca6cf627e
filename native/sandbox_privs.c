#define _GNU_SOURCE
#include "sandbox_privs.h"

#include "raw_syscall.h"
#include "spawn.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#define SYS RAW_SYS
#define MAX_CAP 64 /* the kernel's capability sets are 64 bits */

int nsb_privs_check(const struct nsb_spawn_request *q) {
  if (q->nrlimits < 0 || q->nrlimits > NSB_MAX_RLIMITS || (q->nrlimits && !q->rlimits)) return 0;
  for (int i = 0; i < q->nrlimits; i++)
    if (q->rlimits[i].resource < 0 || q->rlimits[i].resource >= NSB_MAX_RLIMITS ||
        q->rlimits[i].soft > q->rlimits[i].hard)
      return 0;
  if (q->ngroups < -1 || q->ngroups > NSB_MAX_GROUPS || (q->ngroups > 0 && !q->groups)) return 0;
  return q->seccomp_len >= 0 && q->seccomp_len <= NSB_MAX_SECCOMP && (!q->seccomp_len || q->seccomp);
}

CHILD static int kept(const struct nsb_spawn_request *q, int cap) { return (q->caps >> cap) & 1; }

CHILD long nsb_privs_before_ids(const struct nsb_spawn_request *q, struct nsb_privs_failure *f) {
  long r;
  for (int i = 0; i < q->nrlimits; i++) {
    uint64_t lim[2] = {q->rlimits[i].soft, q->rlimits[i].hard};
    f->step = NSB_STEP_RLIMIT;
    f->aux = q->rlimits[i].resource;
    if ((r = SYS(SYS_prlimit64, 0, q->rlimits[i].resource, lim, 0)) < 0) return r;
  }
  if (q->ngroups >= 0) {
    f->step = NSB_STEP_SETGROUPS;
    f->aux = q->ngroups;
    if ((r = SYS(SYS_setgroups, q->ngroups, q->groups)) < 0) return r;
  }
  if (!q->has_caps) return 0;
  /* the bounding set while CAP_SETPCAP is still effective: only what it holds can be dropped */
  f->step = NSB_STEP_CAPABILITIES;
  f->aux = -1;
  for (int cap = 0; cap < MAX_CAP; cap++) {
    r = SYS(SYS_prctl, PR_CAPBSET_READ, cap, 0, 0, 0);
    if (r == -EINVAL) break; /* past the kernel's last capability */
    f->aux = cap;
    if (r < 0) return r;
    if (r == 1 && !kept(q, cap) && (r = SYS(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0)) < 0) return r;
  }
  f->aux = -2;
  /* setuid to a non-zero uid would clear the permitted set: keep it across */
  if (q->uid != (uid_t)-1 && (r = SYS(SYS_prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0)) < 0) return r;
  return 0;
}

CHILD long nsb_privs_after_ids(const struct nsb_spawn_request *q, struct nsb_privs_failure *f) {
  long r;
  if (q->has_caps) {
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    for (int i = 0; i < 2; i++) {
      uint32_t word = (uint32_t)(q->caps >> (32 * i));
      data[i].effective = word;
      data[i].permitted = word;
      data[i].inheritable = word;
    }
    f->step = NSB_STEP_CAPABILITIES;
    f->aux = -1;
    if ((r = SYS(SYS_capset, &header, data)) < 0) return r;
    /* ambient: what a program without file capabilities keeps across exec when its uid is not 0 */
    f->aux = -2;
    if ((r = SYS(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)) < 0) return r;
    for (int cap = 0; cap < MAX_CAP; cap++) {
      f->aux = cap;
      if (kept(q, cap) && (r = SYS(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0)) < 0) return r;
    }
  }
  f->step = NSB_STEP_NO_NEW_PRIVS;
  f->aux = -1;
  if (q->no_new_privs && (r = SYS(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) < 0) return r;
  return 0;
}

CHILD long nsb_privs_seccomp(const struct nsb_spawn_request *q, struct nsb_privs_failure *f) {
  if (!q->seccomp_len) return 0;
  struct sock_fprog prog;
  prog.len = (unsigned short)q->seccomp_len;
  prog.filter = (struct sock_filter *)q->seccomp; /* the kernel only reads it */
  f->step = NSB_STEP_SECCOMP;
  f->aux = -1;
  return SYS(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}
