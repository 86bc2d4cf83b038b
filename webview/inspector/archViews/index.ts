// kind → renderer for the architecture views. Every other file of this folder is a view that exports
// `view` ({ kind, renderer }); the build hands them all in as 'arch-views:all' (esbuild.js
// archViewsPlugin), so adding a view is one file here and no line in this one.
import { views } from 'arch-views:all';
import type { AppRenderer } from './types';

export const APP_RENDERERS: Record<string, AppRenderer> = {};
for (const v of views) {
  if (APP_RENDERERS[v.kind]) throw new Error(`two architecture views draw the kind "${v.kind}"`);
  APP_RENDERERS[v.kind] = v.renderer;
}
