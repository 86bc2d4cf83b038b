// JPEG colour as libjpeg(-turbo) makes it, which is what PIL (and so Hugging Face's image processors)
// decode with: jpeg-js gives the Y, Cb, Cr planes (colorTransform off), each chroma plane upsampled
// by repetition; here the subsampled chroma is taken back and upsampled with libjpeg's "fancy"
// triangle filter (jdsample.c h2v1_fancy_upsample / h2v2_fancy_upsample), then converted with
// libjpeg's fixed-point tables (jdcolor.c ycc_rgb_convert). Only the inverse DCT still differs.
import * as jpeg from 'jpeg-js';

/** Horizontal and vertical sampling factors of the frame's components (SOFn), or undefined if none found. */
export function jpegSampling(bytes: Uint8Array): { h: number; v: number }[] | undefined {
  let i = 2;
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1];
    const len = (bytes[i + 2] << 8) | bytes[i + 3];
    // SOF0…SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const n = bytes[i + 9];
      return Array.from({ length: n }, (_, k) => ({ h: bytes[i + 11 + 3 * k] >> 4, v: bytes[i + 11 + 3 * k] & 15 }));
    }
    // EOI, SOS before any frame; APP14 "Adobe" may ask jpeg-js to transform the colours itself.
    if (marker === 0xd9 || marker === 0xda || marker === 0xee) return undefined;
    i += 2 + len;
  }
  return undefined;
}

/** 3-component YCbCr JPEGs with 4:4:4, 4:2:2 or 4:2:0 chroma → RGB as libjpeg decodes them; otherwise undefined. */
export function decodeJpegLikeLibjpeg(bytes: Uint8Array, maxMP: number): { width: number; height: number; rgb: Uint8Array } | undefined {
  const s = jpegSampling(bytes);
  if (!s || s.length !== 3 || s[1].h !== 1 || s[1].v !== 1 || s[2].h !== 1 || s[2].v !== 1) return undefined;
  const [fh, fv] = [s[0].h, s[0].v];
  if (!((fh === 1 || fh === 2) && (fv === 1 || fv === 2))) return undefined;
  // Raw planes (Y, Cb, Cr in the R, G, B slots); an Adobe marker asking for RGB or CMYK leaves them as they are.
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, colorTransform: false, maxResolutionInMP: maxMP });
  const { width: W, height: H, data } = img;
  const y = (x: number, r: number) => data[(r * W + x) * 3];
  const cw = Math.ceil(W / fh); // downsampled_width
  const ch = Math.ceil(H / fv);
  const chroma = [1, 2].map((c) => {
    const small = new Uint8Array(cw * ch); // back to the stored resolution: every fh-th, fv-th sample
    for (let r = 0; r < ch; r++) for (let x = 0; x < cw; x++) small[r * cw + x] = data[(r * fv * W + x * fh) * 3 + c];
    return upsample(small, cw, ch, fh, fv, W, H);
  });
  const rgb = new Uint8Array(W * H * 3);
  for (let r = 0; r < H; r++) {
    for (let x = 0; x < W; x++) {
      const p = r * W + x;
      const [R, G, B] = yccToRgb(y(x, r), chroma[0][p], chroma[1][p]);
      rgb[p * 3] = R;
      rgb[p * 3 + 1] = G;
      rgb[p * 3 + 2] = B;
    }
  }
  return { width: W, height: H, rgb };
}

/** jdsample.c: fancy upsampling when the plane is wider than 2 samples (libjpeg's condition), else repetition. */
function upsample(src: Uint8Array, w: number, h: number, fh: number, fv: number, W: number, H: number): Uint8Array {
  const out = new Uint8Array(W * H);
  const at = (x: number, r: number) => src[Math.min(h - 1, Math.max(0, r)) * w + x]; // context rows repeat the edge
  const fancy = w > 2;
  for (let R = 0; R < H; R++) {
    const r = Math.floor(R / fv);
    const near = (x: number) => at(x, r);
    // h2v2: each column sum is 3 × the nearer row + the further one (the row above for even output rows).
    const other = fv === 2 ? (R % 2 === 0 ? r - 1 : r + 1) : r;
    const col = (x: number) => (fv === 2 ? 3 * near(x) + at(x, other) : near(x));
    for (let X = 0; X < W; X++) {
      const x = Math.floor(X / fh);
      let v: number;
      // h1v2_fancy_upsample: (3 × the nearer row + the further one) / 4, whatever the width.
      if (fh === 1) v = fv === 2 ? (col(x) + (R % 2 === 0 ? 1 : 2)) >> 2 : near(x);
      else if (!fancy) v = near(x);
      else if (fv === 2) {
        // h2v2_fancy_upsample: (3 × this column + the neighbour column) / 16, the edges using this column twice.
        const left = X % 2 === 0;
        const nb = left ? (x === 0 ? col(x) : col(x - 1)) : x === w - 1 ? col(x) : col(x + 1);
        v = (3 * col(x) + nb + (left ? 8 : 7)) >> 4;
      } else {
        // h2v1_fancy_upsample: (3 × this sample + the neighbour) / 4; the first and last outputs are the sample itself.
        const left = X % 2 === 0;
        if ((left && x === 0) || (!left && x === w - 1)) v = near(x);
        else v = (3 * near(x) + near(left ? x - 1 : x + 1) + (left ? 1 : 2)) >> 2;
      }
      out[R * W + X] = v;
    }
  }
  return out;
}

// jdcolor.c build_ycc_rgb_table: FIX(x) = (int)(x · 2^16 + 0.5); ONE_HALF = 2^15; RIGHT_SHIFT is arithmetic.
const FIX = (x: number) => Math.trunc(x * 65536 + 0.5);
const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = (FIX(1.402) * x + 32768) >> 16;
  CB_B[i] = (FIX(1.772) * x + 32768) >> 16;
  CR_G[i] = -FIX(0.71414) * x;
  CB_G[i] = -FIX(0.34414) * x + 32768;
}
const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

function yccToRgb(y: number, cb: number, cr: number): [number, number, number] {
  return [clamp(y + CR_R[cr]), clamp(y + ((CB_G[cb] + CR_G[cr]) >> 16)), clamp(y + CB_B[cb])];
}
