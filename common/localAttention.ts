// Local self-attention of the Image Transformer (Parmar et al. 2018, §3.2): which earlier pixels
// each pixel may attend to. Pure geometry with no weights, shared by the engine (the mask) and the
// inspector's image view (the outlines of the query and memory blocks).
//
// local-1d: the image is flattened in raster order and cut into query blocks of query_length
//   positions; a query block's memory is the block itself plus the memory_length positions before it.
// local-2d: the image is cut into query_height × query_width rectangles; the blocks are generated in
//   raster order and the pixels inside a block in raster order too (that is the sequence order).
//   A block's memory extends memory_above rows above it and memory_left / memory_right columns to
//   either side (clipped at the image border).
// In both, a key is visible when it is in the query's memory block and not later in the sequence.

/** The image and block sizes (the fields of the model's config of the same names). */
export interface LocalSpec {
  height: number;
  width: number;
  attention: 'local-1d' | 'local-2d';
  query_length?: number;
  memory_length?: number;
  query_height?: number;
  query_width?: number;
  memory_above?: number;
  memory_left?: number;
  memory_right?: number;
}

/** order[s] = row-major pixel index (row · width + col) of sequence position s. */
export function generationOrder(spec: LocalSpec): Int32Array {
  const { height: H, width: W } = spec;
  const order = new Int32Array(H * W);
  if (spec.attention === 'local-1d') {
    for (let s = 0; s < H * W; s++) order[s] = s;
    return order;
  }
  const bh = spec.query_height ?? 1;
  const bw = spec.query_width ?? 1;
  let s = 0;
  for (let by = 0; by < H; by += bh) {
    for (let bx = 0; bx < W; bx += bw) {
      for (let y = by; y < by + bh; y++) for (let x = bx; x < bx + bw; x++) order[s++] = y * W + x;
    }
  }
  return order;
}

/** A pixel rectangle, rows top…bottom and columns left…right inclusive. */
export interface Rect {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

/**
 * The query block and memory block of sequence position s. local-1d blocks are runs of raster
 * positions ([first, last] sequence positions, which may wrap across rows); local-2d blocks are
 * rectangles.
 */
export function blocksOf(
  spec: LocalSpec,
  s: number,
): { kind: '1d'; query: [number, number]; memory: [number, number] } | { kind: '2d'; query: Rect; memory: Rect } {
  const { height: H, width: W } = spec;
  if (spec.attention === 'local-1d') {
    const lq = spec.query_length ?? 1;
    const start = Math.floor(s / lq) * lq;
    const last = Math.min(start + lq, H * W) - 1;
    return { kind: '1d', query: [start, last], memory: [Math.max(0, start - (spec.memory_length ?? 0)), last] };
  }
  const bh = spec.query_height ?? 1;
  const bw = spec.query_width ?? 1;
  const perRow = W / bw;
  const b = Math.floor(s / (bh * bw));
  const top = Math.floor(b / perRow) * bh;
  const left = (b % perRow) * bw;
  const query = { top, left, bottom: top + bh - 1, right: left + bw - 1 };
  const memory = {
    top: Math.max(0, top - (spec.memory_above ?? 0)),
    left: Math.max(0, left - (spec.memory_left ?? 0)),
    bottom: top + bh - 1,
    right: Math.min(W - 1, left + bw - 1 + (spec.memory_right ?? 0)),
  };
  return { kind: '2d', query, memory };
}

/** [n, n] over the first n sequence positions: 1 where key j is hidden from query i. */
export function localMask(spec: LocalSpec, n: number): Uint8Array {
  const W = spec.width;
  const order = generationOrder(spec);
  const mask = new Uint8Array(n * n).fill(1);
  for (let i = 0; i < n; i++) {
    const blk = blocksOf(spec, i);
    for (let j = 0; j <= i; j++) {
      let visible: boolean;
      if (blk.kind === '1d') {
        visible = j >= blk.memory[0];
      } else {
        const y = Math.floor(order[j] / W);
        const x = order[j] % W;
        const m = blk.memory;
        visible = y >= m.top && y <= m.bottom && x >= m.left && x <= m.right;
      }
      if (visible) mask[i * n + j] = 0;
    }
  }
  return mask;
}
