#define _GNU_SOURCE
#include "sandbox_mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "raw_syscall.h"
#include "spawn.h"

/* The 6.1 uapi headers have some of these; <linux/mount.h> clashes with <sys/mount.h>. */
#define NR_open_tree 428
#define NR_move_mount 429
#define NR_fsopen 430
#define NR_fsconfig 431
#define NR_fsmount 432
#define NR_openat2 437
#define NR_mount_setattr 442
#define OPEN_TREE_CLONE_ 1
#define MOVE_MOUNT_F_EMPTY_PATH_ 0x4
#define MOVE_MOUNT_T_EMPTY_PATH_ 0x40
#define FSOPEN_CLOEXEC_ 1
#define FSMOUNT_CLOEXEC_ 1
#define FSCONFIG_SET_FLAG_ 0
#define FSCONFIG_SET_STRING_ 1
#define FSCONFIG_CMD_CREATE_ 6
#define ATTR_RDONLY 0x1
#define ATTR_NOSUID 0x2
#define ATTR_NODEV 0x4
#define ATTR_NOEXEC 0x8
#define RESOLVE_NO_MAGICLINKS_ 0x02
#define RESOLVE_IN_ROOT_ 0x10

struct open_how_ {
  uint64_t flags, mode, resolve;
};

struct mount_attr_ {
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};

#define SYS RAW_SYS
#define DIR_MODE 0755

/* What the child is building: the new root's fd and a scratch path. */
struct build {
  long base; /* the new root, stacked on the old one */
  char path[NSB_MOUNT_PATH_MAX];
  int stage;        /* enum nsb_mount_stage of the last failure */
  unsigned parents; /* the mode of the directories made above the current target */
};

#define FAIL_AT(b, s, r) ((b)->stage = (s), (r))

/* A failed step of a build: r < 0 keeps its stage. */
#define CHECK(b, s, call)                     \
  do {                                        \
    long r_ = (call);                         \
    if (r_ < 0) return FAIL_AT((b), (s), r_); \
  } while (0)

CHILD static void close_fd(long fd) {
  if (fd >= 0) SYS(SYS_close, fd);
}

/* Close fd, then return r. */
CHILD static long drop(long fd, long r) {
  close_fd(fd);
  return r;
}

/* path (relative to the new root) opened with its symlinks resolved inside the new root. */
CHILD static long resolve(const struct build *b, const char *path, uint64_t flags) {
  struct open_how_ how = {O_PATH | O_CLOEXEC | flags, 0, RESOLVE_IN_ROOT_ | RESOLVE_NO_MAGICLINKS_};
  return SYS(NR_openat2, b->base, path, &how, sizeof how);
}

/* b->path <- target without its leading '/'; the directories above it made
 * (b->parents) where missing, each looked up inside the new root. Returns the
 * fd of the directory that holds the last component, *name that component. */
CHILD static long parent_dir(struct build *b, const char *target, const char **name) {
  size_t n = slen(target);
  if (n >= sizeof b->path) return FAIL_AT(b, NSB_MOUNT_AT_TARGET, -ENAMETOOLONG);
  copy(b->path, target + 1, n); /* with the NUL */
  long dir = SYS(SYS_fcntl, b->base, F_DUPFD_CLOEXEC, 0);
  if (dir < 0) return FAIL_AT(b, NSB_MOUNT_AT_TARGET, dir);
  char *component = b->path;
  for (char *p = b->path; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    long next = resolve(b, b->path, O_DIRECTORY);
    if (next == -ENOENT) {
      long r = SYS(SYS_mkdirat, dir, component, b->parents);
      if (r < 0 && r != -EEXIST) return FAIL_AT(b, NSB_MOUNT_AT_MKDIR, drop(dir, r));
      next = resolve(b, b->path, O_DIRECTORY);
    }
    close_fd(dir);
    if (next < 0) return FAIL_AT(b, NSB_MOUNT_AT_TARGET, next);
    dir = next;
    *p = '/';
    component = p + 1;
  }
  *name = component;
  return dir;
}

