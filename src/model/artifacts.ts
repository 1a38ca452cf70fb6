// pruneArtifacts: tf.io.ModelArtifacts in, new ModelArtifacts and a report out. Works on the
// manifest alone, so layers models, graph models and bare weight manifests go the same way.
import { ArgumentError, ModelFormatError } from '../errors.js';
import { countZeros } from '../kernels/index.js';
import { wasmInfo } from '../wasm/index.js';
import { codePick, codeZeros, encode, otherZeros, pruneCodes, readCoded, readFloat, requantize, type Encoded, parseWeightSpecs, QUANT_BYTES, storageDtype, type TensorEntry, locate, WeightStore } from '../format/index.js';
import { normalizeConfig } from './config.js';
import { runPlan, type Access, type Stored } from './engine.js';
import type { CodedInput } from '../kernels/index.js';
import { buildReport } from './report.js';
import { fflateGzipSizes, inputSize, outputSizes, sizeMeter, type GzipSizes } from './sizes.js';
import { classify, layersIndex } from './select.js';
import type { ModelArtifacts, PruneArtifactsOptions, PruneArtifactsResult, PruneConfig, QuantizeDtype, WeightSpec } from './types.js';

const FNAME = 'pruneArtifacts';

/**
 * Prunes the weights of model artifacts (layers model, graph model or a bare weights manifest,
 * with any sharding and uint8 / uint16 / float16 quantization) and returns new artifacts with a
 * report. The input is not modified (unless `options.inPlace`); on any error nothing is returned
 * and nothing has been changed. Requires `await init()` from 'tfjs-prune'.
 */
export async function pruneArtifacts(artifacts: ModelArtifacts, config: PruneConfig, options: PruneArtifactsOptions = {}): Promise<PruneArtifactsResult> {
  const { entries, store } = readArtifacts(artifacts);
  const cfg = normalizeConfig(FNAME, config, true);
  const opts = checkOptions(options);
  wasmInfo(); // throws WASM_NOT_INITIALIZED before any work
  const roles = classify(entries, artifacts.modelTopology);
  const format = artifacts.format ?? guessFormat(artifacts.modelTopology);

  // Sizes before anything is written (in place, the input's bytes are about to change).
  const sizer = opts.gzip ? (opts.gzipSizes ?? fflateGzipSizes) : null;
  const meter = sizeMeter(sizer, entries, store.byteLength);
  const before = await inputSize(meter, entries, store.byteLength, (off, len) => store.bytes(off, len));

  // Output layout: the same as the input unless float32 tensors are quantized on the way out.
  const exportQ = cfg.quantize;
  const outLength = (e: TensorEntry) => (exportQ !== null && e.dtype === 'float32' && e.quant === null ? e.size * QUANT_BYTES[exportQ] : e.byteLength);
  const outOffsets: number[] = [];
  let total = 0;
  for (const e of entries) {
    outOffsets.push(total);
    total += outLength(e);
  }
  const sameLayout = exportQ === null;
  const out = sameLayout && opts.inPlace ? store : WeightStore.alloc(total, sameLayout ? store : undefined);
  const specs: WeightSpec[] = entries.map((e) => copySpec(e.spec));

  const access = artifactsAccess(artifacts, entries, store, { out, offsets: outOffsets, specs, exportQ });

  const tensors = runPlan(FNAME, entries, roles, cfg, access, opts.inPlace);
  const outEntries = entries.map((e, i) => ({
    ...e,
    byteOffset: outOffsets[i],
    byteLength: outLength(e),
    quant: (specs[i].quantization?.dtype ?? null) as TensorEntry['quant'],
    scale: specs[i].quantization?.scale ?? 0,
    min: specs[i].quantization?.min ?? 0,
  }));
  const { after, quantized } = await outputSizes(
    meter,
    sizer,
    outEntries,
    out.byteLength,
    (t) => tensors[t].method !== null,
    exportQ,
    (off, len) => out.bytes(off, len),
    (t) => readFloat(out, outEntries[t]).values,
  );
  const report = buildReport(format, cfg.scope, cfg.method, cfg.sparsity, tensors, { before, after, quantized });

  const result: ModelArtifacts = { ...artifacts, weightSpecs: specs, weightData: out.data };
  delete result.getWeightStream;
  return { artifacts: result, report };
}

/** Where the output goes: its store, each tensor's offset in it, its manifest entries, the export quantization. */
interface Output {
  out: WeightStore;
  offsets: number[];
  specs: WeightSpec[];
  exportQ: QuantizeDtype | null;
}

/**
 * The engine's access to artifacts: values read from the input store, results written to the
 * output (the same store in place); quantized tensors as the global select read them (pruneCodes
 * reuses their code tables).
 */
