#define _GNU_SOURCE
#include "netlink.h"

#include <errno.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "socket.h"

/* A request the kernel never answers would be our bug; still, never hang the caller's thread on it. */
#define RECV_TIMEOUT_SECONDS 10

int nsb_netlink_open(int net_fd, int user_fd, int *step) {
  int fd = nsb_socket_at(net_fd, user_fd, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, step);
  if (fd < 0) return fd;
  int one = 1;
  struct timeval timeout = {RECV_TIMEOUT_SECONDS, 0};
  /* Optional refinements: an older kernel without them still answers. */
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  struct sockaddr_nl local = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
    int err = errno;
    close(fd);
    *step = NSB_SOCKET_STEP_SOCKET;
    return -err;
  }
  return fd;
}

/* The extended-ack message of an NLMSG_ERROR, if the kernel attached one. */
static void ack_message(const struct nlmsghdr *h, char *out, size_t size) {
  const struct nlmsgerr *e = NLMSG_DATA(h);
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS)) return;
  size_t off = NLMSG_HDRLEN + sizeof *e;
  /* the request was echoed (padded: the attributes start aligned) */
  if (!(h->nlmsg_flags & NLM_F_CAPPED)) off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
  while (off + NLA_HDRLEN <= h->nlmsg_len) {
    const struct nlattr *a = (const struct nlattr *)((const char *)h + off);
    if (a->nla_len < NLA_HDRLEN || off + a->nla_len > h->nlmsg_len) return;
    if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
      size_t n = a->nla_len - NLA_HDRLEN;
      if (n >= size) n = size - 1;
      memcpy(out, (const char *)a + NLA_HDRLEN, n);
      out[n] = '\0';
      return;
    }
    off += NLA_ALIGN(a->nla_len);
  }
}

static int append(struct nsb_netlink_answer *a, const void *msg, size_t len) {
  unsigned char *data = realloc(a->data, a->len + len);
  if (!data) return -ENOMEM;
  memcpy(data + a->len, msg, len);
  a->data = data;
  a->len += len;
  return 0;
}

/* Read one datagram (sized with MSG_PEEK|MSG_TRUNC first) into *buf. */
static ssize_t receive(int fd, unsigned char **buf, size_t *size) {
  ssize_t n;
  while ((n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC)) < 0 && errno == EINTR) {
  }
  if (n < 0) return errno == EAGAIN ? -ETIMEDOUT : -errno;
  if ((size_t)n > *size) {
    unsigned char *bigger = realloc(*buf, (size_t)n);
    if (!bigger) return -ENOMEM;
    *buf = bigger;
    *size = (size_t)n;
  }
  while ((n = recv(fd, *buf, *size, 0)) < 0 && errno == EINTR) {
  }
  return n < 0 ? (errno == EAGAIN ? -ETIMEDOUT : -errno) : n;
}

/* 1: the answer is complete, 0: read on, < 0: an error (the request's, or ours). A dump part the
 * kernel built after the objects changed carries NLM_F_DUMP_INTR (on its first message, or on NLMSG_DONE). */
static int take(const struct nlmsghdr *h, uint32_t seq, struct nsb_netlink_answer *a, int *interrupted) {
  if (h->nlmsg_seq != seq) return 0; /* left from an earlier request */
  if (h->nlmsg_flags & NLM_F_DUMP_INTR) *interrupted = 1;
  switch (h->nlmsg_type) {
    case NLMSG_ERROR: {
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(int))) return -EBADMSG;
      int err = ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
      if (err < 0) ack_message(h, a->message, sizeof a->message);
      return err < 0 ? err : 1;
    }
    case NLMSG_DONE: {
      int err = h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) ? *(const int *)NLMSG_DATA(h) : 0;
      return err < 0 ? err : 1;
    }
    case NLMSG_NOOP:
      return 0;
    default: {
      int r = append(a, h, h->nlmsg_len);
      return r < 0 ? r : 0;
    }
  }
}

int nsb_netlink_request(int fd, const void *request, size_t len, struct nsb_netlink_answer *answer) {
  answer->data = NULL;
  answer->len = 0;
  answer->message[0] = '\0';
  struct nlmsghdr req; /* copied: the caller's bytes need not be aligned */
  if (len < NLMSG_HDRLEN) return -EINVAL;
  memcpy(&req, request, sizeof req);
  /* Only what the kernel is sure to answer: one whole message (it drops one that claims more bytes than
   * were sent, and answers each of several), asking for an ack, which it sends for anything but a dump. */
  if (req.nlmsg_len != len || (req.nlmsg_flags & (NLM_F_REQUEST | NLM_F_ACK)) != (NLM_F_REQUEST | NLM_F_ACK))
    return -EINVAL;
  uint32_t seq = req.nlmsg_seq;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  ssize_t sent;
  while ((sent = sendto(fd, request, len, 0, (struct sockaddr *)&kernel, sizeof kernel)) < 0 && errno == EINTR) {
  }
  if (sent < 0) return -errno;

  size_t size = 32768;
  unsigned char *buf = malloc(size);
  if (!buf) return -ENOMEM;
  int r = 0, interrupted = 0;
  while (r == 0) {
    ssize_t n = receive(fd, &buf, &size);
    if (n < 0) {
      r = (int)n;
      break;
    }
    int left = (int)n; /* signed: NLMSG_NEXT may step past the end of an unpadded last message */
    for (const struct nlmsghdr *h = (const void *)buf; r == 0 && NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
      r = take(h, seq, answer, &interrupted);
  }
  free(buf);
  /* read to its end either way, so that nothing of it is left for the next request to skip */
  return r < 0 ? r : interrupted ? -EINTR : 0;
}

void nsb_netlink_free(struct nsb_netlink_answer *answer) {
  free(answer->data);
  answer->data = NULL;
  answer->len = 0;
}
