// All webview cases, in the order run.ts runs them.
import type { Case } from './helpers';
import { ENGINE_CASES } from './casesEngine';
import { NARM_MUSIC_CASES } from './casesNarmMusic';
import { MLM_CASES } from './casesMlm';
import { STATE_CASES } from './casesState';
import { UT_TDMCA_CASES } from './casesUniversalTdmca';
import { VIEW_CASES } from './casesView';
import { IMAGE_CASES } from './casesImage';
import { MAIN_CASES } from './casesMain';
import { MAIN_CASES_2 } from './casesMain2';
import { EXPORT_CASES } from './casesExport';
import { COMPARE_CASES } from './casesCompare';
import { QK_CASES } from './casesQk';
import { SECURITY_CASES } from './security.test';
import { SENTENCE_EMBEDDING_CASES } from './casesSentenceEmbedding';
import { STREAMING_CASES } from './casesStreaming';
import { THEME_CASES } from './casesTheme';
import { LABEL_CASES } from './casesLabels';
import { TOY_CASES } from './casesToy';
import { HF_DECODER_CASES } from './casesHfDecoder';
import { VIT_CASES } from './casesVit';
import { KEPT_CASES } from './casesKept';
import { RUN_VIEW_CASES } from './casesRunView';

export type { Case, CaseContext } from './helpers';

// One line each, so that cases added on two branches merge without a conflict.
export const CASES: Case[] = [
  ...RUN_VIEW_CASES,
  ...VIEW_CASES,
  ...STATE_CASES,
  ...ENGINE_CASES,
  ...MAIN_CASES,
  ...MAIN_CASES_2,
  ...EXPORT_CASES,
  ...QK_CASES,
  ...COMPARE_CASES,
  ...UT_TDMCA_CASES,
  ...NARM_MUSIC_CASES,
  ...MLM_CASES,
  ...IMAGE_CASES,
  ...VIT_CASES,
  ...SENTENCE_EMBEDDING_CASES,
  ...STREAMING_CASES,
  ...THEME_CASES,
  ...LABEL_CASES,
  ...TOY_CASES,
  ...HF_DECODER_CASES,
  ...KEPT_CASES,
  ...SECURITY_CASES,
];
