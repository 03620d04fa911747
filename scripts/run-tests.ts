/**
 * `npm test`: every suite, in order, then one closing line `N passed, M failed`
 * summed over all of them.
 *   1. type check (svelte-check over TS and Svelte, strict)
 *   2. unit and engine tests (vitest, Node, onnxruntime-node on the tiny models)
 *   3. end-to-end tests (Playwright in Debian's Chromium, WebGPU and WASM)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { generateFixtures } from './generate-fixtures.ts';

const OUTPUT = '.test-output';

function run(command: string, args: string[]): number {
  console.log(`\n$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: process.env });
  return result.status ?? 1;
}

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

function vitestCounts(path: string): Counts | null {
  if (!existsSync(path)) return null;
  const report = JSON.parse(readFileSync(path, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
  };
  return { passed: report.numPassedTests, failed: report.numFailedTests, skipped: report.numPendingTests + report.numTodoTests };
}

function playwrightCounts(path: string): Counts | null {
  if (!existsSync(path)) return null;
  const report = JSON.parse(readFileSync(path, 'utf8')) as {
    stats: { expected: number; unexpected: number; flaky: number; skipped: number };
  };
  const { expected, unexpected, flaky, skipped } = report.stats;
  return { passed: expected + flaky, failed: unexpected, skipped };
}

rmSync(OUTPUT, { recursive: true, force: true });
mkdirSync(OUTPUT, { recursive: true });
await generateFixtures();

const typecheckStatus = run('npx', ['svelte-check', '--tsconfig', './tsconfig.json', '--threshold', 'error']);
const vitestStatus = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${OUTPUT}/vitest.json`]);
const e2eStatus = run('npx', ['playwright', 'test']);

const suites: [string, Counts | null, number][] = [
  ['unit + engine (vitest)', vitestCounts(`${OUTPUT}/vitest.json`), vitestStatus],
  ['end-to-end (playwright)', playwrightCounts(`${OUTPUT}/e2e.json`), e2eStatus],
];
let passed = 0;
let failed = typecheckStatus === 0 ? 0 : 1;
let skipped = 0;
console.log('\nSummary');
console.log(`  type check: ${typecheckStatus === 0 ? 'clean' : 'FAILED'}`);
for (const [name, counts, status] of suites) {
  if (!counts) {
    console.log(`  ${name}: no report (exit ${status})`);
    failed += 1;
    continue;
  }
  // A runner that exits non-zero with no failed test (a crash, a bad config) still counts as a failure.
  const crashed = status !== 0 && counts.failed === 0 ? 1 : 0;
  console.log(`  ${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped${crashed ? ` (exit ${status})` : ''}`);
  passed += counts.passed;
  failed += counts.failed + crashed;
  skipped += counts.skipped;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 ? 0 : 1);
