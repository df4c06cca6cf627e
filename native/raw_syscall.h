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

/*
 * clone3(2) that runs fn(arg) in the child on the stack the args name, and
 * exit(2)s with its result: the child touches nothing of the caller's frame
 * (glibc has no clone3 wrapper). Returns the child's pid, or -errno.
 */
#if defined(__x86_64__)
static inline long raw_clone3(void *args, unsigned long size, int (*fn)(void *), void *arg) {
  long ret;
  register long r12 __asm__("r12") = (long)fn; /* callee-saved registers the syscall keeps */
  register long r13 __asm__("r13") = (long)arg;
  __asm__ volatile(
      "syscall\n\t"
      "test %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "xor %%ebp, %%ebp\n\t" /* the child: the new stack, 16-byte aligned */
      "mov %%r13, %%rdi\n\t"
      "call *%%r12\n\t"
      "mov %%eax, %%edi\n\t"
      "mov $60, %%eax\n\t" /* SYS_exit */
      "syscall\n\t"
      "hlt\n"
      "1:"
      : "=a"(ret)
      : "a"(435L), "D"(args), "S"(size), "r"(r12), "r"(r13)
      : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
static inline long raw_clone3(void *args, unsigned long size, int (*fn)(void *), void *arg) {
  register long x8 __asm__("x8") = 435;
  register long x0 __asm__("x0") = (long)args;
  register long x1 __asm__("x1") = (long)size;
  register long x19 __asm__("x19") = (long)fn; /* callee-saved: kept by svc */
  register long x20 __asm__("x20") = (long)arg;
  __asm__ volatile(
      "svc 0\n\t"
      "cbnz x0, 1f\n\t"
      "mov x29, xzr\n\t" /* the child: the new stack */
      "mov x0, x20\n\t"
      "blr x19\n\t"
      "mov x8, #93\n\t" /* SYS_exit */
      "svc 0\n"
      "1:"
      : "+r"(x0)
      : "r"(x8), "r"(x1), "r"(x19), "r"(x20)
      : "x30", "memory");
  return x0;
}
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
