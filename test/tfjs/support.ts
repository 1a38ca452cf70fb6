// Shared by the tfjs suites, in Node and in headless Chromium: which tfjs backends initialise
// here, deterministic test data, and bitwise comparison.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { expect, inject } from 'vitest';
import { rng } from '../support/rng.js';

declare module 'vitest' {
  export interface ProvidedContext {
    ciRun: boolean;
  }
}

export const inBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';

// In Node the wasm backend finds its .wasm files in node_modules; in the browser Vite serves them.
if (inBrowser) setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');

// Under CI (.ci/run sets CI=true; vitest.config.ts passes it on as `ciRun`, which the browser page
// cannot read from process.env) webgl is required in the browser: headless Chromium here gives a
// WebGL 2 context on SwiftShader with the project's flags (checked with /usr/bin/chromium 156), and
// webgl is the only backend the browser suite runs the fallback path on. Locally it stays optional.
const ciRun = inject('ciRun') === true;

/** Backends the suite must run on here, and ones it runs on when they initialise. */
export const REQUIRED_BACKENDS = inBrowser && ciRun ? ['cpu', 'wasm', 'webgl'] : ['cpu', 'wasm'];
export const OPTIONAL_BACKENDS = inBrowser && !ciRun ? ['webgl'] : [];

/**
 * The backends that initialise in this environment, in a fixed order. A required backend that
 * fails to initialise throws here, with tfjs' reason, so the suite fails at load.
 */
export async function availableBackends(): Promise<string[]> {
  const found: string[] = [];
  for (const name of REQUIRED_BACKENDS) {
    let ok = false;
    let reason = 'setBackend returned false';
    try {
      ok = await tf.setBackend(name);
    } catch (e) {
      reason = String(e);
    }
    if (!ok) throw new Error(`required tfjs backend '${name}' does not initialise here: ${reason}`);
    found.push(name);
  }
  for (const name of OPTIONAL_BACKENDS) {
    try {
      if (await tf.setBackend(name)) found.push(name);
    } catch {
      // not available here (e.g. webgl without a GL context); required under CI, above
    }
  }
  await tf.setBackend('cpu');
  return found;
}

export { rng };

/** Gaussian-ish weights with ties, zeros, -0, denormals and infinities mixed in. */
export function weights(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = r();
    if (u < 0.05) w[i] = 0;
    else if (u < 0.08) w[i] = -0;
    else if (u < 0.2) w[i] = (r() < 0.5 ? -1 : 1) * 0.125; // ties
    else if (u < 0.21) w[i] = (r() < 0.5 ? -1 : 1) * 1e-40; // denormal
    else if (u < 0.212) w[i] = r() < 0.5 ? -Infinity : Infinity;
    else w[i] = (r() + r() + r() - 1.5) * 0.4;
  }
  return w;
}

export function bitsOf(a: ArrayLike<number> | Float32Array): Uint32Array {
  return new Uint32Array(Float32Array.from(a).buffer);
}

/** Indices where the float32 bit patterns differ (the lengths must agree). */
export function bitDiffs(a: Float32Array, b: Float32Array): number[] {
  expect(a.length).toBe(b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const out: number[] = [];
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) out.push(i);
  return out;
}

/** Bitwise equality (tells -0 from +0), with the first difference in the message. */
export function expectBits(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  const a = bitsOf(actual);
  const e = bitsOf(expected);
  if (a.length !== e.length) throw new Error(`length ${a.length} !== ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) {
      throw new Error(`element ${i}: got ${Float32Array.from(actual)[i]} (0x${a[i].toString(16)}), expected ${Float32Array.from(expected)[i]} (0x${e[i].toString(16)})`);
    }
  }
}

/** Bytes the wasm backend's Wasm memory spans (it grows, never shrinks). */
export function wasmBackendMemoryBytes(): number {
  const w = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm;
  return w.HEAPU8.buffer.byteLength;
}

/** Which backend holds a tensor's data (tfjs internals, test only). */
export function backendOf(t: tf.Tensor): tf.KernelBackend {
  const info = (tf.engine() as unknown as { state: { tensorInfo: WeakMap<object, { backend: tf.KernelBackend }> } }).state.tensorInfo.get(t.dataId);
  if (info === undefined) throw new Error('tensor has no data');
  return info.backend;
}
