// Writes (or reuses) the W4 folder: node bench/run.js bench/w4Write.ts <folder>
import { writeW4Folder } from './w4Model';

const t0 = performance.now();
console.log(`${writeW4Folder(process.argv[2])} ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