/* The target opened (O_PATH), made first if missing: a directory (mode) or an empty file. */
CHILD static long target(struct build *b, const char *path, int directory, unsigned mode) {
  const char *name;
  long dir = parent_dir(b, path, &name);
  if (dir < 0) return dir;
  long fd = resolve(b, b->path, directory ? O_DIRECTORY : 0);
  if (fd == -ENOENT) {
    long r;
    if (directory) {
      r = SYS(SYS_mkdirat, dir, name, mode);
      b->stage = NSB_MOUNT_AT_MKDIR;
    } else {
      r = SYS(SYS_openat, dir, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0444);
      b->stage = NSB_MOUNT_AT_CREATE;
      if (r >= 0) r = drop(r, 0);
    }
    if (r < 0 && r != -EEXIST) return drop(dir, r);
    fd = resolve(b, b->path, directory ? O_DIRECTORY : 0);
  }
  close_fd(dir);
  return fd < 0 ? FAIL_AT(b, NSB_MOUNT_AT_TARGET, fd) : fd;
}

/* Attach the detached mount `tree` on `at`; both fds are consumed. */
CHILD static long attach(struct build *b, long tree, long at) {
  long r = SYS(NR_move_mount, tree, "", at, "", MOVE_MOUNT_F_EMPTY_PATH_ | MOVE_MOUNT_T_EMPTY_PATH_);
  close_fd(tree);
  close_fd(at);
  return r < 0 ? FAIL_AT(b, NSB_MOUNT_AT_MOVE, r) : 0;
}

CHILD static long set_attr(long tree, uint64_t attrs, int recursive) {
  struct mount_attr_ attr = {attrs, 0, 0, 0};
  return SYS(NR_mount_setattr, tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr);
}

/* A detached bind (a clone of dir/path, with its submounts), attrs set on every mount of it. */
CHILD static long clone_tree(struct build *b, long dir, const char *path, uint64_t attrs, int recursive) {
  long tree = SYS(NR_open_tree, dir, path,
                  OPEN_TREE_CLONE_ | O_CLOEXEC | (recursive ? AT_RECURSIVE : 0) | (*path ? 0 : AT_EMPTY_PATH));
  if (tree < 0) return FAIL_AT(b, NSB_MOUNT_AT_SOURCE, tree);
  long r = set_attr(tree, attrs, recursive);
  return r < 0 ? FAIL_AT(b, NSB_MOUNT_AT_SETATTR, drop(tree, r)) : tree;
}

/* Digits of v in base (8 or 10), in a buffer of the caller's. */
CHILD static const char *format(uint64_t v, unsigned base, char *buf, size_t size) {
  char *p = buf + size - 1;
  *p = 0;
  do *--p = (char)('0' + v % base);
  while ((v /= base) && p > buf);
  return p;
}

/* A new filesystem of `type`: options "source" = type, then up to two key=value
 * pairs (a NULL value sets a flag), as a detached mount with attrs. */
CHILD static long new_fs(struct build *b, const char *type, const char *k1, const char *v1, const char *k2,
                         const char *v2, uint64_t attrs) {
  long fs = SYS(NR_fsopen, type, FSOPEN_CLOEXEC_);
  if (fs < 0) return FAIL_AT(b, NSB_MOUNT_AT_FSOPEN, fs);
  long r = SYS(NR_fsconfig, fs, FSCONFIG_SET_STRING_, "source", type, 0);
  const char *keys[2] = {k1, k2}, *values[2] = {v1, v2};
  for (int i = 0; i < 2 && r >= 0; i++)
    if (keys[i]) r = SYS(NR_fsconfig, fs, values[i] ? FSCONFIG_SET_STRING_ : FSCONFIG_SET_FLAG_, keys[i], values[i], 0);
  if (r >= 0) r = SYS(NR_fsconfig, fs, FSCONFIG_CMD_CREATE_, 0, 0, 0);
  if (r < 0) return FAIL_AT(b, NSB_MOUNT_AT_FSCONFIG, drop(fs, r));
  long mnt = drop(fs, SYS(NR_fsmount, fs, FSMOUNT_CLOEXEC_, attrs));
  return mnt < 0 ? FAIL_AT(b, NSB_MOUNT_AT_FSMOUNT, mnt) : mnt;
}

