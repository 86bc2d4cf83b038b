/**
 * Every reader rejects bad input with this error: which file, which field (a JSON path such as
 * `config.d_model`, or a tensor name such as `encoder.layers.0.self_attn.q.weight`), and what was
 * expected. The CLI prints `message` as its one line; the inspector shows it in the panel.
 */
export class ModelFormatError extends Error {
  override readonly name = 'ModelFormatError';
  constructor(
    readonly file: string,
    readonly field: string,
    readonly expected: string,
  ) {
    super(`${file}: ${field}: ${expected}`);
  }
}

/**
 * An untrusted JSON value, shortened for an error message. Never throws: JSON.stringify and
 * Array.prototype.join recurse, and a file may nest arrays 100,000 deep.
 */
export function showValue(v: unknown, max = 60): string {
  let s: string;
  try {
    s = v === undefined ? 'nothing' : JSON.stringify(v);
  } catch {
    s = Array.isArray(v) ? '[…] (nested too deeply to show)' : '{…} (nested too deeply to show)';
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Bad run input (unknown token, id out of range, too long): the input, not the file, is wrong. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    readonly field: string,
    readonly expected: string,
  ) {
    super(`${field}: ${expected}`);
  }
}
