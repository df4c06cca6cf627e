// The steps native spawn can fail at (native/spawn.h's NSB_STEPS, by name):
// for each, the syscall and path a failure reports and the hint that
// explains it. Hints are written in the caller's words (`Remedies`: the
// library's options, or a CLI command's flags) and only say what is true of
// that step.
import { flagToType, type NamespaceType } from './constants.js';
import { errnoCode, NamespaceError, NamespaceRestoreError } from './errors.js';
import type { ParsedSpawn } from './spawn-options.js';
import { CAPABILITIES, RLIMITS } from './spawn-privileges.js';

/** How a caller asks for what a hint suggests; a remedy it has no words for is left out of the hint. */
export interface Remedies {
  /** A new namespace of this type. */
  create?: (type: NamespaceType) => string | undefined;
  /** A new user namespace with your own uid and gid mapped to root. */
  mapRootUser?: string;
  /** Id maps an unprivileged user may write. */
  mapOwnIds?: string;
  /** Also joining the user namespace that owns a join target. */
  joinUser?: string;
  /** PR_SET_NO_NEW_PRIVS for the child. */
  noNewPrivileges?: string;
}

/** The library's words. */
export const LIBRARY: Remedies = {
  create: (type) => `add '${type}' to options.namespaces`,
  mapRootUser: "add 'user' to options.namespaces, with mapRootUser: true",
  mapOwnIds: 'mapRootUser: true, or one entry { inside, outside: your id, count: 1 }',
  joinUser: 'join its user namespace too (options.join.user), as nsenter --user does',
  noNewPrivileges: 'noNewPrivileges: true',
};

/** A failure native spawn reported, with what it was asked to do. */
export interface Failure {
  code: string;
  /** For setns: the CLONE_NEW* flag; for stdio, pipe and dup: the child fd (-1: none). */
  aux: number;
  pid: number;
  request: ParsedSpawn;
  remedies: Remedies;
}

interface Step {
  /** The step as the error names it, when more than its name (default: the name). */
  step?: (f: Failure) => string;
  syscall: string | ((f: Failure) => string);
  path?: (f: Failure) => string | undefined;
  hint?: (f: Failure) => string | undefined;
}

/** "Fact: remedy." — or just "Fact." when the caller has no words for the remedy. */
const sentence = (fact: string, remedy: string | undefined) => (remedy ? `${fact}: ${remedy}.` : `${fact}.`);
/** "fact (remedy)" — or just "fact". */
const aside = (fact: string, remedy: string | undefined) => (remedy ? `${fact} (${remedy})` : fact);

/** What an unprivileged user gains by a new user namespace, unless the request has one already. */
function privilege(f: Failure, capability: string, what: string): string | undefined {
  if (f.code !== 'EPERM' || f.request.create.has('user')) return undefined;
  return sentence(
    `${what} needs ${capability}; unprivileged users get it in a new user namespace`,
    f.remedies.mapRootUser,
  );
}

function joinHint(f: Failure): string | undefined {
  if (f.code !== 'EPERM') return undefined;
  if (flagToType(f.aux) === 'user')
    return 'Joining a user namespace needs CAP_SYS_ADMIN in it, which only its owner (from the user namespace it was made in) and those privileged there have.';
  if (f.request.create.has('user'))
    return (
      'The child was in its new user namespace by then, and a new user namespace owns no existing namespace: ' +
      "join the target's user namespace instead of creating one."
    );
  if (f.request.join.has('user'))
    return 'Joining needs CAP_SYS_ADMIN in the user namespace that owns the target, and the one joined is not that one.';
  return sentence('Joining needs CAP_SYS_ADMIN in the user namespace that owns the target', f.remedies.joinUser);
}

function idHint(f: Failure, id: 'uid' | 'gid', capability: string): string | undefined {
  if (f.code === 'EPERM') return `Changing to another ${id} needs ${capability} in the child's user namespace.`;
  if (f.code === 'EINVAL') return `That ${id} has no mapping in the child's user namespace (see its ${id}_map).`;
  return undefined;
}

function mapHint(f: Failure, capability: string, id: string): string | undefined {
  if (f.code !== 'EPERM') return undefined;
  return sentence(
    `Without ${capability} outside, a user namespace can only map your own ${id}, once`,
    f.remedies.mapOwnIds,
  );
}

const LIMITS =
  'A namespace limit was reached: see /proc/sys/user/max_*_namespaces; pid and user namespaces also nest at most 32 deep.';

