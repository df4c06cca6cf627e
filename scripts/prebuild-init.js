// After prebuildify (npm pack's prepack): nsbind-init, spawn's `init: true` program, goes
// beside the prebuilt addon, where lib/spawn-init.ts looks for it. It is linked statically:
// one file for every C library.
'use strict';
const { copyFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
copyFileSync(
  join(root, 'build', 'Release', 'nsbind-init'),
  join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'nsbind-init'),
);
