// The page: controls, figures and charts. It never touches tfjs or the kernels — all pruning and
// evaluation run in worker.ts — so the slider stays smooth while a model is being pruned.
// Query option: ?scalar runs tfjs-prune's scalar build even where Wasm SIMD works.
import { curveSvg, curveHeight, layersHeight, layersSvg, type CurvePoint, type LayerBar } from './chart.js';
import { METHODS, methodOf, type DemoMethod } from './methods.js';
import type { FromWorker, PruneRequest, Sizes, SparseRun, ToWorker } from './protocol.js';
import { SIZE_ROWS, sizeChange } from './sizes.js';

type Ready = Extract<FromWorker, { type: 'ready' }>;
type Result = Extract<FromWorker, { type: 'result' }>;

const $ = <T extends Element = HTMLElement>(sel: string) => document.querySelector(sel) as unknown as T;
const slider = $<HTMLInputElement>('#sparsity');
const methodSelect = $<HTMLSelectElement>('#method');
const status = $('#status');

const pct = (x: number, digits = 2) => `${(100 * x).toFixed(digits)}%`;
const int = (n: number) => n.toLocaleString('en-US');

for (const m of METHODS) methodSelect.add(new Option(m.label, m.id));

const params = new URLSearchParams(location.search);
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const post = (m: ToWorker) => worker.postMessage(m);

let dense: Ready['dense'] | null = null;
const points = new Map<string, CurvePoint>();
let latest: CurvePoint | null = null;
let bars: { list: LayerBar[]; perTensorTargets: boolean } | null = null;
/** The slider's value as the user left it; a method with a fixed sparsity shows its own meanwhile. */
let userSparsity = Number(slider.value);
// One request in flight; while it runs, only the newest of the requests made meanwhile waits.
let nextId = 1;
let inFlight: PruneRequest | null = null;
let waiting: PruneRequest | null = null;

const method = () => methodOf(methodSelect.value);

function request(): void {
  const spec = method();
  const r: PruneRequest = { id: nextId++, method: spec.id as DemoMethod, sparsity: spec.fixedSparsity ?? userSparsity };
  if (inFlight === null) send(r);
  else waiting = r;
  setBusy(`pruning: ${describe(r)}…`);
}

function send(r: PruneRequest): void {
  inFlight = r;
  document.body.dataset.state = 'busy';
  post({ type: 'prune', ...r });
}

const describe = (r: Pick<PruneRequest, 'method' | 'sparsity'>) => `${methodOf(r.method).label}, ${pct(r.sparsity, 0)}`;

function setBusy(text: string): void {
  status.className = 'busy';
  status.textContent = text;
}

/** The slider shows the method's own sparsity, greyed, where the method fixes it; the user's otherwise. */
function showSlider(): void {
  const fixed = method().fixedSparsity;
  slider.disabled = dense === null || fixed !== null;
  slider.value = String(fixed ?? userSparsity);
  $('#sparsity-value').textContent = fixed === null ? pct(userSparsity, 0) : `${pct(fixed, 0)}, fixed by ${method().label}`;
  $('#note-method').textContent = method().note;
}

slider.addEventListener('input', () => {
  userSparsity = Number(slider.value);
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
    next();
  }
};
worker.onerror = (e) => {
  status.className = 'error';
  status.textContent = `worker error: ${e.message}`;
  document.body.dataset.state = 'error';
};

function ready(m: Ready): void {
  dense = m.dense;
  $('#count').textContent = String(m.count);
  $('#dense-accuracy').textContent = pct(m.dense.accuracy);
  $('#dense-correct').textContent = `${m.dense.correct} / ${m.dense.count} correct`;
  const engine = $('#engine');
  engine.dataset.simd = String(m.wasm.simd);
  engine.dataset.backend = m.backend;
  engine.textContent = `tfjs-prune kernels: ${kernelsText(m)} Model evaluated on the tfjs ${m.backend} backend. Ready in ${Math.round(m.ms)} ms.`;
  showSlider();
  drawCurve();
  request();
}

function kernelsText(m: Ready): string {
  if (m.wasm.backend === 'js') return 'the pure-JS fallback (this browser has no WebAssembly; the results are the same).';
  if (m.wasm.simd) return 'WebAssembly SIMD build.';
  if (m.forcedScalar) return `WebAssembly scalar build, forced by ?scalar in the address (SIMD is ${m.simdSupported ? '' : 'not '}supported here; the results are the same).`;
  return 'WebAssembly scalar build (this browser has no Wasm SIMD; the results are the same).';
}

function result(m: Result): void {
  const { request: r, report, evaluation } = m;
  const point: CurvePoint = { method: r.method, sparsity: report.totals.prunedSparsity, accuracy: evaluation.accuracy };
  points.set(`${r.method}:${r.sparsity}`, point);
  latest = point;

  $('#accuracy').textContent = pct(evaluation.accuracy);
  $('#correct').textContent = `${evaluation.correct} / ${evaluation.count} correct`;
  $('#sparsity-pruned').textContent = pct(report.totals.prunedSparsity);
  $('#sparsity-model').textContent = pct(report.totals.sparsity);
  showSizes(m.sizes);
  showTimings(m.sparse);
  showTensors(r, report);
  drawCurve();

  // What the test (and a curious reader) can check: the request this result answers.
  const fig = $('#figures');
  fig.dataset.method = r.method;
  fig.dataset.sparsity = String(r.sparsity);
  fig.dataset.correct = String(evaluation.correct);
  fig.dataset.count = String(evaluation.count);
  fig.dataset.ms = `${Math.round(m.ms.prune)}+${Math.round(m.ms.evaluate)}`;

  if (!next()) {
    document.body.dataset.state = 'idle';
    status.className = '';
    status.textContent = `${describe(r)}: pruned in ${Math.round(m.ms.prune)} ms, evaluated in ${Math.round(m.ms.evaluate)} ms`;
  }
}

