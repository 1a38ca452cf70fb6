// Artifacts with new values for some of their tensors, each written back in the encoding the
// artifacts stored it in (float32, float16, or uint8/uint16 with fresh zero-preserving
// parameters), so that a model pruned through tfjs (which saves every weight as float32) is
// written as compactly as it came. Used by pruneOneShot on graph models and by the CLI's one-shot
// path for layers models.
import { ArgumentError } from '../errors.js';
import { encode, readFloat, type WeightSpec } from '../format/index.js';
import { readArtifacts } from './artifacts.js';
import type { ModelArtifacts } from './types.js';

/** Whether any tensor of `a` is stored in fewer bytes than float32 (float16, uint8, uint16). */
export function storesQuantized(a: ModelArtifacts): boolean {
  return (a.weightSpecs ?? []).some((s) => s.quantization !== undefined);
}

/** New artifacts: `a` with the named tensors' values replaced (the same layout; `a` untouched). */
export function withValues(a: ModelArtifacts, updates: Map<string, Float32Array>, fname: string): ModelArtifacts {
  const { entries, store } = readArtifacts(a, fname);
  const specs: WeightSpec[] = entries.map((e) => ({ ...e.spec, shape: [...e.spec.shape], ...(e.spec.quantization ? { quantization: { ...e.spec.quantization } } : {}) }));
  // The replaced tensors encoded first (their sizes may change), then every tensor copied once
  // into the new weight data: the unchanged ones straight from the store.
  const encoded = entries.map((e, i) => {
    const v = updates.get(e.name);
    if (v === undefined || e.dtype !== 'float32') return null;
    if (v.length !== e.size) throw new ArgumentError(`${fname}: tensor '${e.name}' has ${e.size} values, the update ${v.length}`);
    const enc = encode(v, e.quant ?? 'float32');
    if (enc.quantization === null) delete specs[i].quantization;
    else specs[i].quantization = { ...(e.spec.quantization ?? {}), ...enc.quantization };
    return enc.bytes;
  });
  const data = new Uint8Array(entries.reduce((n, e, i) => n + (encoded[i]?.length ?? e.byteLength), 0));
  let off = 0;
  entries.forEach((e, i) => {
    const bytes = encoded[i];
    if (bytes === null) store.copy(e.byteOffset, e.byteLength, data.subarray(off, off + e.byteLength));
    else data.set(bytes, off);
    off += bytes?.length ?? e.byteLength;
  });
  const out: ModelArtifacts = { ...a, weightSpecs: specs, weightData: data.buffer };
  delete out.getWeightStream;
  return out;
}

/**
 * `saved`'s float values written in `original`'s encodings (`original`'s manifest and topology,
 * `saved`'s values), or null when the two do not hold the same float tensors by name and size
 * (then `saved` is the one to write).
 */
export function inOriginalEncoding(original: ModelArtifacts, saved: ModelArtifacts, fname: string): ModelArtifacts | null {
  const was = readArtifacts(original, fname).entries.filter((e) => e.dtype === 'float32');
  const now = readArtifacts(saved, fname);
  const floats = new Map(now.entries.filter((e) => e.dtype === 'float32').map((e) => [e.name, e]));
  if (floats.size !== was.length || was.some((e) => floats.get(e.name)?.size !== e.size)) return null;
  const updates = new Map([...floats].map(([name, e]) => [name, readFloat(now.store, e).values]));
  return withValues(original, updates, fname);
}