/** What failed while building a new root (native/sandbox_mounts.h's enum nsb_mount_stage, by index). */
const MOUNT_STAGES = [
  'mkdirat',
  'openat',
  'openat2',
  'open_tree',
  'mount_setattr',
  'fsopen',
  'fsconfig',
  'fsmount',
  'move_mount',
  'symlinkat',
  'write',
];
const [MKDIR, CREATE, SOURCE] = ['mkdirat', 'openat', 'open_tree'].map((s) => MOUNT_STAGES.indexOf(s));
/** enum nsb_pivot_stage. */
const PIVOT_STAGES = ['fchdir', 'pivot_root', 'umount2', 'chdir'];

/** The mount a 'mount' failure is about (aux >> 8 is its index). */
const failedMount = (f: Failure) => f.request.mounts?.[f.aux >> 8];

function mountHint(f: Failure): string | undefined {
  return privilege(f, 'CAP_SYS_ADMIN', 'Building a new root');
}

/** What failed while bringing lo up (native/loopback.h's enum nsb_loopback_stage, by index). */
const LOOPBACK_STAGES = ['socket', 'sendto', 'recvfrom', 'netlink'];

const procFile = (f: Failure, name: string) => `/proc/${f.pid}/${name}`;

/** One row per NSB_STEPS name, in the same order. */
export const STEPS = {
  none: { syscall: 'spawn' },
  request: { syscall: 'spawn' },
  stdio: {
    syscall: 'fcntl',
    hint: (f) =>
      f.code === 'EBADF'
        ? `stdio entry ${f.aux} names fd ${f.request.stdio[f.aux]}, which is not open in this process.`
        : undefined,
  },
  pipe: { syscall: 'pipe2' },
  devnull: { syscall: 'open', path: () => '/dev/null' },
  stack: { syscall: 'mmap' },
  init: {
    syscall: (f) => (f.pid > 0 ? 'execveat' : 'open'),
    path: (f) => f.request.init,
    hint: () =>
      "nsbind-init, the minimal init that runs as pid 1, ships beside nsbind's native addon: reinstall nsbind, or rebuild it (npm rebuild nsbind).",
  },
  'save:pid': {
    syscall: 'open',
    path: () => '/proc/thread-self/ns/pid_for_children',
    hint: (f) =>
      f.code === 'ENOENT'
        ? "This thread's pid namespace for children has no process yet (its first child becomes its init), so there is none to come back to after joining another."
        : undefined,
  },
  setns: {
    syscall: 'setns',
    path: (f) => {
      const target = f.request.join.get(flagToType(f.aux)!);
      return typeof target === 'string' ? target : target?.path;
    },
    hint: joinHint,
  },
  clone: {
    syscall: 'clone',
    hint: (f) => {
      if (f.code === 'ENOSPC' || f.code === 'EUSERS') return LIMITS;
      if (f.code !== 'EPERM') return undefined;
      if (f.request.create.has('user'))
        return 'The kernel refused a new user namespace: it does for a chrooted caller, for a uid or gid that has no mapping in its user namespace, and where unprivileged user namespaces are turned off (sysctl, a security module).';
      return privilege(f, 'CAP_SYS_ADMIN', 'Creating namespaces');
    },
  },
  'restore:pid': { syscall: 'setns' }, // a NamespaceRestoreError, with its own hint
  setgroups: {
    // the parent writing /proc/PID/setgroups (aux -1), or the child's setgroups(2) of options.groups
    syscall: (f) => (f.aux < 0 ? 'write' : 'setgroups'),
    path: (f) => (f.aux < 0 ? procFile(f, 'setgroups') : undefined),
    hint: (f) => {
      if (f.aux < 0) return undefined;
      if (f.code === 'EINVAL') return "A group has no mapping in the child's user namespace (see its gid_map).";
      return privilege(f, 'CAP_SETGID', 'Setting supplementary groups');
    },
  },
  uid_map: { syscall: 'write', path: (f) => procFile(f, 'uid_map'), hint: (f) => mapHint(f, 'CAP_SETUID', 'uid') },
  gid_map: { syscall: 'write', path: (f) => procFile(f, 'gid_map'), hint: (f) => mapHint(f, 'CAP_SETGID', 'gid') },
  sync: {
    syscall: (f) => (f.aux < 0 ? 'write' : 'read'), // the parent's go-ahead, or the child waiting for it
    hint: () => 'The child waits for the parent to write its id maps; the go-ahead between them failed.',
  },
  dup: {
    syscall: 'dup3',
    hint: (f) =>
      ['EBADF', 'EMFILE', 'EINVAL'].includes(f.code)
        ? 'More child fds were asked for than the open-file limit (RLIMIT_NOFILE, ulimit -n) allows.'
        : undefined,
  },
  setresuid: {
    syscall: 'setresuid',
    hint: (f) =>
      f.code === 'EINVAL'
        ? 'Becoming root in the joined user namespace needs uid and gid 0 to be mapped there.'
        : undefined,
  },
  'unshare:time': { syscall: 'unshare', hint: (f) => privilege(f, 'CAP_SYS_ADMIN', 'Creating a time namespace') },
  timens_offsets: { syscall: 'write', path: () => '/proc/self/timens_offsets' },
  sethostname: { syscall: 'sethostname', hint: (f) => utsHint(f) },
  setdomainname: { syscall: 'setdomainname', hint: (f) => utsHint(f) },
  'mount:/': { syscall: 'mount', path: () => '/' },
  loopback: {
    syscall: (f) => LOOPBACK_STAGES[f.aux] ?? 'netlink',
    path: () => 'lo',
    hint: (f) =>
      f.code === 'EPERM'
        ? "Bringing lo up needs CAP_NET_ADMIN in the user namespace that owns the child's new network namespace."
        : undefined,
  },
  newroot: {
    syscall: (f) => MOUNT_STAGES[f.aux] ?? 'mount',
    path: (f) => (f.aux === SOURCE ? f.request.root : '/'),
    hint: (f) => (f.aux === SOURCE && f.code === 'ENOENT' ? 'The base of the new root does not exist.' : mountHint(f)),
  },
  mount: {
    step: (f) => `mount:${failedMount(f)?.target}`,
    syscall: (f) => MOUNT_STAGES[f.aux & 0xff] ?? 'mount',
    path: (f) => {
      const m = failedMount(f);
      return (f.aux & 0xff) === SOURCE && m?.type === 'bind' ? m.source : m?.target;
    },
    hint: (f) => {
      const m = failedMount(f);
      const stage = f.aux & 0xff;
      if (stage === SOURCE && f.code === 'ENOENT')
        return m?.type === 'bind'
          ? `The source of the bind on ${m.target} does not exist (sources are looked up as this process sees the filesystem).`
          : `The dev mount on ${m?.target} binds null, zero, full, random, urandom and tty from this process's /dev, and one of them is missing.`;
      if ((stage === MKDIR || stage === CREATE) && f.code === 'EROFS')
        return `${m?.target} does not exist and cannot be made: its directory is on a read-only mount (make it before that mount, or put a tmpfs or dir there).`;
      if (m?.type === 'proc' && f.code === 'EPERM')
        return `${aside('Mounting proc in a user namespace needs a pid namespace owned by it', f.remedies.create?.('pid'))}.`;
      return mountHint(f);
    },
  },
  pivot_root: {
    syscall: (f) => PIVOT_STAGES[f.aux] ?? 'pivot_root',
    path: () => '/',
    hint: (f) =>
      f.code === 'EINVAL' && PIVOT_STAGES[f.aux] === 'pivot_root'
        ? "pivot_root needs this process's root to be a mount point: a chrooted process cannot give a child a new root."
        : undefined,
  },
  chroot: {
    syscall: 'chroot',
    path: (f) => f.request.root,
    hint: (f) => privilege(f, 'CAP_SYS_CHROOT', 'chroot'),
  },
  'mount:/proc': {
    syscall: 'mount',
    path: () => '/proc',
    hint: (f) =>
      f.code === 'EPERM'
        ? `${aside('Mounting proc in a user namespace needs a pid namespace owned by it', f.remedies.create?.('pid'))} and an existing, fully visible /proc.`
        : undefined,
  },
  'mount:/sys': {
    syscall: 'mount',
    path: () => '/sys',
    hint: (f) =>
      f.code === 'EPERM'
        ? `${aside('Mounting sysfs in a user namespace needs a network namespace owned by it', f.remedies.create?.('net'))}.`
        : undefined,
  },
  chdir: { syscall: 'chdir', path: (f) => f.request.cwd ?? '/' },
  setsid: { syscall: 'setsid' },
  rlimit: {
    syscall: 'prlimit',
    step: (f) => `rlimit:${RLIMITS[f.aux] ?? f.aux}`,
    hint: (f) => {
      if (f.code !== 'EPERM') return undefined;
      const raise =
        'Raising a hard limit needs CAP_SYS_RESOURCE (see CapBnd in /proc/self/status: even root may lack it)';
      return RLIMITS[f.aux] === 'nofile'
        ? `${raise}; the open-file limit never goes above /proc/sys/fs/nr_open.`
        : `${raise}.`;
    },
  },
  capabilities: {
    // prctl: the bounding set (aux: the capability) or ambient; capset (aux -1)
    syscall: (f) => (f.aux === -1 ? 'capset' : 'prctl'),
    hint: (f) => {
      if (f.code !== 'EPERM')
        return f.code === 'EINVAL' ? `This kernel does not know ${capabilityName(f.aux)}.` : undefined;
      if (f.aux >= 0 && !f.request.create.has('user'))
        return privilege(f, 'CAP_SETPCAP', 'Dropping capabilities from the bounding set');
      return "Only capabilities the child holds can be kept: its permitted set, within the bounding set (see CapPrm and CapBnd in /proc/self/status; a new user namespace's root holds all of them there).";
    },
  },
  no_new_privs: { syscall: 'prctl' },
  seccomp: {
    syscall: 'seccomp',
    hint: (f) => {
      if (f.code === 'EACCES')
        return sentence(
          'Loading a seccomp filter needs no_new_privs, or CAP_SYS_ADMIN (not kept by capabilities that leave it out)',
          f.remedies.noNewPrivileges,
        );
      if (f.code === 'EINVAL')
        return 'The kernel refused the filter as a classic BPF program: an unknown instruction, a jump past its end, or no return at its end.';
      return undefined;
    },
  },
  cgroup: {
    syscall: (f) => (f.aux === 1 ? 'clone3' : 'open'),
    path: (f) => f.request.privileges.cgroup,
    hint: (f) => {
      if (f.code === 'EBUSY')
        return 'That cgroup has controllers enabled for its children (cgroup.subtree_control): processes may only be started in a leaf.';
      if (f.code === 'EBADF' || f.code === 'EOPNOTSUPP')
        return 'That is not a cgroup v2 directory a process can be started in (CLONE_INTO_CGROUP needs the unified hierarchy, Linux 5.7).';
      if (f.code === 'EACCES' || f.code === 'EPERM')
        return "Starting in a cgroup needs write access to its cgroup.procs and to that of the closest common ancestor of it and this process's cgroup.";
      if (f.code === 'ELOOP') return 'The cgroup path is a symbolic link; give the directory itself.';
      return undefined;
    },
  },
  setgid: { syscall: 'setresgid', hint: (f) => idHint(f, 'gid', 'CAP_SETGID') },
  setuid: { syscall: 'setresuid', hint: (f) => idHint(f, 'uid', 'CAP_SETUID') },
  prctl: {
    syscall: 'prctl',
    hint: (f) =>
      f.code === 'ESRCH'
        ? 'The thread that spawned the child was gone before the child could arrange to die with it.'
        : undefined,
  },
  exec: {
    syscall: 'execve',
    path: (f) => f.request.file,
    hint: (f) =>
      f.code === 'ENOEXEC'
        ? 'The kernel cannot run this file, and /bin/sh could not run it as a shell script either.'
        : undefined,
  },
  watch: { syscall: 'uv_poll_start' },
} satisfies Record<string, Step>;

export type StepName = keyof typeof STEPS;

const capabilityName = (cap: number) => CAPABILITIES[cap] ?? `capability ${cap}`;

function utsHint(f: Failure): string | undefined {
  if (f.code !== 'EPERM' || !f.request.join.has('user')) return undefined;
  return 'The new uts namespace belongs to the user namespace the child was created in; after joining another user namespace, the child has no privilege over it.';
}

/** The error for a step native spawn reported. */
export function stepError(errno: number, step: string, reported: Omit<Failure, 'code'>): NamespaceError {
  if (step === 'restore:pid') return new NamespaceRestoreError(errno, 'pid');
  const row: Step | undefined = (STEPS as Record<string, Step>)[step];
  const failure: Failure = { ...reported, code: errnoCode(errno) };
  const syscall = typeof row?.syscall === 'function' ? row.syscall(failure) : (row?.syscall ?? step);
  const type = step === 'setns' ? flagToType(failure.aux) : undefined;
  return new NamespaceError(errno, {
    syscall,
    step: type ? `setns:${type}` : (row?.step?.(failure) ?? step),
    path: row?.path?.(failure),
    hint: row?.hint?.(failure),
    spawnargs: failure.request.argv.slice(1),
  });
}
