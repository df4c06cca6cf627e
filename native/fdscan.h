/*
 * nsbind: namespaces a process holds through its open fds (what lsns 2.41
 * lists): nsfs files, and the network namespace of each socket. Plain C, no
 * N-API types; functions return >= 0 or a negative errno. Every fd is O_CLOEXEC.
 */
#ifndef NSBIND_FDSCAN_H
#define NSBIND_FDSCAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One namespace a process holds: through its fd `fd`, the namespace with inode `ino`. */
struct nsb_held {
  int fd;
  uint64_t ino;
};

/* The namespace entries of /proc/PID/ns that nsb_process_namespaces reads, in this order. */
#define NSB_NS_ENTRIES 8
extern const char *const nsb_ns_entries[NSB_NS_ENTRIES];

/*
 * What lsns reads of process `pid`: the inode of each of its namespaces
 * (stat of /proc/PID/ns/NAME, in nsb_ns_entries' order; 0 where this kernel
 * has no such entry) and, with `with_fds`, the namespaces it holds through the
 * fds in /proc/PID/fd: nsfs files, and the network namespace of each socket
 * (SIOCGSKNS on a copy taken with pidfd_getfd), told apart by their links'
 * text ("net:[…]", "socket:[…]") or, for a path, by the attributes the
 * kernel has cached (AT_STATX_DONT_SYNC: a FUSE or NFS server that does not
 * answer would hang a stat for good). Each held
 * namespace once, with the first fd found; fills up to `max` and returns how
 * many, or -ENOSPC if there are more. A negative errno if the process is gone
 * or its namespaces may not be read; an fd that cannot be inspected (gone, or
 * pidfd_getfd not permitted) is skipped, as lsns skips it.
 */
int nsb_process_namespaces(int pid, uint64_t inodes[NSB_NS_ENTRIES], int with_fds, struct nsb_held *out, size_t max);

/*
 * An fd of our own (close-on-exec) on the namespace that fd `fd` of process
 * `pid` holds: a copy of that nsfs file, or the network namespace of that
 * socket (its type read as the scan reads it). The caller checks that it is
 * the namespace it expects (the fd number may have been reused since the scan).
 */
int nsb_held_namespace(int pid, int fd);

#ifdef __cplusplus
}
#endif

#endif
