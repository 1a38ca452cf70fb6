// --allow-outside-paths and --max-bytes (prune, inspect): how much of an untrusted model the
// library may read (LoadArtifactsOptions; docs/model.md, "Pruning untrusted models").
import { ArgumentError, type LoadArtifactsOptions } from '../node.js';

export interface LimitFlags {
  allowOutsidePaths?: boolean;
  maxBytes?: string;
}

export function limitOptions(flags: LimitFlags): LoadArtifactsOptions {
  const options: LoadArtifactsOptions = {};
  if (flags.allowOutsidePaths === true) options.allowOutsidePaths = true;
  if (flags.maxBytes !== undefined) {
    const n = Number(flags.maxBytes);
    if (!/^\d+$/.test(flags.maxBytes.trim()) || !Number.isSafeInteger(n)) throw new ArgumentError(`--max-bytes must be a non-negative integer, got '${flags.maxBytes}'`);
    options.maxBytes = n;
  }
  return options;
}
