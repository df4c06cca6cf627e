// Rtnetlink: a NETLINK_ROUTE socket made inside one network namespace (so it
// configures that namespace, whichever thread sends), and its requests:
// synchronous, acknowledged, numbered; kernel errors become NamespaceErrors
// that name the request ('EEXIST: file already exists, RTM_NEWLINK 'va'').
import { inspect } from 'node:util';
import { errnoCode, NamespaceError } from '../errors.js';
import { closedError, FdHandle } from '../fd-handle.js';
import { native } from '../native.js';
import { netlinkAt, type SocketTarget } from '../socket-at.js';
import { type Message, messages, type Request } from './message.js';

/** Hints by error code for one request; `EPERM` has a default. */
export type Hints = Partial<Record<string, string>>;

const EPERM_HINT =
  'Configuring a network namespace needs CAP_NET_ADMIN in the user namespace that owns it: root, or the ' +
  "owner of that user namespace (e.g. the namespaces of spawn(cmd, args, { namespaces: ['user', 'net'] })).";
const EINTR = -4;
// A dump the namespace changed under is read again (the kernel marks it, nsb_netlink_request answers EINTR).
const DUMP_TRIES = 64;
const EINTR_HINT = `The namespace changed while each of ${DUMP_TRIES} dumps in a row was being read (NLM_F_DUMP_INTR): try again.`;

export class Rtnetlink extends FdHandle {
  #seq = 0;

  /** A socket in the target's network namespace. */
  static open(target: SocketTarget): Rtnetlink {
    return new Rtnetlink(netlinkAt(target));
  }

  private constructor(fd: number) {
    super(fd);
  }

  /**
   * Send `request` and return the answer's messages (a dump: a consistent
   * one, read again while the kernel says it changed meanwhile). A kernel
   * error throws a NamespaceError naming the request and `subject`, with the
   * hint for its code from `hints` and the kernel's own explanation, if any.
   */
  request(request: Request, subject: string, hints: Hints = {}): Message[] {
    let answer: ReturnType<typeof native.netlinkRequest>;
    for (let tries = 1; ; tries++) {
      this.#seq = (this.#seq + 1) >>> 0;
      answer = native.netlinkRequest(this.fd, request.bytes(this.#seq));
      if (Buffer.isBuffer(answer)) return messages(answer);
      if (answer[0] !== EINTR || tries === DUMP_TRIES) break;
    }
    const [errno, kernel] = answer;
    const code = errnoCode(errno);
    const ours = hints[code] ?? (code === 'EPERM' ? EPERM_HINT : code === 'EINTR' ? EINTR_HINT : undefined);
    const hint = [ours, kernel && `The kernel says: ${kernel}.`].filter(Boolean).join(' ') || undefined;
    throw new NamespaceError(errno, { syscall: 'netlink', request: request.type, subject, hint });
  }

  protected override [closedError](): NamespaceError {
    return new NamespaceError(-9, { syscall: 'netlink', hint: 'This network namespace handle was closed.' });
  }

  [inspect.custom](): string {
    return `Rtnetlink <${this.closed ? 'closed' : `fd=${this.fd}`}>`;
  }
}
