// A screenshot's pixels, decoded by the page itself (an <img> from a data: URL drawn to a canvas —
// the webviews' CSP allows data: images), so tests need no PNG decoder of their own. Used by the
// webview harness and by the UI checks in code-server (a Page or a webview's Frame alike).
import type { Frame, Page } from 'playwright-core';

/** RGBA of the whole screenshot, row-major, with its size in pixels. */
export async function pngPixels(target: Page | Frame, png: Buffer): Promise<{ width: number; height: number; data: number[] }> {
  return target.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    return { width: c.width, height: c.height, data: Array.from(ctx.getImageData(0, 0, c.width, c.height).data) };
  }, png.toString('base64'));
}
