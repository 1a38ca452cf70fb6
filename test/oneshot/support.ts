// Helpers for the one-shot tests.
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadArtifacts } from '../../src/node.js';
import { mnist, type Data } from '../training/support.js';

/** The wasm backend, the bundled LeNet-300-100's artifacts, 256 MNIST training images to calibrate on and the 10 000 test images. */
export async function lenetOnMnist(): Promise<{ lenet: tf.io.ModelArtifacts; calib: Data; test: Data }> {
  await tf.setBackend('wasm');
  return { lenet: await loadArtifacts(path.resolve('examples/mnist-mlp')), calib: await mnist('train', 256), test: await mnist('test', 10_000) };
}

/** A .npy file as numpy.save writes it: magic, version, header padded to a multiple of 64, data. */
export function npy(values: ArrayLike<number>, shape: number[], { descr = '<f4', fortran = false, major = 1 } = {}): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pre = major === 1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const header = dict.padEnd(total - pre - 1, ' ') + '\n';
  const el = descr === '<f8' ? 8 : 4;
  const out = new Uint8Array(total + values.length * el);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  for (let i = 0; i < values.length; i++) {
    if (el === 8) view.setFloat64(total + 8 * i, values[i], true);
    else view.setFloat32(total + 4 * i, values[i], true);
  }
  return out;
}
