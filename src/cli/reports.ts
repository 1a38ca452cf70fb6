// --report files: report.html (charts and tables) and report.json (the same data), rendered in
// memory first so that nothing is written before everything has been computed.
import type { ModelArtifacts } from '../node.js';
import type { ModelPruneReport, OneShotReport, PruneConfig } from '../tfjs.js';
import { writeFileAtomic, reportKind } from './files.js';
import { magnitudeHistograms } from './histograms.js';
import { renderHtmlReport, type Evaluation, type HtmlReportInput, type Sensitivity } from './html.js';

/** Histograms drawn at most (the first tensors in model order); the rest are counted. */
export const MAX_HISTOGRAMS = 64;

export interface ReportContent {
  kind: HtmlReportInput['kind'];
  title: string;
  facts: [string, string][];
  report: ModelPruneReport;
  config?: PruneConfig;
  before: ModelArtifacts;
  /** null for inspect. */
  after: ModelArtifacts | null;
  sensitivity?: Sensitivity;
  evaluation?: Evaluation;
  /** One-shot pruning's report: its layer table is drawn too. */
  oneShot?: OneShotReport;
  generator: string;
  /** The report as report.json gives it (default: `report`). */
  jsonReport?: unknown;
  /** Extra fields of report.json. */
  json: Record<string, unknown>;
}

/** Tensors worth a histogram: the pruned ones (inspect: prunable by default or holding zeros). */
export function histogramTensors(r: ModelPruneReport, inspect: boolean): string[] {
  return r.tensors.filter((t) => t.method !== null || (inspect && t.zerosAfter > 0 && t.shape.length >= 2)).map((t) => t.name);
}

/** Renders every requested report; `onTensor` reports histogram progress. */
export function renderReports(files: string[], c: ReportContent, onTensor?: (done: number, total: number) => void): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  let html: string | null = null;
  for (const file of files) {
    if (reportKind(file) === 'json') {
      const data = { generator: c.generator, kind: c.kind, ...c.json, config: c.config ?? null, report: c.jsonReport ?? c.report, sensitivity: c.sensitivity ?? null, evaluation: c.evaluation ?? null };
      out.push({ file, text: `${JSON.stringify(data, null, 2)}\n` });
    } else {
      if (html === null) {
        const names = histogramTensors(c.report, c.kind === 'inspect');
        const drawn = names.slice(0, MAX_HISTOGRAMS);
        html = renderHtmlReport({
          kind: c.kind,
          title: c.title,
          facts: c.facts,
          report: c.report,
          config: c.config,
          histograms: magnitudeHistograms(drawn, c.before, c.after, onTensor),
          omittedHistograms: names.length - drawn.length,
          sensitivity: c.sensitivity,
          evaluation: c.evaluation,
          oneShot: c.oneShot,
          generator: c.generator,
        });
      }
      out.push({ file, text: html });
    }
  }
  return out;
}

export async function writeReports(rendered: { file: string; text: string }[]): Promise<void> {
  for (const r of rendered) await writeFileAtomic(r.file, r.text);
}
