// The tfjs entry (tfjs-core and tfjs-layers behind it: 0.3–0.9 s to import on this machine) is
// imported where a command first needs it, so the runs that never touch it — a streamed prune
// (the default path), `--help`, `--version` — do not pay for it. Types come by `import type`.
export function tfjsEntry(): Promise<typeof import('../tfjs.js')> {
  return import('../tfjs.js');
}
