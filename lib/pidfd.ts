// Pidfd: a handle on a process (pidfd_open(2), Linux 5.3). setns(pidfd, mask)
// (Linux 5.8) joins several of that process's namespaces at once, atomically.
import { constants } from 'node:os';
import { inspect } from 'node:util';
import { check, NamespaceError } from './errors.js';
import { closedError, FdHandle } from './fd-handle.js';
import { native } from './native.js';
import * as validate from './validate.js';

export class Pidfd extends FdHandle {
  readonly pid: number;

  private constructor(fd: number, pid: number) {
    super(fd);
    this.pid = pid;
  }

  /** pidfd_open(pid): a close-on-exec fd that keeps referring to this process (no pid reuse races). */
  static open(pid: number): Pidfd {
    validate.pid(pid);
    return new Pidfd(check(native.pidfdOpen(pid), { syscall: 'pidfd_open' }), pid);
  }

  protected override [closedError](): NamespaceError {
    return new NamespaceError(-constants.errno.EBADF, { syscall: 'pidfd', hint: 'This Pidfd handle was closed.' });
  }

  [inspect.custom](): string {
    return `Pidfd <pid=${this.pid}${this.closed ? ' closed' : ` fd=${this.fd}`}>`;
  }
}
