// User names as util-linux shows them (getpwuid through NSS).
import { native } from './native.js';

/** The user name of uid, or the uid as a string when it has none (as lsns prints it). */
export function userName(uid: number, cache?: Map<number, string>): string {
  let name = cache?.get(uid);
  if (name === undefined) {
    name = native.userName(uid) ?? String(uid);
    cache?.set(uid, name);
  }
  return name;
}
