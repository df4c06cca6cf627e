// bubblewrap's flags for `nsbind run`, as an option table of their own mapped
// to spawn options: the privileges (--cap-drop, --cap-add, --new-session,
// --die-with-parent, --seccomp FD) and setpriv's --no-new-privs.
import { readFileSync } from 'node:fs';
import type { SpawnOptions } from '../spawn.js';
import { CAPABILITIES, capabilityNumber } from '../spawn-privileges.js';
import { UsageError } from './command.js';

export const SANDBOX_USAGE = `Sandbox (bwrap's flags):
      --cap-drop CAP|ALL, --cap-add CAP
                        the capabilities COMMAND keeps, in all five sets:
                        ALL dropped first, then those added, then the other
                        drops, from the bounding set nsbind has (again for
                        more; CAP_NET_ADMIN or net_admin)
      --new-session     a new session (setsid): COMMAND has no terminal to
                        inject input into
      --die-with-parent same as --kill-child
      --seccomp FD      load the classic BPF program read from fd FD (as bwrap
                        takes it, e.g. from seccomp_export_bpf) last before
                        exec; implies --no-new-privs, as bwrap always sets it
      --no-new-privs    PR_SET_NO_NEW_PRIVS: exec can never grant more
`;

export const SANDBOX_FLAGS = {
  'cap-add': { type: 'string', multiple: true },
  'cap-drop': { type: 'string', multiple: true },
  'new-session': { type: 'boolean' },
  'die-with-parent': { type: 'boolean' },
  seccomp: { type: 'string' },
  'no-new-privs': { type: 'boolean' },
} as const;

interface Values {
  'cap-add'?: string[];
  'cap-drop'?: string[];
  'new-session'?: boolean;
  'die-with-parent'?: boolean;
  seccomp?: string;
  'no-new-privs'?: boolean;
}

type SandboxOptions = Pick<
  SpawnOptions,
  'capabilities' | 'setsid' | 'killOnParentDeath' | 'seccomp' | 'noNewPrivileges'
>;

/** The spawn options the flags ask for (only those given). */
export function sandboxOptions(values: Values): SandboxOptions {
  const options: SandboxOptions = {};
  const capabilities = capabilitySet(values['cap-drop'] ?? [], values['cap-add'] ?? []);
  if (capabilities) options.capabilities = capabilities;
  if (values['new-session']) options.setsid = true;
  if (values['die-with-parent']) options.killOnParentDeath = true;
  if (values.seccomp !== undefined) options.seccomp = readProgram(values.seccomp);
  if (values['no-new-privs'] || values.seccomp !== undefined) options.noNewPrivileges = true;
  return options;
}

function capabilitySet(drops: string[], adds: string[]): string[] | undefined {
  if (drops.length === 0 && adds.length === 0) return undefined;
  const number = (name: string, flag: string) => {
    try {
      return capabilityNumber(name, flag);
    } catch {
      throw new UsageError(`${flag}: unknown capability '${name}'`);
    }
  };
  const all = drops.some((d) => d.toUpperCase() === 'ALL');
  const kept = new Set(all ? [] : bounding());
  for (const a of adds) kept.add(number(a, '--cap-add'));
  for (const d of drops) if (d.toUpperCase() !== 'ALL') kept.delete(number(d, '--cap-drop'));
  return [...kept].sort((a, b) => a - b).map((n) => CAPABILITIES[n]!);
}

/** The capabilities in our bounding set: all a child can hold, in a new user namespace too. */
function bounding(): number[] {
  const line = /^CapBnd:\s+([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'latin1'));
  const mask = BigInt(`0x${line?.[1] ?? '0'}`);
  return CAPABILITIES.map((_, n) => n).filter((n) => (mask >> BigInt(n)) & 1n);
}

/** --seccomp FD: the whole program, read from that fd until its end (as bwrap reads it). */
function readProgram(value: string): Buffer {
  if (!/^\d+$/.test(value) || Number(value) > 0x7fffffff) throw new UsageError(`--seccomp: invalid fd '${value}'`);
  try {
    return readFileSync(Number(value));
  } catch (e) {
    throw new UsageError(`--seccomp ${value}: cannot read the program (${(e as NodeJS.ErrnoException).code})`);
  }
}
