// Shared body of the runtime smoke scripts (test/runtimes/runtimes.test.ts). Plain JS, no imports:
// the test pastes it into an ESM, a CJS and a worker wrapper, each of which passes in the
// library's namespace and the init options, and prints (or serves) the JSON digest.
async function digest(lib, initOptions) {
  const info = await lib.init(initOptions);
  const n = 10007;
  // Deterministic weights: an LCG (Numerical Recipes constants), centred, with some exact zeros
  // and repeated magnitudes so ties are exercised.
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const base = new Float32Array(n);
  for (let i = 0; i < n; i++) base[i] = i % 97 === 0 ? 0 : i % 89 === 0 ? -0.25 : next() * 2 - 1;

  // FNV-1a over the bytes of a typed array (float bits for weights, bytes for masks).
  const fnv = (arr, h = 0x811c9dc5) => {
    const b = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
    for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 16777619) >>> 0;
    return h;
  };
  const ones = (m) => { let c = 0; for (let i = 0; i < m.length; i++) c += m[i] ? 1 : 0; return c; };

  const w = base.slice();
  const report = lib.pruneToSparsity(w, 0.9);
  const threshold = lib.magnitudeThreshold(base, 0.9);
  const mask = lib.magnitudeMask(base, { sparsity: 0.5 });
  const nm = lib.nmMask(base, { n: 2, m: 4 }); // 10007 is prime: the last group has 3 weights
  const nmRows = lib.nmMask(base.subarray(0, 10000), { n: 2, m: 4, rowLength: 100 });
  const masked = base.slice();
  lib.applyMask(masked, nm);
  const result = {
    prune: { threshold: report.threshold, pruned: report.pruned, kept: report.kept, sum: fnv(w) },
    threshold,
    mask: { kept: ones(mask), sum: fnv(mask) },
    nm: { kept: ones(nm), sum: fnv(nm), zeros: lib.countZeros(masked), weights: fnv(masked) },
    nmRows: { kept: ones(nmRows), sum: fnv(nmRows) },
    untouched: fnv(base),
  };
  return { simd: info.simd, result };
}
