import { existsSync } from 'node:fs';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

// Debian's chromium (installed by .ci/run); never a browser downloaded by playwright. Without it
// the browser project is left out locally, but not in CI, where its absence must fail the run.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const withBrowser = existsSync(CHROMIUM) || process.env.CI === 'true';
if (!withBrowser) console.warn(`vitest: ${CHROMIUM} not found, skipping the browser project (.ci/run installs it)`);

// Headless Chromium, quiet on a closed network. webgl: SwiftShader (software GL) stands in for the
// GPU that --disable-gpu turns off, so the webgl backend initialises and is tested too.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
];

const browserProject = {
  extends: true,
  test: {
    name: 'browser',
    // Suites written to run in both Node and the browser.
    include: ['test/tfjs/**/*.test.ts'],
    exclude: ['test/**/*.browser.test.ts'],
    browser: {
      enabled: true,
      headless: true,
      // Screenshots of a page these tests never draw on say nothing and litter the tree.
      screenshotFailures: false,
      provider: playwright({ launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS } }),
      instances: [{ browser: 'chromium' as const }],
    },
  },
  optimizeDeps: {
    include: ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm'],
  },
};

// The same browser, cross-origin isolated (SharedArrayBuffer), so tfjs-backend-wasm picks its
// threaded build and the kernels run on its shared memory (the tensor-shared build).
const browserThreadsProject = {
  ...browserProject,
  test: {
    ...browserProject.test,
    name: 'browser-threads',
    include: ['test/tfjs/**/*.browser.test.ts'],
    exclude: [],
    browser: { ...browserProject.test.browser, instances: [{ browser: 'chromium' as const, name: 'browser-threads (chromium)' }] },
  },
  server: {
    headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
  },
};

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    // The tfjs suites require webgl in the browser under CI (test/tfjs/support.ts).
    provide: { ciRun: process.env.CI === 'true' },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Projects inherit these options (`extends: true`); arrays would be concatenated, so each
    // project names its own `include`.
    projects: [
      { extends: true, test: { name: 'node', include: ['test/**/*.test.ts'], exclude: ['test/**/*.browser.test.ts'] } },
      ...(withBrowser ? [browserProject, browserThreadsProject] : []),
    ],
  },
});
