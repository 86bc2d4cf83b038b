// A 24-bit uncompressed BMP from RGBA pixels: the cheapest image file a browser decodes (no
// compression to run), used where many small bitmaps become one <img> / CSS background instead of
// many <canvas> elements — Chromium composites every canvas as a layer of its own.

/**
 * `px` holds width × height pixels, row-major from the top, each packed as ImageData's bytes
 * through a little-endian Uint32Array (0xAABBGGRR); alpha is dropped. Returns the file's bytes
 * (BITMAPINFOHEADER, BI_RGB, top-down rows padded to 4 bytes).
 */
export function encodeBmp24(px: Uint32Array, width: number, height: number): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new RangeError(`BMP size ${width}×${height}: expected positive integers`);
  if (px.length !== width * height) throw new RangeError(`BMP ${width}×${height}: expected ${width * height} pixels, got ${px.length}`);
  const stride = Math.ceil((width * 3) / 4) * 4;
  const headers = 14 + 40;
  const bytes = new Uint8Array(headers + stride * height);
  const v = new DataView(bytes.buffer);
  // BITMAPFILEHEADER
  bytes[0] = 0x42; // 'B'
  bytes[1] = 0x4d; // 'M'
  v.setUint32(2, bytes.length, true);
  v.setUint32(10, headers, true); // pixel data offset
  // BITMAPINFOHEADER
  v.setUint32(14, 40, true);
  v.setInt32(18, width, true);
  v.setInt32(22, -height, true); // negative: rows run top-down
  v.setUint16(26, 1, true); // planes
  v.setUint16(28, 24, true); // bits per pixel
  v.setUint32(30, 0, true); // BI_RGB
  v.setUint32(34, stride * height, true);
  v.setInt32(38, 2835, true); // 72 dpi, as most writers put
  v.setInt32(42, 2835, true);
  for (let y = 0; y < height; y++) {
    let o = headers + y * stride;
    for (let x = 0, i = y * width; x < width; x++, i++) {
      const p = px[i];
      bytes[o++] = (p >>> 16) & 255; // B
      bytes[o++] = (p >>> 8) & 255; // G
      bytes[o++] = p & 255; // R
    }
  }
  return bytes;
}
