/*
 * nsbind: rtnetlink requests on a NETLINK_ROUTE socket (made inside a network
 * namespace by nsb_socket_at, so it configures that namespace). Synchronous:
 * the kernel handles an rtnetlink request inside sendmsg and queues the answer
 * before it returns, and builds dump parts inside recvmsg, so nothing here
 * waits on anything but the kernel. Plain C, no N-API types.
 */
#ifndef NSBIND_NETLINK_H
#define NSBIND_NETLINK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A NETLINK_ROUTE socket inside the network namespace open on net_fd (see
 * nsb_socket_at for user_fd and step), with extended acks and strict dump
 * checking on, bound to a port the kernel picks. */
int nsb_netlink_open(int net_fd, int user_fd, int *step);

struct nsb_netlink_answer {
  unsigned char *data; /* malloc'd: the answer's messages (not acks, not NLMSG_DONE), back to back */
  size_t len;
  char message[256]; /* the kernel's extended-ack message for an error ("" if none) */
};

/*
 * Send one request (exactly one netlink message, flagged NLM_F_REQUEST and
 * NLM_F_ACK, else -EINVAL: the kernel would not answer; any alignment; its
 * nlmsg_seq identifies the answer, messages with other sequence numbers are
 * dropped) and read the answer: for NLM_F_DUMP every part up to NLMSG_DONE,
 * otherwise up to the NLMSG_ERROR ack. Returns 0, or a negative
 * errno (the kernel's, or the socket's) with answer->message filled when the
 * kernel explained; -EINTR (which the kernel never answers) for a dump it
 * marked NLM_F_DUMP_INTR: the objects changed while it was being read, so it
 * may have missed some or shown some twice (read whole; send it again).
 * Free answer->data with nsb_netlink_free in every case.
 */
int nsb_netlink_request(int fd, const void *request, size_t len, struct nsb_netlink_answer *answer);
void nsb_netlink_free(struct nsb_netlink_answer *answer);

#ifdef __cplusplus
}
#endif

#endif
