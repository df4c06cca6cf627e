/*
 * nsbind: start libuv's thread pool before any thread switches namespace.
 * libuv creates its pool threads on the first queued work, and a new thread
 * starts in the namespaces of the thread that creates it: had the first
 * fs/dns/crypto/zlib call been made inside withNamespaces or after setns on
 * the main thread, the whole pool would stay in that namespace. Plain C.
 */
#ifndef NSBIND_POOL_H
#define NSBIND_POOL_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Once per process (the pool is the process's, shared by every environment):
 * queue a no-op on a private loop and run that loop until it is done, so that
 * every pool thread exists now, in the namespaces of the thread loading nsbind.
 * 0, or a negative libuv error.
 */
int nsb_start_pool(void);

#ifdef __cplusplus
}
#endif

#endif
