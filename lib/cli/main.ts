#!/usr/bin/env node
// nsbind: the command-line tool. Each command is a module in this directory.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, commandList, dispatch, type Io } from './command.js';
import { enter } from './enter.js';
import { info } from './info.js';
import { ls } from './ls.js';
import { netnsCommand } from './netns.js';
import { run } from './run.js';

const commands: readonly Command[] = [ls, info, run, enter, netnsCommand];

const usage = `Usage: nsbind COMMAND [OPTIONS]

Linux namespaces from Node.js: run commands in new ones or in those of a
process, list, inspect and keep them.

Commands:
${commandList(commands)}

Run 'nsbind COMMAND --help' for more. 'nsbind --version' prints the version.
`;

const io: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  tty: process.stdout.isTTY === true,
  columns: process.stdout.columns,
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
