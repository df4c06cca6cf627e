/*
 * nsbind: sockets made inside a network namespace, without moving any thread
 * of the process. A socket keeps the network namespace it was created in for
 * its whole life, whichever thread uses it; so it is created by a short-lived
 * CLONE_VM|CLONE_FILES|CLONE_VFORK child of our own, which joins the namespace
 * (and, where that is what grants the right, the user namespace that owns it),
 * calls socket(2) — the fd lands in our shared fd table — and exits.
 * Plain C, no N-API types; results are >= 0 or a negative errno. Every fd is
 * O_CLOEXEC.
 */
#ifndef NSBIND_SOCKET_H
#define NSBIND_SOCKET_H

#ifdef __cplusplus
extern "C" {
#endif

/* Where nsb_socket_at failed. */
enum nsb_socket_step {
  NSB_SOCKET_STEP_NONE,
  NSB_SOCKET_STEP_CLONE,
  NSB_SOCKET_STEP_SETNS_USER,
  NSB_SOCKET_STEP_SETNS_NET,
  NSB_SOCKET_STEP_SOCKET,
};

/*
 * socket(domain, type | SOCK_CLOEXEC, protocol) inside the network namespace
 * open on net_fd. When that is the calling thread's own, the socket is made
 * directly. Otherwise a clone child joins it; if that is refused (EPERM) and
 * user_fd >= 0 (the user namespace owning the network namespace, when it is
 * not the caller's), the child joins that user namespace first, as nsenter
 * does, and tries again. No thread of the process changes namespace.
 * Returns the new fd, or a negative errno with *step set.
 */
int nsb_socket_at(int net_fd, int user_fd, int domain, int type, int protocol, int *step);

/* 1 if the namespace open on fd is the calling thread's network namespace, else 0. */
int nsb_is_own_netns(int fd);

/* bind(2) with SO_REUSEADDR when reuse_addr, IPV6_V6ONLY set to v6only unless it is < 0. */
int nsb_bind(int fd, const void *addr, unsigned len, int reuse_addr, int v6only);

/* connect(2) without blocking (O_NONBLOCK first): for Unix stream sockets, which connect at once or not at all. */
int nsb_connect(int fd, const void *addr, unsigned len);

/* SIOCGSKNS: a new fd on the network namespace the socket fd belongs to. */
int nsb_socket_netns(int fd);

#ifdef __cplusplus
}
#endif

#endif
