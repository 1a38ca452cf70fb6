// The body every runtime runs on the tfjs-prune/load entry: decode a container, hash the weights
// (FNV-1a over the bytes), list the specs, and decode a truncated copy to see the named error.
// Plain JS shared by the runtime suites (load.test.ts): no imports, no Node APIs.
async function digestLoad(lib, bytes) {
  const a = await lib.decompressArtifacts(bytes);
  const b = new Uint8Array(a.weightData);
  let hash = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) hash = Math.imul(hash ^ b[i], 16777619) >>> 0;
  let error = null;
  try {
    await lib.decompressArtifacts(bytes.slice(0, bytes.length - 3));
  } catch (e) {
    error = [e.name, e.code, e.section, e instanceof lib.PruneError];
  }
  return { specs: a.weightSpecs.map((s) => [s.name, s.dtype, s.shape.join('x'), 'quantization' in s]), bytes: b.length, hash, format: a.format, error };
}
