import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// `npm test` runs the suite in three passes: as root (`vitest run`), as nobody
// (test/unprivileged.mjs) and against an ASan+UBSan build (test/sanitize.mjs).
// Every test file runs in every pass, unless it is listed here with the passes
// it runs in, because a run in the others adds nothing (see DEVELOPERS.md).
const PASSES = ['root', 'nobody', 'asan'] as const;
type Pass = (typeof PASSES)[number];
const ONLY_IN: Record<string, readonly Pass[]> = {
  // privilege-independent and no native code of its own: packs, installs, fetches Node.js 22 and 24
  'test/package.test.ts': ['root'],
  // typedoc over the sources: nothing privileged, no native code
  'test/docs.test.ts': ['root'],
  // volume of paths the functional tests also take (in every pass), none privilege-dependent
  'test/soak.test.ts': ['root'],
  // hostile input into the native glue: the sanitizers see what it does
  'test/fuzz.test.ts': ['root', 'asan'],
  // a block without a root marker promises to work unprivileged: only nobody can check that
  'test/readme.test.ts': ['root', 'nobody'],
};

const pass = (process.env.NSBIND_TEST_PASS ?? 'root') as Pass;
if (!PASSES.includes(pass)) throw new Error(`NSBIND_TEST_PASS must be one of ${PASSES.join(', ')}, got ${pass}`);
for (const file of Object.keys(ONLY_IN)) {
  if (!existsSync(new URL(file, import.meta.url))) throw new Error(`vitest.config.mts lists ${file}, which is gone`);
}

// test/passes.mjs asks for a JSON report (NSBIND_TEST_REPORT) to name what failed
// in its summary; the nobody pass shows every test, with the reasons for skips.
const report = process.env.NSBIND_TEST_REPORT;

export default defineConfig({
  test: {
    reporters: [
      pass === 'nobody' ? 'verbose' : 'default',
      ...(report ? [['json', { outputFile: report }] as const] : []),
    ],
    include: ['test/**/*.test.ts'],
    exclude: Object.entries(ONLY_IN)
      .filter(([, passes]) => !passes.includes(pass))
      .map(([file]) => file),
    globalSetup: ['test/support/global-setup.ts'],
    // Each test file runs in its own process: namespace changes made by one
    // file's main thread never reach another file.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
