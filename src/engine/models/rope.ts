// Rotary position embedding (RoPE) as Hugging Face transformers computes it: the inverse
// frequencies of each rope_type (modeling_rope_utils.py), the cos/sin tables and the rotation
// `rotate_half` of apply_rotary_pos_emb (modeling_llama.py). HF builds these tables in float32
// on purpose (autocast is disabled in LlamaRotaryEmbedding.forward); every step here is rounded
// to float32 the same way (Math.fround), since an angle like 17·θ loses ~1e-6 in float32.
import type { RopeParams } from '../format/loaded';
import type { RopeInfo } from '../types';

const f32 = Math.fround;

export type RopeType = RopeParams['type'];
export const ROPE_TYPES: readonly RopeType[] = ['default', 'linear', 'dynamic', 'llama3'];

/** 1 / base^(2i/dim), i < dim/2, in float32 as `base ** (torch.arange(0, dim, 2).float() / dim)`. */
function defaultInvFreq(base: number, dim: number): Float32Array {
  const out = new Float32Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) out[i] = f32(1 / f32(base ** f32((2 * i) / dim)));
  return out;
}

/**
 * The inverse frequencies for a forward pass over positions 0…seqLen−1. Only `dynamic` depends on
 * seqLen (dynamic_rope_update recomputes them when the sequence outgrows max_position_embeddings).
 */
export function ropeInvFreq(p: RopeParams, seqLen: number): Float32Array {
  const dim = p.rotaryDim;
  switch (p.type) {
    case 'default': // compute_default_rope_parameters
      return defaultInvFreq(p.theta, dim);
    case 'linear': {
      // _compute_linear_scaling_rope_parameters: inv_freq /= factor (same as positions / factor)
      const inv = defaultInvFreq(p.theta, dim);
      for (let i = 0; i < inv.length; i++) inv[i] = f32(inv[i] / p.factor!);
      return inv;
    }
    case 'dynamic': {
      // _compute_dynamic_ntk_parameters: base · (factor·L/max − (factor−1))^(dim/(dim−2)) for
      // L = seq_len > max_position_embeddings. seq_len is a tensor there, so this is float32.
      const max = p.maxPositions!;
      if (seqLen <= max) return defaultInvFreq(p.theta, dim);
      const ratio = f32(f32(f32(p.factor! * seqLen) / max) - (p.factor! - 1));
      const base = f32(p.theta * f32(ratio ** (dim / (dim - 2))));
      return defaultInvFreq(base, dim);
    }
    case 'llama3':
      return llama3InvFreq(p);
  }
}

/** _compute_llama3_parameters: long wavelengths divided by factor, the middle band interpolated. */
function llama3InvFreq(p: RopeParams): Float32Array {
  const inv = defaultInvFreq(p.theta, p.rotaryDim);
  const factor = p.factor!,
    low = p.lowFreqFactor!,
    high = p.highFreqFactor!,
    old = p.originalMaxPositions!;
  const lowWavelen = old / low;
  const highWavelen = old / high;
  for (let i = 0; i < inv.length; i++) {
    const wavelen = f32((2 * Math.PI) / inv[i]);
    const scaled = wavelen > lowWavelen ? f32(inv[i] / factor) : inv[i];
    if (wavelen < highWavelen || wavelen > lowWavelen) {
      inv[i] = scaled;
      continue;
    }
    const smooth = f32(f32(f32(old / wavelen) - low) / (high - low));
    inv[i] = f32(f32(f32(f32(1 - smooth) * scaled) / factor) + f32(smooth * scaled));
  }
  return inv;
}

/** cos and sin [positions.length, rotaryDim/2] of position · inv_freq, each product rounded to float32. */
export function ropeTables(invFreq: Float32Array, positions: number[]): { cos: Float32Array; sin: Float32Array } {
  const half = invFreq.length;
  const cos = new Float32Array(positions.length * half);
  const sin = new Float32Array(positions.length * half);
  positions.forEach((pos, r) => {
    for (let i = 0; i < half; i++) {
      const angle = f32(invFreq[i] * pos);
      cos[r * half + i] = Math.cos(angle);
      sin[r * half + i] = Math.sin(angle);
    }
  });
  return { cos, sin };
}

/**
 * In place on x [rows, heads·headDim]: each head's first rotaryDim dims rotated by its row's
 * angles, as apply_rotary_pos_emb does with rotate_half — dim i pairs with dim i + rotaryDim/2
 * (not 2i with 2i+1). Dims past rotaryDim pass through (GPT-NeoX's partial rotary).
 */
type Tables = { cos: Float32Array; sin: Float32Array };

export function applyRope(x: Float32Array, rows: number, heads: number, headDim: number, t: Tables): void {
  const half = t.cos.length / rows;
  for (let r = 0; r < rows; r++) {
    for (let h = 0; h < heads; h++) {
      const o = (r * heads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const c = t.cos[r * half + i],
          s = t.sin[r * half + i];
        const a = x[o + i],
          b = x[o + i + half];
        x[o + i] = f32(a * c) - f32(b * s); // q·cos + (−x2)·sin
        x[o + i + half] = f32(b * c) + f32(a * s); // q·cos + x1·sin
      }
    }
  }
}

/** The layers' RoPE for the inspector: one entry per distinct parameter set (Gemma3: local and global). */
export function ropeSummary(rope: RopeParams[], headDim: number, seqLen: number): RopeInfo[] {
  const groups = new Map<string, RopeInfo>();
  rope.forEach((p, layer) => {
    const key = JSON.stringify(p);
    const g = groups.get(key);
    if (g) return void g.layers.push(layer);
    const info: RopeInfo = {
      layers: [layer],
      type: p.type,
      theta: p.theta,
      headDim,
      rotaryDim: p.rotaryDim,
      invFreq: [...ropeInvFreq(p, seqLen)],
    };
    if (p.factor !== undefined) info.factor = p.factor;
    groups.set(key, info);
  });
  return [...groups.values()];
}
