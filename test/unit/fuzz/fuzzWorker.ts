// Runs one campaign in a worker thread, so that the test's main thread can stop a case that hangs
// (synchronous code cannot be interrupted from inside) and a runaway allocation cannot take the
// test process with it. Posts `case` before each case (the watchdog's heartbeat and the hung case's
// description), then `done` with the figures or the shrunk counterexample.
import { parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { installAllocationCounter } from '../../helpers/allocations';
import { CAMPAIGNS, type CampaignName } from './campaigns';
import { newFigures } from './outcome';

export interface FuzzJob {
  campaign: CampaignName;
  seed: number;
  scale: number;
  tmp: string;
}
export type FuzzMessage =
  { type: 'case'; index: number; input: unknown } | { type: 'done'; figures: ReturnType<typeof newFigures>; failure?: string };

const port = parentPort!;
const job = workerData as FuzzJob;
installAllocationCounter();
const campaign = CAMPAIGNS[job.campaign](job.tmp) as ReturnType<(typeof CAMPAIGNS)[CampaignName]>;
const figures = newFigures(campaign.name, job.seed);
const numRuns = Math.max(1, Math.round(campaign.runs * job.scale));
let index = 0;
const t0 = performance.now();
const details = fc.check(
  fc.property(campaign.arbitrary as fc.Arbitrary<unknown>, (input) => {
    port.postMessage({ type: 'case', index: index++, input } satisfies FuzzMessage);
    (campaign.exercise as (i: unknown, f: typeof figures) => void)(input, figures);
  }),
  { seed: job.seed, numRuns, endOnFailure: false },
);
figures.ms = performance.now() - t0;
const failure = details.failed
  ? `${fc.defaultReportMessage(details)}\n${(details.errorInstance as Error | undefined)?.message ?? ''}`
  : undefined;
port.postMessage({ type: 'done', figures, failure } satisfies FuzzMessage);
