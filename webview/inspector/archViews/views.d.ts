// The module esbuild.js's archViewsPlugin makes at build time: the `view` of every file in this
// folder but index.ts and types.ts, in file-name order.
declare module 'arch-views:all' {
  export const views: readonly import('./types').ArchView[];
}
