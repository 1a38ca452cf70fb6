// The pure-JS builds (core and tensor kernels), imported only where they run: engines without
// WebAssembly, `init({ backend: 'js' })`, or an embedded build that cannot compile. A bundler puts
// them in a chunk of their own, which runtimes with WebAssembly never load. Both come in one
// module, so that whenever the core runtime runs the pure-JS build the tfjs kernels have theirs
// too (they must be at hand synchronously inside a tfjs kernel).
import type { KernelExports } from './exports.js';

type PureJs = typeof import('./purejs-tensor.js');

let loaded: PureJs | null = null;

export async function loadPureJs(): Promise<PureJs> {
  loaded ??= await import('./purejs-tensor.js');
  return loaded;
}

/** The pure-JS builds if loaded already (always, once the core runtime has run them). */
export function pureJsLoaded(): PureJs | null {
  return loaded;
}

/** The core runtime's pure-JS build, for the default entry's init(). */
export async function jsBuild(): Promise<KernelExports> {
  return (await loadPureJs()).jsBuild();
}
