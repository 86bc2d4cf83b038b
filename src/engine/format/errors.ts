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
