// Helpers of the streaming tests: a reference run of the in-memory path, directory comparison.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { loadArtifacts, saveArtifacts } from '../../src/node.js';
import { pruneArtifacts, type ModelPruneReport, type PruneConfig } from '../../src/tfjs.js';

/** The in-memory path: loadArtifacts + pruneArtifacts (no gzip) + saveArtifacts. */
export async function reference(input: string, out: string, config: PruneConfig, shardBytes?: number): Promise<ModelPruneReport> {
  const a = await loadArtifacts(input);
  const { artifacts, report } = await pruneArtifacts(a, config, { gzip: false });
  await saveArtifacts(out, artifacts, shardBytes === undefined ? {} : { shardBytes });
  return report;
}

/** Every file of two directories, byte for byte. */
export async function expectSameDir(a: string, b: string): Promise<void> {
  const names = (await readdir(a)).sort();
  expect((await readdir(b)).sort()).toEqual(names);
  for (const n of names) {
    const x = await readFile(path.join(a, n));
    const y = await readFile(path.join(b, n));
    if (!x.equals(y)) {
      let i = 0;
      while (i < Math.min(x.length, y.length) && x[i] === y[i]) i++;
      throw new Error(`${n} differs at byte ${i} (${x.length} vs ${y.length} bytes)${n.endsWith('.json') ? `\n${x.toString()}\n${y.toString()}` : ''}`);
    }
  }
}
