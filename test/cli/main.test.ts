import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, nsbind, oneLineError } from '../support/cli.js';
import { PACKAGE_DIR, ROOT_DIR } from '../support/env.js';

const COMMANDS = ['ls', 'info', 'run', 'enter', 'netns', 'netns add', 'netns del', 'netns ls', 'netns exec'];

describe('nsbind: commands, help and bad input', () => {
  it('--help lists the commands; --version prints the package version', () => {
    const help = nsbind(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: nsbind COMMAND/);
    for (const name of ['ls', 'info', 'run', 'enter', 'netns'])
      expect(help.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    const version = nsbind(['--version']);
    expect(version.stdout).toMatch(/^nsbind \d+\.\d+\.\d+\n$/);
  });

  it.each(COMMANDS)('%s --help: usage on stdout, exit 0', (command) => {
    for (const flag of ['--help', '-h']) {
      const r = nsbind([...command.split(' '), flag]);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: nsbind ${command}`));
      expect(r.stderr).toBe('');
    }
  });

  it.each(COMMANDS)('%s --bogus: one line on stderr, exit 2', (command) => {
    const r = nsbind([...command.split(' '), '--bogus']);
    expect(oneLineError(r)).toMatch(new RegExp(`^nsbind ${command}: unknown option '--bogus'`));
    expect(r.status).toBe(2);
  });

  it('no command, an unknown command, a missing or bad argument: one line each', () => {
    expect(oneLineError(nsbind([]))).toBe("nsbind: missing command (see 'nsbind --help')");
    expect(oneLineError(nsbind(['frob']))).toBe("nsbind: unknown command 'frob' (see 'nsbind --help')");
    expect(oneLineError(nsbind(['--bogus']))).toBe("nsbind: unknown option '--bogus' (see 'nsbind --help')");
    expect(oneLineError(nsbind(['netns', 'frob']))).toBe(
      "nsbind netns: unknown command 'frob' (see 'nsbind netns --help')",
    );
    expect(oneLineError(nsbind(['ls', '-p']))).toBe("nsbind ls: option '-p, --task <value>' argument missing");
    expect(oneLineError(nsbind(['ls', '-p', 'abc']))).toBe("nsbind ls: invalid PID 'abc'");
    expect(oneLineError(nsbind(['ls', '1', 'extra']))).toBe("nsbind ls: unexpected argument 'extra'");
    expect(oneLineError(nsbind(['ls', '-t', 'network']))).toMatch(
      /^nsbind ls: unknown namespace type 'network' \(one of cgroup, /,
    );
    expect(oneLineError(nsbind(['info']))).toBe('nsbind info: missing PATH or PID');
    expect(oneLineError(nsbind(['netns', 'add']))).toBe('nsbind netns add: missing NAME');
    for (const args of [[], ['frob'], ['ls', '-p'], ['info']]) expect(nsbind(args).status).toBe(2);
  });

  it('colour only on a terminal (and not with NO_COLOR)', () => {
    const bold = '\x1b[1m';
    expect(nsbind(['ls']).stdout).not.toContain(bold);
    // script(1) gives the command a pseudo-terminal; CI=… tells Node the terminal has no colours, so it goes
    const { CI: _ci, ...outsideCi } = process.env;
    const tty = (env: Record<string, string>) =>
      spawnSync('script', ['-qec', `${process.execPath} ${CLI} ls -t net`, '/dev/null'], {
        cwd: ROOT_DIR,
        encoding: 'utf8',
        env: { ...outsideCi, ...env },
      }).stdout;
    expect(tty({})).toContain(`${bold}        NS TYPE`);
    expect(tty({ NO_COLOR: '1' })).not.toContain('\x1b[');
  });

  it('start-up: `nsbind run` loads its own modules only (no other command, no networking, no child_process)', () => {
    // what a command loads is what its start-up costs (bench/cli.js measures it); this keeps the list honest
    const script = `process.argv = [process.argv[0], 'nsbind', 'run', '--', 'true'];
      require(${JSON.stringify(CLI)});
      process.on('exit', () => console.log(JSON.stringify({
        files: Object.keys(require.cache).map((f) => require('node:path').relative(${JSON.stringify(PACKAGE_DIR)}, f)),
        builtins: process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)),
      })));`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: PACKAGE_DIR, encoding: 'utf8' });
    const { files, builtins } = JSON.parse(r.stdout) as { files: string[]; builtins: string[] };
    expect(files).toContain('dist/cli/run.js');
    for (const module of [
      'dist/cli/ls.js',
      'dist/cli/enter.js',
      'dist/cli/netns.js',
      'dist/cli/info.js',
      'dist/network.js',
      'dist/persist.js',
    ])
      expect(files).not.toContain(module);
    expect(files.filter((f) => f.includes('netlink/'))).toEqual([]);
    for (const builtin of ['child_process', 'net', 'stream']) expect(builtins).not.toContain(builtin);
  });
});
