// The contract between the inspector and an architecture's own view (RunResult.app). A renderer
// gets an empty container and the untrusted `data`; it validates data with its guard from
// common/archViews/<kind>.ts and throws AppDataError with a plain sentence if it cannot draw it.
import type { ThemeColors } from '../../shared/theme';
import type { Tooltip } from '../tooltip';

export interface AppContext {
  theme: ThemeColors;
  tooltip: Tooltip;
  /** Token labels of the run (source / target side). */
  tokens: { source: string[]; target: string[] };
  /** The head open in the inspector's grid; views with their own layer/head choice follow it. */
  open?: OpenHead;
}

export interface OpenHead {
  part: string;
  layer: number;
  head: number;
}

export interface AppRenderer {
  /** Draws into `container` (already empty). Returns a cleanup/redraw handle if it needs one. */
  render(container: HTMLElement, data: unknown, ctx: AppContext): AppHandle | void;
}

/**
 * What each view file of this folder exports as `view`: the RunResult.app kind it draws and its
 * renderer. The build collects every file here (esbuild.js archViewsPlugin), so a new view is its
 * file alone.
 */
export interface ArchView {
  kind: string;
  renderer: AppRenderer;
}

export interface AppHandle {
  /** Called on theme change, resize, or when another head opens (ctx.open). */
  redraw?(ctx: AppContext): void;
}

export class AppDataError extends Error {}
