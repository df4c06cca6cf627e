// The suite again against an addon built with AddressSanitizer and
// UndefinedBehaviorSanitizer (in a copy of the checkout; node itself is not
// instrumented, so the ASan runtime is preloaded), with the files
// vitest.config.mts selects for this pass. Any report fails the run.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { copyCheckout } from './support/checkout.mjs';

const SANITIZE = '-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined';
const libasan = execFileSync('cc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();

const copy = copyCheckout('asan', { skip: ['build', 'prebuilds', 'docs'], linkModules: true, readableByAll: true }); // tests also run as nobody
try {
  const env = { ...process.env, CFLAGS: SANITIZE, CXXFLAGS: SANITIZE, LDFLAGS: '-fsanitize=address,undefined' };
  console.log(`sanitizer pass: building the addon with ASan + UBSan in ${copy.dir}`);
  // the install script builds from source here (the copy has no prebuilds/), offline, with our flags
  env.PATH = `${join(copy.dir, 'node_modules', '.bin')}:${env.PATH}`;
  execFileSync(process.execPath, [join(copy.dir, 'scripts', 'install.js')], {
    cwd: copy.dir,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const ldd = execFileSync('ldd', [join(copy.dir, 'build', 'Release', 'nsbind.node')], { encoding: 'utf8' });
  if (!/libasan/.test(ldd) || !/libubsan/.test(ldd))
    throw new Error('the sanitizer build does not link libasan and libubsan');

  const run = spawnSync(process.execPath, [join(copy.dir, 'node_modules', 'vitest', 'vitest.mjs'), 'run'], {
    cwd: copy.dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      NSBIND_TEST_PASS: 'asan',
      LD_PRELOAD: libasan,
      ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:halt_on_error=1',
      UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
    },
  });
  process.stdout.write(run.stdout);
  process.stderr.write(run.stderr);
  const reports = `${run.stdout}\n${run.stderr}`.match(/ERROR: AddressSanitizer|runtime error:|LeakSanitizer/g) ?? [];
  console.log(`sanitizer pass: ${reports.length} sanitizer reports, vitest exit status ${run.status}`);
  process.exitCode = run.status === 0 && reports.length === 0 ? 0 : 1;
} finally {
  copy.remove();
}
