// The image front end of the Show, Attend and Tell models: a scene description in words
// ("red circle top-left blue square bottom-right") is drawn into an RGB image, deterministically,
// so that an image model can be run from text with one click. The training script draws its
// images with the same rules (scripts/train/show_attend_tell.py, test/fixtures/gen_show_attend_tell.py).
import { InputError } from '../format/errors';
import type { SceneConfig } from '../format/loaded';
import type { FeatureMap } from './conv';

export type ShapeName = SceneConfig['shapes'][number];

export interface SceneObject {
  colour: string;
  shape: ShapeName;
  position: string;
}

/**
 * Tokens are read as consecutive (colour, shape, position) triples, e.g.
 * "red circle top-left blue square bottom-right" → two objects; later ones paint over earlier.
 */
export function parseScene(tokens: string[], scene: SceneConfig): SceneObject[] {
  if (tokens.length === 0 || tokens.length % 3 !== 0) {
    throw new InputError('text', `a scene as "colour shape position" triples (e.g. "red circle top-left"); found ${tokens.length} words`);
  }
  const objects: SceneObject[] = [];
  for (let i = 0; i < tokens.length; i += 3) {
    const [colour, shape, position] = tokens.slice(i, i + 3);
    const want = (ok: boolean, k: number, what: string, known: string[]) => {
      if (!ok) throw new InputError(`text[${i + k}]`, `a ${what} word (${known.join(', ')}); found "${tokens[i + k]}"`);
    };
    want(colour in scene.colours, 0, 'colour', Object.keys(scene.colours));
    want((scene.shapes as string[]).includes(shape), 1, 'shape', scene.shapes);
    want(position in scene.positions, 2, 'position', Object.keys(scene.positions));
    objects.push({ colour, shape: shape as ShapeName, position });
  }
  return objects;
}

/** Does the pixel whose centre is (dy, dx) away from the shape's centre belong to the shape? */
export function insideShape(shape: ShapeName, dy: number, dx: number, r: number): boolean {
  switch (shape) {
    case 'circle':
      return dy * dy + dx * dx <= r * r;
    case 'square':
      return Math.abs(dy) <= 0.8 * r && Math.abs(dx) <= 0.8 * r;
    case 'triangle': // apex up, base at the bottom
      return dy >= -r && dy <= 0.8 * r && Math.abs(dx) <= (dy + r) / 2;
  }
}

/** A black size × size canvas with the objects drawn on it: [3, size, size], values 0…1. */
export function drawScene(objects: SceneObject[], scene: SceneConfig, size: number): FeatureMap {
  const data = new Float32Array(3 * size * size); // [3, size, size]
  for (const o of objects) {
    const [cy, cx] = scene.positions[o.position];
    const rgb = scene.colours[o.colour];
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        if (!insideShape(o.shape, y + 0.5 - cy, x + 0.5 - cx, scene.radius)) continue;
        for (let c = 0; c < 3; c++) data[(c * size + y) * size + x] = rgb[c];
      }
    }
  }
  return { channels: 3, height: size, width: size, data };
}
