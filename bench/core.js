// nsbind's in-process calls against the same syscalls from C.
'use strict';
const { execFileSync } = require('node:child_process');
const { Namespace, setns, unshare } = require('..');
const { compile, hold, time, interleave, row } = require('./support');

module.exports = async function core() {
  const raw = compile('raw');
  const box = await hold(['--net']);
  const target = `/proc/${box.pid}/ns/net`;
  const N = { setns: 20000, unshare: 20000, ioctl: 200000 };
  const c =
    (...args) =>
    () =>
      Number(execFileSync(raw, args, { encoding: 'utf8' }));
  try {
    const into = Namespace.open(target);
    const home = Namespace.current('net');
    const net = Namespace.current('net');
    const home_uts = Namespace.current('uts');
    const m = await interleave(7, {
      cSetns: c('setns', String(N.setns), target),
      jsSetns: () =>
        time(N.setns, () => {
          setns(into);
          setns(home);
        }),
      cUnshare: c('unshare', String(N.unshare)),
      jsUnshare: () => time(N.unshare, () => unshare(['uts'])),
      cIoctl: c('ioctl', String(N.ioctl)),
      jsIoctl: () => time(N.ioctl, () => net.id()),
    });
    setns(home_uts);
    console.log('core: nsbind vs the same syscalls from C (median of 7 interleaved rounds)');
    row('setns round trip (net)', m.jsSetns, { 'raw C': m.cSetns }, '≤ 1.25×');
    row('unshare(uts)', m.jsUnshare, { 'raw C': m.cUnshare }, '≤ 1.25×');
    row('ioctl NS_GET_ID', m.jsIoctl, { 'raw C': m.cIoctl }, '≤ 2×');
    for (const ns of [into, home, net, home_uts]) ns.close();
  } finally {
    box.stop();
  }
};
