#!/usr/bin/env node
// nsbind: the command-line tool. Each command is a module in this directory.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CommandEntry, commandList, dispatch, type Io } from './command.js';

/**
 * Each command's module is loaded only when it runs (`nsbind run` never loads the
 * netlink code), with require: import() would start Node's ESM loader.
 */
const commands: readonly CommandEntry[] = [
  {
    name: 'ls',
    aliases: ['list'],
    summary: 'list namespaces, like lsns',
    load: () => (require('./ls.js') as typeof import('./ls.js')).ls,
  },
  {
    name: 'info',
    summary: 'show a namespace file or the namespaces of a process',
    load: () => (require('./info.js') as typeof import('./info.js')).info,
  },
  {
    name: 'run',
    summary: 'run a command in new namespaces, like unshare',
    load: () => (require('./run.js') as typeof import('./run.js')).run,
  },
  {
    name: 'enter',
    summary: 'run a command in the namespaces of a process, like nsenter',
    load: () => (require('./enter.js') as typeof import('./enter.js')).enter,
  },
  {
    name: 'netns',
    summary: 'named network namespaces, shared with ip netns',
    load: () => (require('./netns.js') as typeof import('./netns.js')).netnsCommand,
  },
];

const usage = `Usage: nsbind COMMAND [OPTIONS]

Linux namespaces from Node.js: run commands in new ones or in those of a
process, list, inspect and keep them.

Commands:
${commandList(commands)}

Run 'nsbind COMMAND --help' for more. 'nsbind --version' prints the version.
`;

// process.stdout is made (with Node's stream modules) only when a command writes or asks about it
const io: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  get tty() {
    return process.stdout.isTTY === true;
  },
  get columns() {
    return process.stdout.columns;
  },
};

const args = process.argv.slice(2);
if (args[0] === '--version' || args[0] === '-V') {
  const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  io.out(`nsbind ${version}\n`);
} else {
  void dispatch('nsbind', commands, args, io, usage).then((status) => {
    process.exitCode = status;
  });
}