function artifactsAccess(artifacts: ModelArtifacts, entries: TensorEntry[], store: WeightStore, o: Output): Access {
  const { out, offsets: outOffsets, specs, exportQ } = o;
  const sameLayout = exportQ === null;
  const coded = new Map<number, CodedInput>();
  return {
    read: (i) => readFloat(store, entries[i]).values,
    readForSelect(i) {
      const c = readCoded(store, entries[i]);
      if (c === null) return readFloat(store, entries[i]).values;
      coded.set(i, c);
      return c;
    },
    writable(i) {
      const e = entries[i];
      if (sameLayout && e.quant === null) {
        const v = out.f32View(e.byteOffset, e.size);
        if (v !== null) {
          if (out !== store) out.copyFrom(store, e.byteOffset, e.byteLength);
          return v;
        }
      }
      const r = readFloat(store, e);
      return r.view ? r.values.slice() : r.values;
    },
    output(i) {
      const e = entries[i];
      return out === store || !sameLayout || e.quant !== null ? null : out.f32View(e.byteOffset, e.size);
    },
    store(i, values, zeros): Stored {
      const e = entries[i];
      const off = outOffsets[i];
      const copyThrough = (): Stored => {
        if (out !== store) out.write(off, store.bytes(e.byteOffset, e.byteLength));
        return { dtype: storageDtype(e), zeros: null };
      };
      if (e.dtype !== 'float32') return copyThrough();
      let enc: Encoded;
      if (values === null) {
        if (exportQ === null || e.quant !== null) return copyThrough();
        enc = encode(readFloat(store, e).values, exportQ);
      } else if (e.quant !== null) {
        enc = requantize(store, e, values);
      } else if (exportQ !== null) {
        enc = encode(values, exportQ);
      } else {
        const inOut = out.buffers.includes(values.buffer as ArrayBuffer);
        if (!inOut) out.write(off, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
        return { dtype: 'float32', zeros: zeros ?? countZeros(values) };
      }
      out.write(off, enc.bytes);
      if (enc.quantization !== null) specs[i].quantization = { ...(e.spec.quantization ?? {}), ...enc.quantization };
      return { dtype: enc.quantization?.dtype ?? 'float32', zeros: enc.zeros };
    },
    pruneCodes(i, pick) {
      const e = entries[i];
      const target = out.view(outOffsets[i], e.byteLength) ?? undefined;
      const r = pruneCodes(store, e, pick, coded.get(i), target);
      coded.delete(i);
      if (r === null) return null;
      if (r.encoded.bytes !== target) out.write(outOffsets[i], r.encoded.bytes);
      specs[i].quantization = { ...(e.spec.quantization ?? {}), ...r.encoded.quantization! };
      return { dtype: r.encoded.quantization!.dtype, zeros: r.encoded.zeros, zerosBefore: r.zerosBefore, zerosAfter: r.encoded.zeros, threshold: r.threshold };
    },
    otherZeros: (i) => otherZeros(store, entries[i]),
    pickCodes: (i, sparsity) => codePick(store, entries[i], sparsity),
    codeZeros: (i) => codeZeros(store, entries[i]),
    where(i, element) {
      const e = entries[i];
      const per = e.size === 0 ? 0 : e.byteLength / e.size;
      return locate(artifacts.weightData, e.name, e.byteOffset + element * per);
    },
  };
}

/** Validates artifacts and lays the manifest over the weight data. */
export function readArtifacts(artifacts: ModelArtifacts, fname = FNAME): { entries: TensorEntry[]; store: WeightStore } {
  if (artifacts === null || typeof artifacts !== 'object') {
    throw new ArgumentError(`${fname}: artifacts must be a tf.io.ModelArtifacts object, got ${artifacts === null ? 'null' : typeof artifacts}`);
  }
  if (artifacts.weightSpecs === undefined) throw new ModelFormatError('MALFORMED_MODEL', `${fname}: the artifacts have no weightSpecs`);
  if (artifacts.weightData === undefined) {
    const how = artifacts.getWeightStream ? ' (only getWeightStream; read the stream into weightData first)' : '';
    throw new ModelFormatError('MALFORMED_MODEL', `${fname}: the artifacts have no weightData${how}`);
  }
  const store = WeightStore.from(artifacts.weightData, fname);
  const entries = parseWeightSpecs(artifacts.weightSpecs, store, { fname, weightData: artifacts.weightData });
  return { entries, store };
}

function checkOptions(options: PruneArtifactsOptions): { gzip: boolean; inPlace: boolean; gzipSizes: GzipSizes | undefined } {
  if (options === null || typeof options !== 'object') throw new ArgumentError(`${FNAME}: options must be an object`);
  for (const key of Object.keys(options)) {
    if (key !== 'gzip' && key !== 'inPlace' && key !== 'gzipSizes') throw new ArgumentError(`${FNAME}: unknown option '${key}' (known: gzip, inPlace, gzipSizes)`);
  }
  const gzip = options.gzip ?? true;
  const inPlace = options.inPlace ?? false;
  if (typeof gzip !== 'boolean' || typeof inPlace !== 'boolean') throw new ArgumentError(`${FNAME}: options gzip and inPlace must be booleans`);
  if (options.gzipSizes !== undefined && typeof options.gzipSizes !== 'function') throw new ArgumentError(`${FNAME}: option gzipSizes must be a function`);
  return { gzip, inPlace, gzipSizes: options.gzipSizes };
}

export function guessFormat(topology: unknown): string {
  if (topology === undefined || topology === null) return 'weights';
  if (layersIndex(topology) !== null) return 'layers-model';
  if (typeof topology === 'object' && Array.isArray((topology as { node?: unknown }).node)) return 'graph-model';
  return 'unknown';
}

function copySpec(spec: WeightSpec): WeightSpec {
  const s: WeightSpec = { ...spec, shape: [...spec.shape] };
  if (spec.quantization) s.quantization = { ...spec.quantization };
  return s;
}