CHILD static long tmpfs(struct build *b, unsigned mode, uint64_t size) {
  char m[8], s[24];
  return new_fs(b, "tmpfs", "mode", format(mode, 8, m, sizeof m), size ? "size" : 0, format(size, 10, s, sizeof s),
                ATTR_NOSUID | ATTR_NODEV);
}

/* A new filesystem mounted on a directory target; returns the mount's fd (its root). */
CHILD static long mount_fs(struct build *b, const char *path, long mnt) {
  if (mnt < 0) return mnt;
  long at = target(b, path, 1, DIR_MODE);
  if (at < 0) return drop(mnt, at);
  long keep = SYS(SYS_fcntl, mnt, F_DUPFD_CLOEXEC, 0);
  long r = attach(b, mnt, at);
  if (r < 0) return drop(keep, r);
  return keep < 0 ? FAIL_AT(b, NSB_MOUNT_AT_MOVE, keep) : keep;
}

CHILD static long bind_mount(struct build *b, const struct nsb_mount *m) {
  uint64_t attrs = ATTR_NOSUID | (m->devices ? 0 : ATTR_NODEV) | (m->readonly ? ATTR_RDONLY : 0);
  long tree = clone_tree(b, AT_FDCWD, m->source, attrs, 1);
  if (tree < 0) return tree;
  struct stat st;
  long r = SYS(SYS_fstat, tree, &st);
  long at = r < 0 ? FAIL_AT(b, NSB_MOUNT_AT_SOURCE, r) : target(b, m->target, S_ISDIR(st.st_mode), DIR_MODE);
  if (at < 0) return drop(tree, at);
  return attach(b, tree, at);
}

