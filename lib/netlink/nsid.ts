// Network namespace ids (RTM_GETNSID with NETNSA_FD): the number one network
// namespace gives another, as `ip netns list-id` and ip's link_netnsid show.
import { attributes, Request, readI32 } from './message.js';
import type { Rtnetlink } from './socket.js';

const NETNSA_NSID = 1;
const NETNSA_FD = 3;
const RTGENMSG = 1;

/** The id the socket's namespace gives the namespace open on `fd`, or undefined when it has given it none. */
export function getNsid(nl: Rtnetlink, fd: number): number | undefined {
  const request = new Request('RTM_GETNSID', 0).struct(RTGENMSG, () => {}).u32(NETNSA_FD, fd);
  const [answer] = nl.request(request, `fd ${fd}`, { EINVAL: 'That fd is not a network namespace.' });
  const id = answer ? readI32(attributes(answer.payload, 4).get(NETNSA_NSID)) : undefined;
  return id === undefined || id < 0 ? undefined : id;
}
