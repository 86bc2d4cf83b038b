// Which attention parts a model has, and their layers × heads, from the config alone: the side
// panel lists a model's heads without running it. Each architecture's descriptor says; it must
// agree with what its builder records (test/unit/models/parts.test.ts runs every example and compares).
import type { LoadedModel } from '../format/loaded';
import type { PartShape } from './architecture';
import { architectureOf } from './registry';

export type { PartShape } from './architecture';

export function partShapes(model: LoadedModel): PartShape[] {
  return architectureOf(model).partShapes(model.config);
}
