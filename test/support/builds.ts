// The kernel builds every suite runs on: SIMD, scalar and pure JS, with the default window and a
// tiny one (1024 floats, so that chunk boundaries fall inside the test arrays).
import { init } from '../../src/index.js';

export const BUILD_CONFIGS = [
  { build: 'simd', chunkLength: undefined },
  { build: 'scalar', chunkLength: undefined },
  { build: 'js', chunkLength: undefined },
  { build: 'simd', chunkLength: 1024 },
  { build: 'scalar', chunkLength: 1024 },
  { build: 'js', chunkLength: 1024 },
] as const;

export type Build = (typeof BUILD_CONFIGS)[number]['build'];

export const initBuild = (build: Build, chunkLength?: number) =>
  init(build === 'js' ? { backend: 'js', chunkLength } : { forceScalar: build === 'scalar', chunkLength });
