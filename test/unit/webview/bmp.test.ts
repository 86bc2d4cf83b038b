// encodeBmp24 against the BMP layout written out by hand (BITMAPFILEHEADER + BITMAPINFOHEADER,
// 24-bit BGR rows, top-down, each row padded to 4 bytes). The webview case "grid tiles show each
// head's pattern" checks that Chromium decodes it to the same colours on screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeBmp24 } from '../../../webview/shared/bmp';

const rgba = (r: number, g: number, b: number, a = 255) => ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;

test('encodeBmp24: a 3×2 image, byte for byte', () => {
  // Rows of 3 pixels: 9 bytes of BGR, padded to 12.
  const px = Uint32Array.from([rgba(255, 0, 0), rgba(0, 255, 0), rgba(0, 0, 255), rgba(1, 2, 3), rgba(10, 20, 30, 0), rgba(255, 255, 255)]);
  const b = encodeBmp24(px, 3, 2);
  const v = new DataView(b.buffer);
  assert.equal(b.length, 14 + 40 + 12 * 2);
  assert.deepEqual([b[0], b[1]], [0x42, 0x4d], "'BM'");
  assert.equal(v.getUint32(2, true), b.length, 'file size');
  assert.equal(v.getUint32(10, true), 54, 'pixel data offset');
  assert.equal(v.getUint32(14, true), 40, 'BITMAPINFOHEADER size');
  assert.equal(v.getInt32(18, true), 3, 'width');
  assert.equal(v.getInt32(22, true), -2, 'height, negative = top-down rows');
  assert.equal(v.getUint16(26, true), 1, 'planes');
  assert.equal(v.getUint16(28, true), 24, 'bits per pixel');
  assert.equal(v.getUint32(30, true), 0, 'BI_RGB');
  assert.equal(v.getUint32(34, true), 24, 'image size');
  assert.deepEqual(
    Array.from(b.subarray(54, 66)),
    [0, 0, 255, 0, 255, 0, 255, 0, 0, 0, 0, 0],
    'top row: red, green, blue as BGR, 3 padding bytes',
  );
  assert.deepEqual(Array.from(b.subarray(66, 78)), [3, 2, 1, 30, 20, 10, 255, 255, 255, 0, 0, 0], 'second row; alpha dropped');
});

test('encodeBmp24: rows already a multiple of 4 bytes get no padding; bad sizes are refused', () => {
  assert.equal(encodeBmp24(new Uint32Array(4 * 3), 4, 3).length, 54 + 12 * 3);
  assert.throws(() => encodeBmp24(new Uint32Array(5), 2, 3), /expected 6 pixels, got 5/);
  assert.throws(() => encodeBmp24(new Uint32Array(0), 0, 0), /expected positive integers/);
});
