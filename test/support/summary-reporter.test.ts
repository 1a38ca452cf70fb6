// The reporter that prints CI's closing line, run on real vitest runs of small fixture files (a
// child vitest per case, so each failure mode is seen alone): the line must count what vitest fails.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/reporter', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'summary-reporter-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function runFixture(name: string): { status: number | null; line: string; stdout: string } {
  const file = join(tmp, `${name}.summary`);
  const env: NodeJS.ProcessEnv = { ...process.env, SUMMARY_FILE: file };
  delete env.CI;
  delete env.VITEST;
  delete env.VITEST_POOL_ID;
  delete env.VITEST_WORKER_ID;
  delete env.NODE_ENV;
  const result = spawnSync(process.execPath, [
    join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run',
    '--root', FIXTURES, '--config', join(FIXTURES, 'vitest.config.ts'), `${name}.fixture.ts`,
  ], { cwd: FIXTURES, env, encoding: 'utf8', timeout: 60_000 });
  const line = readFileSync(file, 'utf8').trim();
  return { status: result.status, line, stdout: result.stdout };
}

describe('summary reporter', () => {
  test('a throwing beforeAll and a failing afterAll count as failures', () => {
    const run = runFixture('hooks');
    expect(run.status).toBe(1);
    // Tests: 2 passed, 2 skipped under the throwing beforeAll; two suites with a hook error.
    expect(run.line).toBe('2 passed, 2 failed, 2 skipped');
    // The line is the last thing printed.
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(run.line);
  });

  test('a module-level afterAll that fails counts as a failure', () => {
    const run = runFixture('module-hook');
    expect(run.status).toBe(1);
    expect(run.line).toBe('1 passed, 1 failed, 0 skipped');
  });

  test('a file that fails to load counts as a failure', () => {
    const run = runFixture('load');
    expect(run.status).toBe(1);
    expect(run.line).toBe('0 passed, 1 failed, 0 skipped');
  });

  test('ordinary states: passed, failed, skipped and todo', () => {
    const run = runFixture('plain');
    expect(run.status).toBe(1);
    expect(run.line).toBe('1 passed, 1 failed, 2 skipped');
  });
});