/* As bwrap: these parts of a new proc are read-only wherever they are writable. */
CHILD static long cover_proc(struct build *b, long proc) {
  static const char *const covered[] = {"sys", "sysrq-trigger", "irq", "bus"};
  for (size_t i = 0; i < sizeof covered / sizeof *covered; i++) {
    if (SYS(SYS_faccessat, proc, covered[i], W_OK) < 0) continue;
    long tree = clone_tree(b, proc, covered[i], ATTR_RDONLY | ATTR_NOSUID | ATTR_NODEV | ATTR_NOEXEC, 1);
    if (tree < 0) return tree;
    long at = SYS(SYS_openat, proc, covered[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (at < 0) return FAIL_AT(b, NSB_MOUNT_AT_TARGET, drop(tree, at));
    CHECK(b, NSB_MOUNT_AT_MOVE, attach(b, tree, at));
  }
  return 0;
}

/* bwrap --dev: host device nodes bound on empty files, the usual links, a new devpts and a tmpfs on shm. */
CHILD static long dev(struct build *b, long devfd) {
  static const char *const nodes[][2] = {{"null", "/dev/null"},     {"zero", "/dev/zero"},       {"full", "/dev/full"},
                                         {"random", "/dev/random"}, {"urandom", "/dev/urandom"}, {"tty", "/dev/tty"}};
  static const char *const links[][2] = {{"stdin", "/proc/self/fd/0"},  {"stdout", "/proc/self/fd/1"},
                                         {"stderr", "/proc/self/fd/2"}, {"fd", "/proc/self/fd"},
                                         {"core", "/proc/kcore"},       {"ptmx", "pts/ptmx"}};
  for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++) {
    long fd = SYS(SYS_openat, devfd, nodes[i][0], O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0444);
    if (fd < 0) return FAIL_AT(b, NSB_MOUNT_AT_CREATE, fd);
    close_fd(fd);
    long tree = clone_tree(b, AT_FDCWD, nodes[i][1], ATTR_NOSUID, 0);
    if (tree < 0) return tree;
    long at = SYS(SYS_openat, devfd, nodes[i][0], O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (at < 0) return FAIL_AT(b, NSB_MOUNT_AT_TARGET, drop(tree, at));
    CHECK(b, NSB_MOUNT_AT_MOVE, attach(b, tree, at));
  }
  for (size_t i = 0; i < sizeof links / sizeof *links; i++)
    CHECK(b, NSB_MOUNT_AT_SYMLINK, SYS(SYS_symlinkat, links[i][1], devfd, links[i][0]));
  /* a new devpts (newinstance is implied since 4.7), then a tmpfs on shm */
  static const char *const dirs[] = {"pts", "shm"};
  for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
    CHECK(b, NSB_MOUNT_AT_MKDIR, SYS(SYS_mkdirat, devfd, dirs[i], DIR_MODE));
    long mnt =
        i == 0 ? new_fs(b, "devpts", "ptmxmode", "0666", "mode", "620", ATTR_NOSUID | ATTR_NOEXEC) : tmpfs(b, 01777, 0);
    if (mnt < 0) return mnt;
    long at = SYS(SYS_openat, devfd, dirs[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (at < 0) return FAIL_AT(b, NSB_MOUNT_AT_TARGET, drop(mnt, at));
    CHECK(b, NSB_MOUNT_AT_MOVE, attach(b, mnt, at));
  }
  return 0;
}

CHILD static long make_symlink(struct build *b, const struct nsb_mount *m) {
  const char *name;
  long dir = parent_dir(b, m->target, &name);
  if (dir < 0) return dir;
  long r = SYS(SYS_symlinkat, m->source, dir, name);
  if (r == -EEXIST) { /* as bwrap: fine if it is the same link */
    char text[NSB_MOUNT_PATH_MAX];
    size_t n = slen(m->source);
    long got = SYS(SYS_readlinkat, dir, name, text, sizeof text);
    int same = got >= 0 && (size_t)got == n;
    for (size_t i = 0; same && i < n; i++) same = text[i] == m->source[i];
    if (same) r = 0;
  }
  return r < 0 ? FAIL_AT(b, NSB_MOUNT_AT_SYMLINK, drop(dir, r)) : drop(dir, 0);
}

/* A new file with the data, made inside the new root (O_CREAT through openat2). */
CHILD static long make_file(struct build *b, const struct nsb_mount *m) {
  const char *name;
  long dir = parent_dir(b, m->target, &name);
  if (dir < 0) return dir;
  close_fd(dir);
  struct open_how_ how = {O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, m->mode, RESOLVE_IN_ROOT_ | RESOLVE_NO_MAGICLINKS_};
  long fd = SYS(NR_openat2, b->base, b->path, &how, sizeof how);
  if (fd < 0) return FAIL_AT(b, NSB_MOUNT_AT_CREATE, fd);
  for (size_t done = 0; done < m->length;) {
    long w = SYS(SYS_write, fd, m->data + done, m->length - done);
    if (w <= 0) return FAIL_AT(b, NSB_MOUNT_AT_WRITE, drop(fd, w < 0 ? w : -EIO));
    done += (size_t)w;
  }
  if (!m->readonly) return drop(fd, 0);
  long tree = clone_tree(b, fd, "", ATTR_RDONLY | ATTR_NOSUID | ATTR_NODEV, 0);
  return tree < 0 ? drop(fd, tree) : attach(b, tree, fd);
}

CHILD static long one(struct build *b, const struct nsb_mount *m) {
  /* as bwrap: the directories made above an entry with a mode are closed to those it is closed to */
  int moded = m->type == NSB_MOUNT_TMPFS || m->type == NSB_MOUNT_DIR || m->type == NSB_MOUNT_FILE;
  b->parents = DIR_MODE & ~(moded && !(m->mode & 0070) ? 0050u : 0) & ~(moded && !(m->mode & 0007) ? 0005u : 0);
  switch (m->type) {
    case NSB_MOUNT_BIND:
      return bind_mount(b, m);
    case NSB_MOUNT_TMPFS: {
      long mnt = mount_fs(b, m->target, tmpfs(b, m->mode, m->size));
      return mnt < 0 ? mnt : drop(mnt, 0);
    }
    case NSB_MOUNT_PROC: {
      long mnt = mount_fs(b, m->target, new_fs(b, "proc", 0, 0, 0, 0, ATTR_NOSUID | ATTR_NODEV | ATTR_NOEXEC));
      return mnt < 0 ? mnt : drop(mnt, cover_proc(b, mnt));
    }
    case NSB_MOUNT_DEV: {
      long mnt = mount_fs(b, m->target, tmpfs(b, DIR_MODE, 0));
      return mnt < 0 ? mnt : drop(mnt, dev(b, mnt));
    }
    case NSB_MOUNT_DIR: {
      long fd = target(b, m->target, 1, m->mode);
      return fd < 0 ? fd : drop(fd, 0);
    }
    case NSB_MOUNT_SYMLINK:
      return make_symlink(b, m);
    case NSB_MOUNT_FILE:
      return make_file(b, m);
  }
  return FAIL_AT(b, NSB_MOUNT_AT_TARGET, -EINVAL);
}

/* The base (a tmpfs, or a bind of root), stacked on the old root: lookups of
 * sources, which start at the process's root (the old root's own root
 * directory), do not see it. */
CHILD static long new_root(struct build *b, const char *root) {
  long base = root ? clone_tree(b, AT_FDCWD, root, ATTR_NOSUID | ATTR_NODEV, 1)
                   : new_fs(b, "tmpfs", 0, 0, 0, 0, ATTR_NOSUID | ATTR_NODEV);
  if (base < 0) return base;
  if (!root) { /* 0755 as bwrap's root (a directory on its tmpfs), the tmpfs itself left as bwrap's */
    long dir = SYS(SYS_openat, base, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    long r = dir < 0 ? dir : drop(dir, SYS(SYS_fchmod, dir, DIR_MODE));
    if (r < 0) return FAIL_AT(b, NSB_MOUNT_AT_MKDIR, drop(base, r));
  }
  long r = SYS(NR_move_mount, base, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH_);
  if (r < 0) return FAIL_AT(b, NSB_MOUNT_AT_MOVE, drop(base, r));
  b->base = base;
  return 0;
}

/* Into the new root (pivot_root(2)'s "." "." sequence: the old root ends up on top of the new one, and goes). */
CHILD static long pivot(struct build *b) {
  CHECK(b, NSB_PIVOT_AT_FCHDIR, SYS(SYS_fchdir, b->base));
  CHECK(b, NSB_PIVOT_AT_PIVOT, SYS(SYS_pivot_root, ".", "."));
  CHECK(b, NSB_PIVOT_AT_DETACH, SYS(SYS_umount2, ".", MNT_DETACH));
  CHECK(b, NSB_PIVOT_AT_CHDIR, SYS(SYS_chdir, "/"));
  return 0;
}

CHILD long nsb_sandbox_build(const struct nsb_mount *mounts, int n, const char *root, int *step, int *aux) {
  struct build b;
  b.base = -1;
  b.stage = 0;
  long old_umask = SYS(SYS_umask, 0); /* modes as asked */
  long r = new_root(&b, root);
  *step = NSB_STEP_NEWROOT;
  for (int i = 0; r == 0 && i < n; i++) {
    r = one(&b, &mounts[i]);
    if (r < 0) {
      *step = NSB_STEP_MOUNT;
      b.stage |= i << 8;
    }
  }
  if (r == 0) {
    r = pivot(&b);
    *step = NSB_STEP_PIVOT_ROOT;
  }
  close_fd(b.base);
  SYS(SYS_umask, old_umask);
  *aux = b.stage;
  return r;
}

/* ---------------------------------------------------------------------------
 * Parent side.
 */

static int valid_path(const char *p, int absolute) {
  if (!p) return 0;
  size_t n = 0;
  while (p[n]) n++;
  return n > 0 && n < NSB_MOUNT_PATH_MAX && (!absolute || (p[0] == '/' && n > 1));
}

int nsb_mounts_check(const struct nsb_mount *mounts, int n) {
  if (n < 0 || n > NSB_MAX_MOUNTS || (n && !mounts)) return -EINVAL;
  for (int i = 0; i < n; i++) {
    const struct nsb_mount *m = &mounts[i];
    int with_source = m->type == NSB_MOUNT_BIND || m->type == NSB_MOUNT_SYMLINK;
    if (m->type < NSB_MOUNT_BIND || m->type > NSB_MOUNT_FILE || !valid_path(m->target, 1) || m->mode > 07777 ||
        (with_source ? !valid_path(m->source, m->type == NSB_MOUNT_BIND) : m->source != NULL) ||
        (m->length && !m->data))
      return -EINVAL;
  }
  return 0;
}
