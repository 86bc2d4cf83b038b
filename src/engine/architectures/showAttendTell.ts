// Show, Attend and Tell: scene words → image → CNN → LSTM with soft attention over locations.
import type { ModelOf, ShowAttendTellConfig } from '../format/loaded';
import { checkId } from '../format/configChecks';
import { SHOW_ATTEND_TELL } from '../../../common/archViews/show-attend-tell';
import { buildShowAttendTell, showAttendTellTensors } from '../models/showAttendTell';
import { count, id, F32, runMemory, type Architecture, type RunMemory, type RunShape } from '../models/architecture';

export const showAttendTell: Architecture<'show-attend-tell'> = {
  name: 'show-attend-tell',
  configSchema: {
    type: 'object',
    required: [
      'image_size',
      'scene',
      'conv',
      'src_vocab_size',
      'tgt_vocab_size',
      'embed_dim',
      'hidden_size',
      'attention_dim',
      'bos_id',
      'eos_id',
    ],
    additionalProperties: false,
    properties: {
      image_size: count,
      scene: {
        type: 'object',
        required: ['colours', 'shapes', 'positions', 'radius'],
        additionalProperties: false,
        properties: {
          colours: {
            type: 'object',
            minProperties: 1,
            additionalProperties: { type: 'array', minItems: 3, maxItems: 3, items: { type: 'number', minimum: 0, maximum: 1 } },
          },
          shapes: { type: 'array', minItems: 1, items: { enum: ['circle', 'square', 'triangle'] } },
          positions: {
            type: 'object',
            minProperties: 1,
            additionalProperties: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'number' } },
          },
          radius: { type: 'number', exclusiveMinimum: 0 },
        },
      },
      conv: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['channels', 'kernel', 'pool'],
          additionalProperties: false,
          properties: { channels: count, kernel: count, pool: count },
        },
      },
      src_vocab_size: count,
      tgt_vocab_size: count,
      embed_dim: count,
      hidden_size: count,
      attention_dim: count,
      gate: { type: 'boolean', default: true },
      bos_id: id,
      eos_id: id,
      max_caption_length: { ...count, default: 16 },
    },
  },
  readConfig(file, c) {
    checkId(file, 'bos_id', c.bos_id, c.tgt_vocab_size, 'tgt_vocab_size');
    checkId(file, 'eos_id', c.eos_id, c.tgt_vocab_size, 'tgt_vocab_size');
    return { ...c };
  },
  vocabSizes: (c) => ({ source: c.src_vocab_size, target: c.tgt_vocab_size }),
  partShapes: () => [{ part: 'cross', layers: 1, heads: 1 }],
  estimateMemory: showAttendTellMemory,
  tensors: showAttendTellTensors,
  build: buildShowAttendTell,
  viewKinds: [SHOW_ATTEND_TELL],
};

/** Show, Attend and Tell (showAttendTell.ts): the drawn image, the CNN's largest feature map, [T, L] α. */
function showAttendTellMemory(model: ModelOf<'show-attend-tell'>, s: RunShape): RunMemory {
  const c: ShowAttendTellConfig = model.config;
  const T = s.target ?? c.max_caption_length;
  const pool = c.conv.reduce((p, st) => p * st.pool, 1);
  const L = Math.max(1, Math.floor(c.image_size / pool)) ** 2;
  const attention = T * L * 2 * F32 * 2; // probs + scores, and the copies the app view keeps
  const pixels = c.image_size * c.image_size;
  const maxChannels = Math.max(3, ...c.conv.map((st) => st.channels));
  const working =
    pixels * maxChannels * F32 * 2 + pixels * 3 * (F32 + 1) + L * c.attention_dim * F32 + T * L * 8 * 2 + c.tgt_vocab_size * F32;
  return runMemory({ attention, traces: 0, working });
}
