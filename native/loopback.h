/*
 * nsbind spawn: the child brings `lo` up in its new network namespace, as
 * `ip link set lo up` does. The parent builds the rtnetlink request before the
 * clone; the child sends it with raw syscalls and checks the kernel's ack.
 * No N-API types here.
 */
#ifndef NSBIND_LOOPBACK_H
#define NSBIND_LOOPBACK_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where bringing lo up failed: the aux of NSB_STEP_LOOPBACK. */
enum nsb_loopback_stage { NSB_LOOPBACK_SOCKET, NSB_LOOPBACK_SEND, NSB_LOOPBACK_RECV, NSB_LOOPBACK_ACK };

/* What the child sends, and to whom: prepared by the parent, only read by the child. */
struct nsb_loopback {
  struct {
    struct nlmsghdr h;
    struct ifinfomsg ifi;
  } request; /* RTM_NEWLINK ifindex 1 (lo in every network namespace), IFF_UP, with an ack */
  struct sockaddr_nl kernel;
};

/* Parent, before the clone. */
void nsb_loopback_prepare(struct nsb_loopback *lo);

/* Child (async-signal-safe, raw syscalls): 0, or a negative errno with *stage set. */
long nsb_loopback_up(const struct nsb_loopback *lo, int *stage);

#ifdef __cplusplus
}
#endif

#endif
