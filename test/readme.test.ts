// Every fenced code block in README.md runs, as a reader would paste it: ts
// blocks are type-checked together (strict, nodenext) against the built package
// and each one runs; js/mjs/cjs blocks run under node; sh blocks under bash -euo
// pipefail. All in a scratch project whose node_modules/nsbind is this checkout.
//
// An HTML comment on the line before a block says how to treat it:
//   <!-- test: root -->           needs root: skipped, with that reason, otherwise
//   <!-- test: skip REASON -->    not run, REASON shown (e.g. it is the test run itself)
// Any other language needs a skip marker: a block nobody runs is a block that rots.
// DEBUG_README=1 prints what each block printed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { isRoot, ROOT_DIR } from './support/env.js';

const README = join(ROOT_DIR, 'README.md');
const RUNNERS: Record<string, 'ts' | 'mjs' | 'cjs' | 'sh'> = {
  ts: 'ts',
  typescript: 'ts',
  js: 'mjs',
  javascript: 'mjs',
  mjs: 'mjs',
  cjs: 'cjs',
  sh: 'sh',
  bash: 'sh',
  shell: 'sh',
};
const BLOCK_TIMEOUT = 60_000;

interface Block {
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  root: boolean;
  skip?: string;
}

/** Fenced blocks of a markdown text, with the `<!-- test: … -->` marker just above each. */
function extractBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith(fence); i++) body.push(lines[i]!);
    let prev = start - 1;
    while (prev >= 0 && lines[prev]!.trim() === '') prev--;
    const marker = prev >= 0 ? /^<!--\s*test:\s*(.*?)\s*-->$/.exec(lines[prev]!.trim()) : null;
    const directive = marker?.[1] ?? '';
    const skip = /^skip\b\s*(.*)$/.exec(directive);
    blocks.push({
      line: start + 1,
      lang: open[2]!.toLowerCase(),
      code: `${body.join('\n')}\n`,
      root: directive === 'root',
      ...(skip ? { skip: skip[1] || 'marked skip' } : {}),
    });
  }
  return blocks;
}

const blocks = extractBlocks(readFileSync(README, 'utf8'));

/** A scratch project where `import 'nsbind'` is this checkout and the package's bins are on PATH. */
const project = mkdtempSync(join(tmpdir(), 'nsbind-readme-'));
const binDir = join(project, 'node_modules', '.bin');
mkdirSync(binDir, { recursive: true });
symlinkSync(ROOT_DIR, join(project, 'node_modules', 'nsbind'));
writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'readme-blocks', private: true, type: 'module' }));
const pkg = JSON.parse(readFileSync(join(ROOT_DIR, 'package.json'), 'utf8')) as {
  name: string;
  bin?: string | Record<string, string>;
};
const bins = typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : (pkg.bin ?? {});
for (const [name, file] of Object.entries(bins)) {
  writeFileSync(join(binDir, name), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT_DIR, file)}" "$@"\n`, {
    mode: 0o755,
  });
}
afterAll(() => rmSync(project, { recursive: true, force: true }));

const name = (b: Block) => `README.md:${b.line} \`\`\`${b.lang || '(no language)'}`;
const file = (b: Block, ext: string) => join(project, `block-${b.line}.${ext}`);

function run(b: Block): void {
  const kind = RUNNERS[b.lang]!;
  let argv: string[];
  if (kind === 'sh') {
    writeFileSync(file(b, 'sh'), b.code);
    argv = ['bash', '-euo', 'pipefail', file(b, 'sh')];
  } else {
    const source = kind === 'ts' ? transpile(b) : b.code;
    writeFileSync(file(b, kind === 'cjs' ? 'cjs' : 'mjs'), source);
    argv = [process.execPath, file(b, kind === 'cjs' ? 'cjs' : 'mjs')];
  }
  try {
    const out = execFileSync(argv[0]!, argv.slice(1), {
      cwd: project,
      env: { ...process.env, PATH: `${binDir}:${process.env.PATH}` },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: BLOCK_TIMEOUT - 5_000,
    });
    if (process.env.DEBUG_README) console.log(`--- ${name(b)}\n${out}`);
  } catch (e) {
    const err = e as { status: number | null; signal: string | null; stdout: string; stderr: string };
    throw new Error(`${name(b)} failed (status ${err.status}, signal ${err.signal}):\n${err.stdout}${err.stderr}`);
  }
}

/** TS → ESM JavaScript for node (e.g. `using` lowered), as a user's build would. */
function transpile(b: Block): string {
  return ts.transpileModule(b.code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: file(b, 'mts'),
  }).outputText;
}

describe('README.md code blocks', () => {
  it('reads the marker on the line before a block (blank lines between are fine)', () => {
    const md = [
      'text',
      '<!-- test: root -->',
      '```ts',
      'a();',
      '```',
      '<!-- test: skip it is the test run itself -->',
      '',
      '```sh',
      'npm test',
      '```',
      '```',
      'plain',
      '```',
      '````js',
      '```',
      'b();',
      '````',
    ].join('\n');
    expect(extractBlocks(md)).toEqual([
      { line: 3, lang: 'ts', code: 'a();\n', root: true },
      { line: 8, lang: 'sh', code: 'npm test\n', root: false, skip: 'it is the test run itself' },
      { line: 11, lang: '', code: 'plain\n', root: false },
      { line: 14, lang: 'js', code: '```\nb();\n', root: false },
    ]);
  });

  it('has code blocks to check', () => {
    expect(blocks.filter((b) => RUNNERS[b.lang] && !b.skip).length).toBeGreaterThan(3);
  });

  it(
    'every ```ts block type-checks (strict, moduleResolution nodenext) against the built package',
    () => {
      const tsBlocks = blocks.filter((b) => RUNNERS[b.lang] === 'ts' && !b.skip);
      for (const b of tsBlocks) writeFileSync(file(b, 'mts'), b.code);
      const program = ts.createProgram(
        tsBlocks.map((b) => file(b, 'mts')),
        {
          strict: true,
          module: ts.ModuleKind.NodeNext,
          moduleResolution: ts.ModuleResolutionKind.NodeNext,
          target: ts.ScriptTarget.ES2022,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(ROOT_DIR, 'node_modules', '@types')],
        },
      );
      const problems = ts.getPreEmitDiagnostics(program).map((d) => {
        const where = d.file
          ? `${d.file.fileName.replace(/.*block-(\d+)\.mts$/, 'README.md block at line $1')}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
          : '';
        return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
      expect(problems).toEqual([]);
    },
    BLOCK_TIMEOUT,
  );

  for (const b of blocks) {
    it(
      `${name(b)}${b.root ? ' [root]' : ''}`,
      (ctx) => {
        if (b.skip) ctx.skip(b.skip);
        if (!RUNNERS[b.lang]) {
          throw new Error(
            `${name(b)}: a ${b.lang || 'plain'} block cannot run; mark it <!-- test: skip REASON --> (or make it runnable)`,
          );
        }
        if (b.root && !isRoot) ctx.skip('needs root (CAP_SYS_ADMIN in the initial user namespace)');
        run(b);
      },
      BLOCK_TIMEOUT,
    );
  }
});
