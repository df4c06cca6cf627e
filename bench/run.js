// npm run bench: every suite, one run, ratios printed. Needs root.
'use strict';
const suites = [require('./core'), require('./spawn'), require('./inspect'), require('./cli')];

(async () => {
  if (process.geteuid() !== 0) {
    console.error('bench: needs root (it creates and enters namespaces)');
    process.exit(1);
  }
  for (const suite of suites) {
    await suite();
    console.log();
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
