/*
 * Raw system calls for code that runs in a CLONE_VM child on a foreign stack
 * (spawn's child, the short-lived clone that makes a socket in a namespace).
 * Such a child shares the parent's memory and TLS, so it must not write errno
 * (it is the parent thread's) or call into libc: these return -errno and touch
 * nothing else. CHILD marks such functions: sanitizer runtimes cannot track a
 * foreign stack, so they are left uninstrumented, as libc's posix_spawn child is.
 */
#ifndef NSBIND_RAW_SYSCALL_H
#define NSBIND_RAW_SYSCALL_H

#include <stddef.h>

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8 || defined(__clang__)
#define CHILD __attribute__((no_sanitize("address", "undefined")))
#else
#define CHILD
#endif

#if defined(__x86_64__)
CHILD static inline long raw_sys6(long n, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
CHILD static inline long raw_sys6(long n, long a, long b, long c, long d, long e, long f) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
  return x0;
}
#else
#error "nsbind: add a raw syscall stub for this architecture"
#endif

#define RAW_SYS(n, ...) raw_sys_n(n, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define raw_sys_n(n, a, b, c, d, e, f, ...) \
  raw_sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* Such a child calls no libc function at all (not even memcpy: a sanitizer
 * runtime would intercept it), so these small loops stand in. */
CHILD static inline size_t slen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

CHILD static inline void copy(char *to, const char *from, size_t n) {
  while (n--) *to++ = *from++;
}

#endif
