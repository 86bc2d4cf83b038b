// The convolutional front end of an image model (Show, Attend and Tell's CNN): 2-D convolution,
// ReLU and max pooling over channel-first images [C, H, W], as torch.nn.Conv2d / ReLU / MaxPool2d.
// Plain loops: the images here are tiny (tens of pixels a side) and run once per caption.

/** An image or feature map, channel first: data[c·H·W + y·W + x]. */
export interface FeatureMap {
  channels: number;
  height: number;
  width: number;
  data: Float32Array; // [channels, height, width]
}

/**
 * Same-size-or-smaller 2-D convolution with zero padding and stride 1 (torch.nn.Conv2d).
 * weight: [out, in, k, k], bias: [out]. Output is (H + 2·pad − k + 1) × (W + 2·pad − k + 1).
 */
export function conv2d(x: FeatureMap, weight: Float32Array, bias: Float32Array, out: number, k: number, pad: number): FeatureMap {
  const { channels: C, height: H, width: W } = x;
  const Ho = H + 2 * pad - k + 1;
  const Wo = W + 2 * pad - k + 1;
  const y = new Float32Array(out * Ho * Wo); // [out, Ho, Wo]
  for (let o = 0; o < out; o++) {
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        let s = bias[o];
        for (let c = 0; c < C; c++) {
          const wBase = (o * C + c) * k * k;
          const xBase = c * H * W;
          for (let ky = 0; ky < k; ky++) {
            const iy = oy + ky - pad;
            if (iy < 0 || iy >= H) continue; // zero padding
            for (let kx = 0; kx < k; kx++) {
              const ix = ox + kx - pad;
              if (ix < 0 || ix >= W) continue;
              s += weight[wBase + ky * k + kx] * x.data[xBase + iy * W + ix];
            }
          }
        }
        y[(o * Ho + oy) * Wo + ox] = s;
      }
    }
  }
  return { channels: out, height: Ho, width: Wo, data: y };
}

/** max(0, v) in place. */
export function relu(x: FeatureMap): FeatureMap {
  const d = x.data;
  for (let i = 0; i < d.length; i++) if (d[i] < 0) d[i] = 0;
  return x;
}

/** Non-overlapping size × size max pooling (torch.nn.MaxPool2d(size)); a ragged edge is dropped. */
export function maxPool2d(x: FeatureMap, size: number): FeatureMap {
  const { channels: C, height: H, width: W } = x;
  const Ho = Math.floor(H / size);
  const Wo = Math.floor(W / size);
  const y = new Float32Array(C * Ho * Wo); // [C, Ho, Wo]
  for (let c = 0; c < C; c++) {
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        let m = -Infinity;
        for (let dy = 0; dy < size; dy++) {
          for (let dx = 0; dx < size; dx++) m = Math.max(m, x.data[(c * H + oy * size + dy) * W + ox * size + dx]);
        }
        y[(c * Ho + oy) * Wo + ox] = m;
      }
    }
  }
  return { channels: C, height: Ho, width: Wo, data: y };
}

/** [C, H, W] → [H·W, C]: one annotation vector a_i per location i = y·W + x (row-major). */
export function locations(x: FeatureMap): Float32Array {
  const { channels: C, height: H, width: W } = x;
  const L = H * W;
  const a = new Float32Array(L * C); // [L, C]
  for (let c = 0; c < C; c++) for (let i = 0; i < L; i++) a[i * C + c] = x.data[c * L + i];
  return a;
}