/** The timings table: the pruned model's predict() dense and with sparse kernels; hidden when they did not start. */
function showTimings(run: SparseRun | null): void {
  const section = $('#timings');
  section.hidden = run === null;
  if (run === null) return;
  const ms = (x: number) => (x < 1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x.toFixed(1));
  $('#timings tbody').innerHTML = run.timings
    .map((t) => {
      const ratio = t.denseMs / t.sparseMs;
      const word = ratio >= 1 ? `${ratio.toFixed(2)}× faster` : `${(1 / ratio).toFixed(2)}× slower`;
      return `<tr data-batch="${t.batch}"><td class="num">${t.batch}</td><td class="num">${ms(t.denseMs)}</td><td class="num">${ms(t.sparseMs)}</td><td class="num">${word}</td></tr>`;
    })
    .join('');
  $('#timings').dataset.sparseCorrect = String(run.correct);
}

/** Sends the waiting request, if any; false when there is none. */
function next(): boolean {
  inFlight = null;
  if (waiting === null) return false;
  const w = waiting;
  waiting = null;
  send(w);
  return true;
}

function showSizes(pruned: Sizes): void {
  const cell = (id: string, n: number) => `<td class="num" id="${id}" data-bytes="${n}">${int(n)}</td>`;
  $('#sizes tbody').innerHTML = SIZE_ROWS.map((row) => {
    const [d, p] = [row.dense(dense!.sizes), row.pruned(pruned)];
    return `<tr data-row="${row.id}"><th>${row.label}</th>${cell(`size-${row.id}-dense`, d)}${cell(`size-${row.id}`, p)}<td class="num change" id="size-${row.id}-change">${sizeChange(d, p)}</td></tr>`;
  }).join('');
}

function showTensors(r: PruneRequest, report: Result['report']): void {
  const tensors = report.tensors.filter((t) => t.params > 0);
  // Under a global target no tensor has a target of its own: the summary row carries it.
  const global = report.scope === 'global' && report.sparsity !== null;
  const kernels = tensors.filter((t) => t.method !== null);
  bars = {
    list: [
      ...tensors.map((t) => ({ name: t.name, target: t.target, sparsity: t.sparsity })),
      { name: 'all kernels', target: kernels.length === 0 ? null : (report.sparsity ?? methodOf(r.method).fixedSparsity), sparsity: report.totals.prunedSparsity, total: true },
    ],
    perTensorTargets: !global,
  };
  drawLayers();
  const target = (t: { target: number | null }) => (t.target === null ? '–' : global ? 'global' : pct(t.target));
  $('#tensors tbody').innerHTML = tensors
    .map(
      (t) =>
        `<tr data-name="${t.name}" data-sparsity="${t.sparsity}"><td>${t.name}</td><td class="shape">[${t.shape.join(', ')}]</td><td class="num">${int(t.params)}</td>` +
        `<td class="num">${int(t.zerosAfter)}</td><td class="num">${pct(t.sparsity)}</td><td class="num">${target(t)}</td></tr>`,
    )
    .join('');
  const total = bars.list[bars.list.length - 1];
  const zeros = kernels.reduce((n, t) => n + t.zerosAfter, 0);
  $('#tensors tfoot').innerHTML =
    `<tr data-sparsity="${report.totals.prunedSparsity}"><td>all kernels</td><td class="shape"></td><td class="num">${int(report.totals.prunedParams)}</td>` +
    `<td class="num">${int(zeros)}</td><td class="num">${pct(report.totals.prunedSparsity)}</td><td class="num">${total.target === null ? '–' : pct(total.target)}</td></tr>`;
}

// The charts are drawn at their box's width, and again whenever the box changes size.
const curveBox = $('#curve-box');
const layersBox = $('#layers-box');

function drawCurve(): void {
  if (dense === null) return;
  const width = curveBox.clientWidth;
  const svg = $<SVGSVGElement>('#curve');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(curveHeight(width)));
  svg.innerHTML = curveSvg([...points.values()], dense.accuracy, latest, width);
}

function drawLayers(): void {
  if (bars === null) return;
  const width = layersBox.clientWidth;
  const svg = $<SVGSVGElement>('#layers');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(layersHeight(bars.list.length)));
  svg.innerHTML = layersSvg(bars.list, width, bars.perTensorTargets);
}

new ResizeObserver(drawCurve).observe(curveBox);
new ResizeObserver(drawLayers).observe(layersBox);

showSlider();
post({
  type: 'init',
  modelUrl: new URL('model/model.json', location.href).href,
  imagesUrl: new URL('data/t10k-images-idx3-ubyte', location.href).href,
  labelsUrl: new URL('data/t10k-labels-idx1-ubyte', location.href).href,
  calibrationImagesUrl: new URL('data/train-images-idx3-ubyte', location.href).href,
  calibrationLabelsUrl: new URL('data/train-labels-idx1-ubyte', location.href).href,
  tfjsWasmPaths: new URL('tfjs-wasm/', location.href).href,
  forceScalar: params.has('scalar'),
});
