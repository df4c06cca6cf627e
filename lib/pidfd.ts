// Pidfd: a handle on a process (pidfd_open(2), Linux 5.3). setns(pidfd, mask)
// (Linux 5.8) joins several of that process's namespaces at once, atomically.
import { inspect } from 'node:util';
import { check, NamespaceError } from './errors.js';
import { native } from './native.js';
import * as validate from './validate.js';

const finalizer = new FinalizationRegistry<number>((fd) => native.close(fd));

export class Pidfd implements Disposable {
  #fd: number;
  readonly pid: number;

  private constructor(fd: number, pid: number) {
    this.#fd = fd;
    this.pid = pid;
    finalizer.register(this, fd, this);
  }

  /** pidfd_open(pid): a close-on-exec fd that keeps referring to this process (no pid reuse races). */
  static open(pid: number): Pidfd {
    validate.pid(pid);
    return new Pidfd(check(native.pidfdOpen(pid), { syscall: 'pidfd_open' }), pid);
  }

  get fd(): number {
    if (this.#fd < 0) throw new NamespaceError(-9, { syscall: 'pidfd', hint: 'This Pidfd handle was closed.' });
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  close(): void {
    if (this.#fd < 0) return;
    finalizer.unregister(this);
    native.close(this.#fd);
    this.#fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [inspect.custom](): string {
    return `Pidfd <pid=${this.pid}${this.closed ? ' closed' : ` fd=${this.#fd}`}>`;
  }
}
