// Smooth random images for one-shot calibration on image models that have no dataset here: four
// Gaussian blobs of random place, size, brightness and tint each, values in [0, 1), NHWC.
// Used by test/oneshot/graph.test.ts and bench/oneshot-graph.mjs.

/** n images of h×w×c as one Float32Array ([n, h, w, c]); the same seed gives the same images. */
export function blobImages(n, h, w, c, seed) {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const v = new Float32Array(n * h * w * c);
  for (let i = 0; i < n; i++) {
    for (let b = 0; b < 4; b++) {
      const cy = rnd() * h;
      const cx = rnd() * w;
      const r = (0.1 + 0.3 * rnd()) * h;
      const a = rnd() / 2;
      const tint = Array.from({ length: c }, () => 0.5 + rnd() / 2);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const g = a * Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * r * r));
          for (let k = 0; k < c; k++) v[((i * h + y) * w + x) * c + k] += g * tint[k];
        }
      }
    }
  }
  return v;
}
