// Images for vision models: a PNG or JPEG file → RGB bytes (pngjs, jpeg-js) → pixel_values as
// Hugging Face's PIL-backed image processor (ViTImageProcessorPil, PilBackend._preprocess) makes
// them: resize with PIL's resampling on uint8, center crop, rescale, normalize.
import * as path from 'path';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { InputError } from './errors';
import { readRegularFile } from './files';
import { decodeJpegLikeLibjpeg } from './jpegColour';

/** An 8-bit RGB image, [height, width, 3] row-major. */
export interface RgbImage {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** What preprocessor_config.json asks for (hfVision.ts reads and checks it). */
export interface ImagePreprocess {
  resize?: { height: number; width: number; resample: 'bilinear' | 'bicubic' };
  crop?: { height: number; width: number };
  rescale?: number;
  normalize?: { mean: number[]; std: number[] };
}

/** Pixels side of a decoded file: larger ones are refused before their bytes are expanded. */
const MAX_PIXELS = 40_000_000;

export function decodeImage(file: string): RgbImage {
  const bytes = readRegularFile(file);
  const isPng = bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47;
  const isJpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  const name = path.basename(file);
  try {
    if (isPng) {
      // PNG.sync.read expands every colour type and bit depth to 8-bit RGBA.
      const png = PNG.sync.read(bytes);
      return dropAlpha(png.width, png.height, png.data);
    }
    if (isJpeg) {
      // YCbCr with 4:4:4, 4:2:2 or 4:2:0 chroma: libjpeg's upsampling and colour conversion (jpegColour.ts).
      const lib = decodeJpegLikeLibjpeg(bytes, MAX_PIXELS / 1e6);
      if (lib) return checked(lib);
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6 });
      return dropAlpha(img.width, img.height, img.data);
    }
  } catch (e) {
    throw new InputError('image', `${name} could not be decoded: ${(e as Error).message}`);
  }
  throw new InputError('image', `a PNG or JPEG file; ${name} is neither (by its first bytes)`);
}

function checked(img: RgbImage): RgbImage {
  if (img.width * img.height > MAX_PIXELS) throw new InputError('image', `at most ${MAX_PIXELS} pixels; found ${img.width}×${img.height}`);
  return img;
}

/** PIL's convert("RGB") of RGBA drops alpha without blending it against any background. */
function dropAlpha(width: number, height: number, rgba: Uint8Array): RgbImage {
  if (width * height > MAX_PIXELS) throw new InputError('image', `at most ${MAX_PIXELS} pixels; found ${width}×${height}`);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgb[i] = rgba[j];
    rgb[i + 1] = rgba[j + 1];
    rgb[i + 2] = rgba[j + 2];
  }
  return { width, height, rgb };
}

/** pixel_values [3, H, W] as float32, the steps in PilBackend._preprocess's order. */
export function preprocessImage(img: RgbImage, p: ImagePreprocess): { data: Float32Array; height: number; width: number } {
  let im = img;
  if (p.resize) im = resizePil(im, p.resize.width, p.resize.height, p.resize.resample);
  if (p.crop) im = centerCrop(im, p.crop.width, p.crop.height);
  const { width: W, height: H } = im;
  const out = new Float32Array(3 * H * W);
  for (let c = 0; c < 3; c++) {
    const mean = Math.fround(p.normalize?.mean[c] ?? 0);
    const std = Math.fround(p.normalize?.std[c] ?? 1);
    for (let i = 0; i < H * W; i++) {
      // image_transforms.rescale: float64 product, then float32; normalize: (x − mean) / std in float32.
      let x = p.rescale !== undefined ? Math.fround(im.rgb[i * 3 + c] * p.rescale) : im.rgb[i * 3 + c];
      if (p.normalize) x = Math.fround(Math.fround(x - mean) / std);
      out[c * H * W + i] = x;
    }
  }
  return { data: out, height: H, width: W };
}

