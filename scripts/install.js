// npm's install step: use the prebuilt binary when it loads here, otherwise
// say why and build from source with node-gyp. Never downloads anything.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');

const root = join(__dirname, '..');
const why = reasonToBuild();
if (why === undefined) process.exit(0);

console.log(`nsbind: ${why}; building from source with node-gyp (needs python3, make and a C/C++ compiler)`);
const args = ['rebuild'];
// Build against the running Node.js's own headers when they sit beside it (official
// tarballs, distro -dev packages), so that node-gyp does not download them.
const prefix = dirname(dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h')))
  args.push(`--nodedir=${prefix}`);
const run = spawnSync('node-gyp', args, { cwd: root, stdio: 'inherit' });
if (run.error) console.error(`nsbind: could not run node-gyp: ${run.error.message}`);
process.exit(run.status ?? 1);

/** undefined when a shipped binary loads; otherwise why we compile. */
function reasonToBuild() {
  if (!existsSync(join(root, 'prebuilds'))) return 'no prebuilds/ directory (a development checkout)';
  let loader;
  try {
    loader = require('../dist/loader.js');
  } catch (e) {
    return `the package has no compiled dist/ (${e.message.split('\n')[0]})`;
  }
  try {
    const binding = loader.load({ prebuiltOnly: true });
    if (!existsSync(join(dirname(binding.path), 'nsbind-init')))
      return `no nsbind-init beside ${relative(root, binding.path)}`;
    console.log(
      `nsbind: using the prebuilt ${relative(root, binding.path)} for ${loader.target()}; nothing to compile`,
    );
    return undefined;
  } catch (e) {
    if (e.code === 'ERR_DLOPEN_FAILED') return `the prebuilt binary does not load on ${loader.target()}: ${e.message}`;
    return `no prebuilt binary for ${loader.target()} in this package`;
  }
}
