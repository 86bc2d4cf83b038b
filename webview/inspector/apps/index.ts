// kind → renderer for the architecture views. Adding one is one file in this folder and one line here.
import type { AppRenderer } from './types';
import { mlmRenderer } from './mlm';

export const APP_RENDERERS: Record<string, AppRenderer> = {
  mlm: mlmRenderer,
};
