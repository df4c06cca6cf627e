#define _GNU_SOURCE
#include "loopback.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "raw_syscall.h"

void nsb_loopback_prepare(struct nsb_loopback *lo) {
  memset(lo, 0, sizeof *lo);
  lo->request.h.nlmsg_len = sizeof lo->request;
  lo->request.h.nlmsg_type = RTM_NEWLINK;
  lo->request.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  lo->request.h.nlmsg_seq = 1;
  lo->request.ifi.ifi_family = AF_UNSPEC;
  lo->request.ifi.ifi_index = 1;
  lo->request.ifi.ifi_flags = IFF_UP;
  lo->request.ifi.ifi_change = IFF_UP;
  lo->kernel.nl_family = AF_NETLINK;
}

/* The kernel handles the request inside sendto and queues its ack before
 * returning: one recvfrom reads it. An ack of success carries the request's
 * header, an error one the whole request; either fits. */
CHILD static long read_ack(long fd, const struct nsb_loopback *lo, int *stage) {
  union {
    struct nlmsghdr h;
    char bytes[256];
  } answer;
  *stage = NSB_LOOPBACK_RECV;
  long n = RAW_SYS(SYS_recvfrom, fd, &answer, sizeof answer, 0, 0, 0);
  if (n < 0) return n;
  *stage = NSB_LOOPBACK_ACK;
  const struct nlmsgerr *ack = NLMSG_DATA(&answer.h);
  if ((size_t)n < NLMSG_LENGTH(sizeof ack->error) || answer.h.nlmsg_type != NLMSG_ERROR ||
      answer.h.nlmsg_seq != lo->request.h.nlmsg_seq || ack->error > 0)
    return -EPROTO;
  return ack->error;
}

CHILD long nsb_loopback_up(const struct nsb_loopback *lo, int *stage) {
  *stage = NSB_LOOPBACK_SOCKET;
  long fd = RAW_SYS(SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return fd;
  *stage = NSB_LOOPBACK_SEND;
  long r = RAW_SYS(SYS_sendto, fd, &lo->request, sizeof lo->request, 0, &lo->kernel, sizeof lo->kernel);
  if (r >= 0) r = read_ack(fd, lo, stage);
  RAW_SYS(SYS_close, fd);
  return r;
}
