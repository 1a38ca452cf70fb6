// Writes the plain closing line CI reads ("N passed, N failed, N skipped") to .vitest-summary and
// prints it. Every test counts once by its state. On top of that, each module or suite that holds
// errors of its own counts as one failure: a throwing beforeAll/afterAll (vitest then marks the
// suite's tests skipped, or leaves them passed, and exits 1), a file that fails to load, a file
// with no tests. Errors outside any module (unhandled rejections) count one each.
import { writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

export interface SummaryCounts { passed: number; failed: number; skipped: number }

export function countResults(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<unknown>): SummaryCounts {
  const counts = { passed: 0, failed: errors.length, skipped: 0 };
  for (const mod of modules) {
    const failedBefore = counts.failed;
    for (const test of mod.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') counts.passed++;
      else if (state === 'failed') counts.failed++;
      else counts.skipped++;
    }
    for (const holder of [mod, ...mod.children.allSuites()]) {
      if (holder.errors().length > 0) counts.failed++;
    }
    // A module vitest calls failed must never close the run with nothing failed.
    if (mod.state() === 'failed' && counts.failed === failedBefore) counts.failed++;
  }
  return counts;
}

export function summaryLine({ passed, failed, skipped }: SummaryCounts): string {
  return `${passed} passed, ${failed} failed, ${skipped} skipped`;
}

export default class SummaryReporter implements Reporter {
  // `file` lets the reporter's own test write somewhere other than the repository root.
  constructor(private readonly options: { file?: string } = {}) {}

  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<unknown>): void {
    const line = summaryLine(countResults(modules, errors));
    writeFileSync(this.options.file ?? '.vitest-summary', line + '\n');
    process.stdout.write(`\n${line}\n`);
  }
}
