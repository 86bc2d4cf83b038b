// A readable view of a .safetensors file's header: every tensor with dtype, shape, size, grouped by
// layer, and for attention projections the norm of each head's slice. The engine's worker reads
// the file and computes the norms (engine/format/modelFileInfo.ts); this only lays the text out.
// No vscode import (unit-tested in plain Node).
import type { SafetensorsHeaderInfo } from '../engine/format/modelFileInfo';

/** The header as a plain-text report: one line per tensor, grouped by layer, with its head norms where read. */
export function formatHeader(h: SafetensorsHeaderInfo): string {
  const lines = [`Safetensors header of ${h.file}`, `${h.tensors.length} tensors, header ${h.headerBytes} bytes`, ''];
  for (const [k, v] of Object.entries(h.metadata)) lines.push(`metadata ${k} = ${v}`);
  if (Object.keys(h.metadata).length) lines.push('');
  const width = Math.max(10, ...h.tensors.map((t) => t.name.length));
  let group = '';
  let params = 0;
  for (const t of h.tensors) {
    const g = /^((?:encoder|decoder)\.layers\.\d+)\./.exec(t.name)?.[1] ?? t.name.split('.')[0];
    if (g !== group) {
      lines.push(`── ${g} ──`);
      group = g;
    }
    const n = t.shape.reduce((a, b) => a * b, 1);
    params += n;
    lines.push(`  ${t.name.padEnd(width)}  ${t.dtype.padEnd(4)}  [${t.shape.join(', ')}]  ${n.toLocaleString('en-US')}`);
    if (t.norms) lines.push(`  ${''.padEnd(width)}  per-head ‖W‖: ${t.norms.map((x, i) => `h${i + 1} ${x.toFixed(3)}`).join('  ')}`);
  }
  lines.push('', `${params.toLocaleString('en-US')} parameters in total`);
  return lines.join('\n');
}
