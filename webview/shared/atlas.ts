// Many small heatmaps (head thumbnails) drawn from one image: packed into an atlas, encoded as a
// BMP (no compression to run), and shown through each tile's CSS background. A <canvas> per tile
// made Chromium composite every canvas and what overlapped it as layers of their own (~300 at 144
// heads); committing them took ~60 ms per frame, on every frame of the page.
import { encodeBmp24 } from './bmp';
import { rampLut, type RGB } from './theme';

export interface AtlasTile {
  rows: number;
  cols: number;
  /** [rows, cols] ramp steps 0…255 (each tile on its own 0…max scale: common/headWire.ts headLevels). */
  levels: Uint8Array;
}

export interface Atlas {
  url: string;
  width: number;
  height: number;
  /** Top-left pixel of each tile in the atlas, in the order given. */
  at: { x: number; y: number }[];
  /** Frees the image; tiles still showing it go blank. */
  dispose(): void;
}

/**
 * Packs the tiles (their ramp steps through `ramp`) and decodes the image before it
 * resolves, so tiles never show it half loaded. The page's CSP must allow `img-src blob:`.
 */
export async function buildAtlas(tiles: readonly AtlasTile[], ramp: (t: number) => RGB): Promise<Atlas> {
  // Slots of (rows + 2) × (cols + 2): each tile's edge pixels repeat around it, so scaling with
  // nearest-neighbour sampling never picks up a neighbour's pixel at a tile border.
  const sw = Math.max(1, ...tiles.map((t) => t.cols)) + 2;
  const sh = Math.max(1, ...tiles.map((t) => t.rows)) + 2;
  const perRow = Math.max(1, Math.ceil(Math.sqrt(tiles.length)));
  const W = perRow * sw;
  const H = Math.max(1, Math.ceil(tiles.length / perRow)) * sh;
  const lut = rampLut(ramp);
  const px = new Uint32Array(W * H); // [H, W]
  const at = tiles.map((t, k) => {
    const x0 = (k % perRow) * sw;
    const y0 = Math.floor(k / perRow) * sh;
    if (t.rows > 0 && t.cols > 0) {
      for (let y = -1; y <= t.rows; y++) {
        const sy = Math.min(t.rows - 1, Math.max(0, y));
        for (let x = -1; x <= t.cols; x++) {
          const sx = Math.min(t.cols - 1, Math.max(0, x));
          px[(y0 + 1 + y) * W + x0 + 1 + x] = lut[t.levels[sy * t.cols + sx]];
        }
      }
    }
    return { x: x0 + 1, y: y0 + 1 };
  });
  const url = URL.createObjectURL(new Blob([encodeBmp24(px, W, H)], { type: 'image/bmp' }));
  const img = new Image();
  img.src = url;
  try {
    await img.decode();
  } catch (e) {
    URL.revokeObjectURL(url);
    throw new Error(`the thumbnails image did not decode (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  // `img` stays referenced until dispose: the decoded image is what the backgrounds draw.
  let held: HTMLImageElement | undefined = img;
  return {
    url,
    width: W,
    height: H,
    at,
    dispose: () => {
      if (held) URL.revokeObjectURL(url);
      held = undefined;
    },
  };
}

/**
 * Shows tile k of the atlas in `el` (absolutely positioned inside a box × box cell): `contain`
 * keeps the tile's shape, centred; `fill` stretches it over the whole box.
 */
export function showTile(el: HTMLElement, atlas: Atlas, k: number, tile: AtlasTile, box: number, fit: 'contain' | 'fill'): void {
  const sx = fit === 'fill' ? box / tile.cols : box / Math.max(tile.rows, tile.cols);
  const sy = fit === 'fill' ? box / tile.rows : sx;
  const w = tile.cols * sx;
  const h = tile.rows * sy;
  const st = el.style;
  st.left = `${(box - w) / 2}px`;
  st.top = `${(box - h) / 2}px`;
  st.width = `${w}px`;
  st.height = `${h}px`;
  st.backgroundImage = `url("${atlas.url}")`;
  st.backgroundSize = `${atlas.width * sx}px ${atlas.height * sy}px`;
  st.backgroundPosition = `${-atlas.at[k].x * sx}px ${-atlas.at[k].y * sy}px`;
}
