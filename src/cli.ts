// attention-inspector: the same engine from the terminal.
//   attention-inspector info <model>
//   attention-inspector run <model> (--ids 1,2,3 | --text "…" | --chat-user "…" [--chat-system "…"]) [--target-ids … | --target-text …]
//   attention-inspector run <vit-or-deit-folder> (--image photo.png | --pixel-values pixels.json)
//                                   [--score S] [--out result.json]
//                                   [--generate N] [--max-tokens 1024] [--max-memory-mb 2048]
//   attention-inspector convert <hf-folder> --out model.json
import { parseArgs } from 'node:util';
import * as fs from 'node:fs';
import { loadModel, runModel, summarize } from './engine/run';
import { convertToProjectFormat } from './engine/format/convert';
import type { RnnScore, RunInput } from './engine/types';
import { writeResultJson } from './engine/resultJson';
import { DEFAULT_MAX_RUN_MEMORY_MB, DEFAULT_MAX_TOKENS } from './engine/limits';

const USAGE = `usage:
  attention-inspector info <model>
  attention-inspector run <model> (--ids 1,2,3 | --text "..." | --chat-user "..." [--chat-system "..."]) [--target-ids 1,2 | --target-text "..."]
      [--score dot|general|additive|scaled-dot] [--out result.json] [--generate N]
      [--max-tokens ${DEFAULT_MAX_TOKENS}] [--max-memory-mb ${DEFAULT_MAX_RUN_MEMORY_MB}]
  attention-inspector run <vit-or-deit-folder> (--image photo.png|.jpg | --pixel-values pixels.json) [--out result.json]
  attention-inspector convert <hf-folder> --out model.json
<model> is a project model JSON file or a Hugging Face folder (config.json + model.safetensors).
--image is preprocessed as the folder's preprocessor_config.json says; --pixel-values is JSON [channels][height][width], used as given.
--generate N (decoder-only models) continues the input greedily for up to N tokens; "generated" counts them.
--max-tokens and --max-memory-mb are the extension's limits (maxSequenceLength, maxRunMemoryMB), same defaults.`;

class UsageError extends Error {}

function parseIds(flag: string, v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((s) => s.trim());
  return parts.map((p, i) => {
    if (!/^\d+$/.test(p)) throw new UsageError(`${flag}: item ${i} ("${p}") is not a non-negative integer token id`);
    return Number(p);
  });
}

function parseLimit(flag: string, v: string | undefined, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min) {
    throw new UsageError(`${flag}: expected a whole number ≥ ${min}, got "${v}"`);
  }
  return Number(v);
}

/** --pixel-values FILE: JSON [channels][height][width] (the engine checks the sizes against the model). */
function readPixelValues(file: string): number[][][] {
  let v: unknown;
  try {
    v = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--pixel-values: ${file} is not readable JSON (${(e as Error).message})`);
  }
  const ok =
    Array.isArray(v) && v.every((c) => Array.isArray(c) && c.every((r) => Array.isArray(r) && r.every((x) => typeof x === 'number')));
  if (!ok) throw new UsageError(`--pixel-values: ${file} must hold a JSON array [channels][height][width] of numbers`);
  return v as number[][][];
}

/** The engine names the extension's settings in its limit errors; on the terminal, name the flag. */
const FLAG_OF_SETTING: Record<string, string> = {
  'setting attentionInspector.maxSequenceLength': 'raise it with --max-tokens',
  'setting attentionInspector.maxRunMemoryMB': 'raise it with --max-memory-mb',
};

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      ids: { type: 'string' },
      text: { type: 'string' },
      'chat-user': { type: 'string' },
      'chat-system': { type: 'string' },
      'target-ids': { type: 'string' },
      'target-text': { type: 'string' },
      score: { type: 'string' },
      out: { type: 'string' },
      generate: { type: 'string' },
      'max-tokens': { type: 'string' },
      'max-memory-mb': { type: 'string' },
      image: { type: 'string' },
      'pixel-values': { type: 'string' },
    },
  });
  const target = positionals[0];
  if (!command || command === '--help' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  if (!target) throw new UsageError(`${command}: missing <model>`);
  // The model's weights must fit in the run memory limit too (checked before they are read).
  const maxRunMemoryMB = parseLimit('--max-memory-mb', values['max-memory-mb'], DEFAULT_MAX_RUN_MEMORY_MB, 1);
  const limits = { maxRunMemoryMB };
  switch (command) {
    case 'info': {
      const s = summarize(loadModel(target, limits));
      const lines = [`${s.name} (${s.architecture}, ${s.kind})`, `file: ${s.file}`, `parameters: ${s.parameters.toLocaleString('en-US')}`];
      for (const [k, v] of Object.entries(s.details)) lines.push(`${k}: ${v}`);
      if (s.scores) lines.push(`score functions: ${s.scores.join(', ')}`);
      console.log(lines.join('\n'));
      return 0;
    }
    case 'run': {
      const input: RunInput = {
        ids: parseIds('--ids', values.ids),
        text: values.text,
        ...(values['chat-user'] !== undefined ? { chat: { user: values['chat-user'], system: values['chat-system'] } } : {}),
        targetIds: parseIds('--target-ids', values['target-ids']),
        targetText: values['target-text'],
        score: values.score as RnnScore | undefined,
        maxTokens: parseLimit('--max-tokens', values['max-tokens'], DEFAULT_MAX_TOKENS, 1),
        maxRunMemoryMB,
        generate: parseLimit('--generate', values.generate, 0, 0),
      };
      if (values.image !== undefined) input.image = values.image;
      if (values['pixel-values'] !== undefined) input.pixelValues = readPixelValues(values['pixel-values']);
      if (values['chat-system'] !== undefined && !input.chat) throw new UsageError('--chat-system: give --chat-user too');
      const image = input.image !== undefined || input.pixelValues !== undefined;
      if (!input.ids && input.text === undefined && !input.chat && !image) {
        throw new UsageError('run: give --ids, --text or --chat-user (or --image / --pixel-values for vit and deit)');
      }
      if (input.score && !['dot', 'general', 'additive', 'scaled-dot'].includes(input.score)) {
        throw new UsageError(`--score: expected dot, general, additive or scaled-dot, got "${input.score}"`);
      }
      const result = runModel(loadModel(target, limits), input);
      if (values.out) {
        const fd = fs.openSync(values.out, 'w');
        try {
          writeResultJson(result, (t) => fs.writeSync(fd, t));
          fs.writeSync(fd, '\n');
        } finally {
          fs.closeSync(fd);
        }
      } else {
        writeResultJson(result, (t) => process.stdout.write(t)); // synchronous for files and pipes on Linux
        process.stdout.write('\n');
      }
      return 0;
    }
    case 'convert': {
      if (!values.out) throw new UsageError('convert: --out model.json is required');
      const model = loadModel(target, limits);
      convertToProjectFormat(model, values.out);
      console.log(`wrote ${values.out}`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  const err = e as Error;
  const message = Object.entries(FLAG_OF_SETTING).reduce((m, [setting, flag]) => m.replace(setting, flag), err.message);
  console.error(`attention-inspector: ${message}`);
  if (err instanceof UsageError) console.error(USAGE);
  process.exitCode = err instanceof UsageError ? 2 : 1;
}
