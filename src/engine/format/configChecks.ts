// Config checks a JSON Schema cannot express (arithmetic across fields), shared by the
// architectures' `readConfig` and the Hugging Face reader. Each throws ModelFormatError.
import { ModelFormatError } from './errors';

/** Largest sinusoidal table a builder computes (positions × d_model float32s) from a file's config. */
export const MAX_COMPUTED_TABLE_BYTES = 64 * 1024 * 1024;

/**
 * A computed table (sinusoidal positions, step signals) is allocated from config values alone,
 * before any tensor is checked: a max_positions of 2³² would ask for terabytes. Found by fuzzing.
 */
export function checkComputedTable(file: string, field: string, rows: number, d: number): void {
  if (rows * d * 4 <= MAX_COMPUTED_TABLE_BYTES) return;
  const most = Math.floor(MAX_COMPUTED_TABLE_BYTES / 4 / d);
  throw new ModelFormatError(
    file,
    field,
    `at most ${most} for d_model ${d} (its sinusoidal table, ${field.replace(/^config\./, '')} × d_model float32s, is computed and capped at ${MAX_COMPUTED_TABLE_BYTES / 1024 / 1024} MB); found ${rows}`,
  );
}

/** heads must divide the width (head size = d_model / heads). */
export function checkHeads(file: string, d: number, heads: number): void {
  if (d % heads !== 0)
    throw new ModelFormatError(file, 'config.heads', `a divisor of config.d_model ${d} (head size = d_model / heads); found ${heads}`);
}

/** A special token id (bos, eos…) must lie inside its vocabulary. */
export function checkId(file: string, key: string, id: number | undefined, size: number, sizeKey: string): void {
  if (id !== undefined && id >= size)
    throw new ModelFormatError(file, `config.${key}`, `an id below config.${sizeKey} ${size}; found ${id}`);
}