/** image_transforms.center_crop: top = (h − crop_h) // 2, left = (w − crop_w) // 2. */
function centerCrop(im: RgbImage, width: number, height: number): RgbImage {
  if (width > im.width || height > im.height) {
    throw new InputError('image', `an image of at least ${width}×${height} before center crop; it is ${im.width}×${im.height}`);
  }
  const top = Math.floor((im.height - height) / 2);
  const left = Math.floor((im.width - width) / 2);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    rgb.set(im.rgb.subarray(((top + y) * im.width + left) * 3, ((top + y) * im.width + left + width) * 3), y * width * 3);
  return { width, height, rgb };
}

// PIL's resampling on 8-bit images (Pillow src/libImaging/Resample.c): a separable convolution,
// horizontal pass first, with the filter widened by the scale when shrinking and its weights
// rounded to fixed point (PRECISION_BITS = 32 − 8 − 2) before they are applied.
const PRECISION_BITS = 22;
const FILTERS = {
  // bilinear_filter, support 1
  bilinear: { support: 1, f: (x: number) => (Math.abs(x) < 1 ? 1 - Math.abs(x) : 0) },
  // bicubic_filter with a = −0.5, support 2
  bicubic: {
    support: 2,
    f: (x: number) => {
      const a = -0.5;
      x = Math.abs(x);
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
};

/** precompute_coeffs + normalize_coeffs_8bpc: per output pixel, its first input pixel and integer weights. */
function coefficients(inSize: number, outSize: number, filter: { support: number; f: (x: number) => number }) {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filter.support * filterscale;
  const bounds: { min: number; k: Int32Array }[] = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5)); // C's (int) cast truncates
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    const w = new Float64Array(Math.max(xmax, 0));
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      w[x] = filter.f((x + xmin - center + 0.5) / filterscale);
      ww += w[x];
    }
    const k = new Int32Array(w.length);
    for (let x = 0; x < w.length; x++) {
      const v = ww !== 0 ? w[x] / ww : w[x];
      k[x] = Math.trunc(v < 0 ? -0.5 + v * 2 ** PRECISION_BITS : 0.5 + v * 2 ** PRECISION_BITS);
    }
    bounds.push({ min: xmin, k });
  }
  return bounds;
}

/** clip8: the fixed-point sum back to a byte (arithmetic shift, clamped to 0…255). */
const clip8 = (ss: number) => Math.min(255, Math.max(0, Math.floor(ss / 2 ** PRECISION_BITS)));

/** Image.resize(size, resample) of an RGB image: ImagingResampleInner's two passes (each only when its size changes). */
export function resizePil(im: RgbImage, width: number, height: number, resample: 'bilinear' | 'bicubic'): RgbImage {
  const filter = FILTERS[resample];
  let cur = im;
  if (width !== cur.width) {
    const co = coefficients(cur.width, width, filter);
    const rgb = new Uint8Array(width * cur.height * 3);
    for (let y = 0; y < cur.height; y++) {
      for (let x = 0; x < width; x++) {
        const { min, k } = co[x];
        for (let c = 0; c < 3; c++) {
          let ss = 1 << (PRECISION_BITS - 1);
          for (let i = 0; i < k.length; i++) ss += cur.rgb[(y * cur.width + min + i) * 3 + c] * k[i];
          rgb[(y * width + x) * 3 + c] = clip8(ss);
        }
      }
    }
    cur = { width, height: cur.height, rgb };
  }
  if (height !== cur.height) {
    const co = coefficients(cur.height, height, filter);
    const rgb = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      const { min, k } = co[y];
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < 3; c++) {
          let ss = 1 << (PRECISION_BITS - 1);
          for (let i = 0; i < k.length; i++) ss += cur.rgb[((min + i) * width + x) * 3 + c] * k[i];
          rgb[(y * width + x) * 3 + c] = clip8(ss);
        }
      }
    }
    cur = { width, height, rgb };
  }
  return cur;
}
