// FdHandle: what Namespace and Pidfd share — one fd they own, an idempotent
// close(), Symbol.dispose, and a finalizer as a safety net (a handle dropped
// without close() still gives its fd back, at the next GC).
import { native } from './native.js';

/** How a subclass says what using it once closed throws (a symbol: not part of the public surface). */
export const closedError: unique symbol = Symbol('closedError');

const finalizer = new FinalizationRegistry<number>((fd) => native.close(fd));

export abstract class FdHandle implements Disposable {
  #fd: number;

  protected constructor(fd: number) {
    this.#fd = fd;
    finalizer.register(this, fd, this);
  }

  /** The fd this handle owns. Throws once closed. */
  get fd(): number {
    if (this.#fd < 0) throw this[closedError]();
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Release the fd. Safe to call more than once. */
  close(): void {
    if (this.#fd < 0) return;
    finalizer.unregister(this);
    native.close(this.#fd);
    this.#fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** What using a closed handle throws (an EBADF NamespaceError). */
  protected abstract [closedError](): Error;
}
