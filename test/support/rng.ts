// Seeded pseudo-random numbers for tests (no imports, so any test can use them).

/** mulberry32: small, fast, deterministic; uniform in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The same sequence, centred: uniform in [-0.5, 0.5). */
export function centredRng(seed: number): () => number {
  const r = rng(seed);
  return () => r() - 0.5;
}
