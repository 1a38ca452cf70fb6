// The page: controls, figures and charts. It never touches tfjs or the kernels — all pruning and
// evaluation run in worker.ts — so the slider stays smooth while a model is being pruned.
// Query option: ?scalar runs tfjs-prune's scalar build even where Wasm SIMD works.
import { curveSvg, layersHeight, layersSvg, type CurvePoint } from './chart.js';
import type { DemoMethod, FromWorker, PruneRequest, ToWorker } from './protocol.js';

const $ = <T extends Element = HTMLElement>(sel: string) => document.querySelector(sel) as unknown as T;
const slider = $<HTMLInputElement>('#sparsity');
const methodSelect = $<HTMLSelectElement>('#method');
const status = $('#status');

const pct = (x: number, digits = 2) => `${(100 * x).toFixed(digits)}%`;
const bytes = (n: number) => `${n.toLocaleString('en-US')} B (${(n / 1024).toFixed(1)} KiB)`;
const ratio = (before: number, after: number) => `${(before / after).toFixed(2)}× smaller`;

const params = new URLSearchParams(location.search);
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const post = (m: ToWorker) => worker.postMessage(m);

let dense: Extract<FromWorker, { type: 'ready' }>['dense'] | null = null;
const points = new Map<string, CurvePoint>();
let latest: CurvePoint | null = null;
// One request in flight; while it runs, only the newest of the requests made meanwhile waits.
let nextId = 1;
let inFlight: PruneRequest | null = null;
let waiting: PruneRequest | null = null;

function request(): void {
  const method = methodSelect.value as DemoMethod;
  const r: PruneRequest = { id: nextId++, method, sparsity: Number(slider.value) };
  if (inFlight === null) send(r);
  else waiting = r;
  setBusy(`pruning: ${describe(r)}…`);
}

function send(r: PruneRequest): void {
  inFlight = r;
  document.body.dataset.state = 'busy';
  post({ type: 'prune', ...r });
}

const describe = (r: Pick<PruneRequest, 'method' | 'sparsity'>) => (r.method === '2:4' ? 'N:M 2:4' : `magnitude ${r.method === 'global' ? 'global' : 'per layer'}, ${pct(r.sparsity, 0)}`);

function setBusy(text: string): void {
  status.className = 'busy';
  status.textContent = text;
}

function showSlider(): void {
  const nm = methodSelect.value === '2:4';
  slider.disabled = dense === null || nm;
  $('#sparsity-value').textContent = nm ? '50% (2 of 4)' : pct(Number(slider.value), 0);
}

slider.addEventListener('input', () => {
  showSlider();
  request();
});
methodSelect.addEventListener('change', () => {
  showSlider();
  request();
});

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  if (m.type === 'ready') ready(m);
  else if (m.type === 'result') result(m);
  else {
    status.className = 'error';
    status.textContent = `error: ${m.message}`;
    document.body.dataset.state = 'error';
    inFlight = null;
    if (waiting !== null) {
      const w = waiting;
      waiting = null;
      send(w);
    }
  }
};
worker.onerror = (e) => {
  status.className = 'error';
  status.textContent = `worker error: ${e.message}`;
  document.body.dataset.state = 'error';
};

function ready(m: Extract<FromWorker, { type: 'ready' }>): void {
  dense = m.dense;
  $('#count').textContent = String(m.count);
  $('#dense-accuracy').textContent = pct(m.dense.accuracy);
  $('#dense-correct').textContent = `${m.dense.correct} / ${m.dense.count}`;
  const engine = $('#engine');
  engine.dataset.simd = String(m.wasm.simd);
  engine.dataset.backend = m.backend;
  engine.textContent =
    `tfjs-prune kernels: ${m.wasm.simd ? 'WebAssembly SIMD build' : 'WebAssembly scalar build (no SIMD)'}` +
    ` (SIMD ${m.simdSupported ? 'supported' : 'not supported'} here). Model evaluated on the tfjs ${m.backend} backend.` +
    ` Ready in ${Math.round(m.ms)} ms.`;
  showSlider();
  drawCurve();
  request();
}

function result(m: Extract<FromWorker, { type: 'result' }>): void {
  const { request: r, report, evaluation } = m;
  const point: CurvePoint = { method: r.method, sparsity: report.totals.prunedSparsity, accuracy: evaluation.accuracy };
  points.set(`${r.method}:${r.method === '2:4' ? '' : r.sparsity}`, point);
  latest = point;

  const acc = $('#accuracy');
  acc.textContent = pct(evaluation.accuracy);
  $('#correct').textContent = `${evaluation.correct} / ${evaluation.count}`;
  $('#sparsity-pruned').textContent = pct(report.totals.prunedSparsity);
  $('#sparsity-model').textContent = pct(report.totals.sparsity);
  const { before, after, quantized } = report.bytes;
  setBytes('#size-raw', after.raw);
  setBytes('#size-gzip', after.gzip!);
  setBytes('#size-uint8', quantized.gzip!);
  $('#size-raw-dense').textContent = `dense: ${before.raw.toLocaleString('en-US')} B`;
  $('#size-gzip-dense').textContent = `dense: ${before.gzip!.toLocaleString('en-US')} B, ${ratio(before.gzip!, after.gzip!)}`;

  const tensors = report.tensors.filter((t) => t.params > 0);
  const layers = $<SVGSVGElement>('#layers');
  layers.setAttribute('height', String(layersHeight(tensors.length)));
  layers.innerHTML = layersSvg(tensors.map((t) => ({ name: t.name, params: t.params, target: t.target, sparsity: t.sparsity })));
  $('#tensors tbody').innerHTML = tensors
    .map(
      (t) =>
        `<tr data-name="${t.name}" data-sparsity="${t.sparsity}"><td>${t.name}</td><td>[${t.shape.join(', ')}]</td><td class="num">${t.params.toLocaleString('en-US')}</td>` +
        `<td class="num">${t.zerosAfter.toLocaleString('en-US')}</td><td class="num">${pct(t.sparsity)}</td><td class="num">${t.target === null ? '–' : pct(t.target)}</td></tr>`,
    )
    .join('');
  drawCurve();

  // What the test (and a curious reader) can check: the request this result answers.
  const fig = $('#figures');
  fig.dataset.method = r.method;
  fig.dataset.sparsity = String(r.sparsity);
  fig.dataset.correct = String(evaluation.correct);
  fig.dataset.count = String(evaluation.count);
  fig.dataset.ms = `${Math.round(m.ms.prune)}+${Math.round(m.ms.evaluate)}`;

  inFlight = null;
  if (waiting !== null) {
    const w = waiting;
    waiting = null;
    send(w);
  } else {
    document.body.dataset.state = 'idle';
    status.className = '';
    status.textContent = `${describe(r)}: pruned in ${Math.round(m.ms.prune)} ms, evaluated in ${Math.round(m.ms.evaluate)} ms`;
  }
}

function setBytes(sel: string, n: number): void {
  const el = $(sel);
  el.textContent = bytes(n);
  el.dataset.bytes = String(n);
}

function drawCurve(): void {
  if (dense === null) return;
  $<SVGSVGElement>('#curve').innerHTML = curveSvg([...points.values()], dense.accuracy, latest);
}

post({
  type: 'init',
  modelUrl: new URL('model/model.json', location.href).href,
  imagesUrl: new URL('data/t10k-images-idx3-ubyte', location.href).href,
  labelsUrl: new URL('data/t10k-labels-idx1-ubyte', location.href).href,
  tfjsWasmPaths: new URL('tfjs-wasm/', location.href).href,
  forceScalar: params.has('scalar'),
});
