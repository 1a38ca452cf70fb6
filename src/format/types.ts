// The bytes-level types the format/ room shares with everything above it.
import type { io } from '@tensorflow/tfjs-core';

export type WeightSpec = io.WeightsManifestEntry;
export type ModelArtifacts = io.ModelArtifacts;

/** Storage a float32 tensor can be quantized to; pruned weights stay exactly 0 in all three. */
export type QuantizeDtype = 'uint8' | 'uint16' | 'float16';
