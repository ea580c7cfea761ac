import { randomUUID } from 'node:crypto';

import { severityPolicy } from '../src/config/policy.js';
import type { IncidentInput, IncidentView } from '../src/shared/incident.js';
import { viewQuery } from '../src/workflows/incident-messages.js';
import { header, percentile, pool, residentMiB, setting, sleepMs, startBenchStack, type BenchStack } from './harness.js';

/**
 * Many P3 incidents open at once on one worker, each sleeping on its SLA
 * timers: the worker's resident memory as the count grows, and how late
 * timers fire when 1,000 deadlines fall due together. The last 1,000
 * incidents are declared back-dated so that their triage deadline (3 days
 * from declaration) falls at one instant, 150 s after they start.
 */
const STEPS = steps(process.env['BENCH_STEPS'] ?? '1000,5000,10000');
const COHORT = setting('BENCH_COHORT', 1000, 1, 100_000);
const BEFORE_LAST = STEPS.at(-2) ?? 0;
if (COHORT > STEPS.at(-1)! - BEFORE_LAST) {
  throw new Error(`BENCH_COHORT is ${COHORT}; expected at most ${STEPS.at(-1)! - BEFORE_LAST}, the last step of BENCH_STEPS minus the one before`);
}

/** Parses BENCH_STEPS: ascending whole numbers, comma-separated. */
function steps(text: string): number[] {
  const values = text.split(',').map((part) => Number(part.trim()));
  const ascending = values.every((value, index) => Number.isInteger(value) && value > 0 && value > (values[index - 1] ?? 0));
  if (!ascending || values.length === 0) throw new Error(`BENCH_STEPS is ${JSON.stringify(text)}; expected ascending whole numbers such as 1000,5000,10000`);
  return values;
}
const START_CONCURRENCY = 32;
/** Initial HTTP checks per incident (api-live and api-ready). */
const HTTP_CHECKS = 2;

function input(stack: BenchStack, id: string, declaredAt: Date): IncidentInput {
  return {
    incidentId: id,
    source: 'json',
    dedupKey: id,
    service: 'barq-api',
    summary: 'benchmark incident',
    severity: 'P3',
    declaredAt: declaredAt.toISOString(),
    policy: severityPolicy(stack.config, 'P3'),
    alert: {
      source: 'json',
      status: 'firing',
      receiver: 'bench',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalUrl: '',
      alertCount: 1,
      firingCount: 1,
      fingerprints: [],
    },
  };
}

async function open(stack: BenchStack, ids: string[], declaredAt: (index: number) => Date): Promise<void> {
  await pool(ids.length, START_CONCURRENCY, async (index) => {
    await stack.client.workflow.start('p3LowIncident', {
      workflowId: ids[index]!,
      taskQueue: stack.config.temporal.taskQueue,
      args: [input(stack, ids[index]!, declaredAt(index))],
    });
  });
}

/** Waits until every open incident has run its initial checks, then a little longer for the worker to settle. */
async function settle(stack: BenchStack, openCount: number): Promise<number> {
  const startMs = Date.now();
  while (stack.receiver.healthRequests < openCount * HTTP_CHECKS) {
    if (Date.now() - startMs > 30 * 60_000) throw new Error(`only ${stack.receiver.healthRequests / HTTP_CHECKS} of ${openCount} incidents ran their checks in 30 min`);
    await sleepMs(1000);
  }
  await sleepMs(10_000);
  return (Date.now() - startMs) / 1000;
}

async function main(): Promise<void> {
  console.log(header('Open incidents on one worker', 'bench:open'));
  console.log(`settings: steps ${STEPS.join(', ')} open P3 incidents, a cohort of ${COHORT} deadlines, started ${START_CONCURRENCY} at a time`);
  const stack = await startBenchStack({ withoutApi: true });
  const run = randomUUID().slice(0, 8);
  const workerPid = stack.worker.pid!;
  console.log(`worker RSS idle: ${residentMiB(workerPid)} MiB`);

  try {
    let openCount = 0;
    const last = STEPS.at(-1)!;
    let cohortIds: string[] = [];
    let dueAtMs = 0;
    for (const target of STEPS) {
      const isLast = target === last;
      const fresh = isLast ? target - openCount - COHORT : target - openCount;
      const ids = Array.from({ length: fresh }, (_, index) => `bench-${run}-${openCount + index}`);
      const startMs = Date.now();
      await open(stack, ids, () => new Date());
      if (isLast) {
        // The cohort starts once the others have run their checks, and falls
        // due after it has run its own, so the lag shows timers alone.
        await settle(stack, target - COHORT);
        dueAtMs = Date.now() + 150_000;
        const declaredAt = new Date(dueAtMs - 3 * 86_400_000);
        cohortIds = Array.from({ length: COHORT }, (_, index) => `bench-${run}-cohort-${index}`);
        await open(stack, cohortIds, () => declaredAt);
      }
      openCount = target;
      const startSeconds = (Date.now() - startMs) / 1000;
      const settleSeconds = await settle(stack, openCount);
      console.log(`open ${openCount}: worker RSS ${residentMiB(workerPid)} MiB (started in ${startSeconds.toFixed(0)} s, checks done ${settleSeconds.toFixed(0)} s later)`);
    }

    const waitMs = dueAtMs - Date.now();
    if (waitMs < 0) console.log(`NOTE: the cohort's deadline passed ${-waitMs} ms before the worker settled; lags include that backlog`);
    await sleepMs(Math.max(0, waitMs) + 30_000);
    const views = await pool(cohortIds.length, 16, async (index) => stack.client.workflow.getHandle(cohortIds[index]!).query<IncidentView>(viewQuery));
    const lags = views.flatMap((view) => {
      const triage = view.deadlines.find((deadline) => deadline.stageId === 'triage');
      return triage?.breachedAt === undefined ? [] : [Date.parse(triage.breachedAt) - Date.parse(triage.dueAt)];
    });
    console.log(`worker RSS after the deadlines: ${residentMiB(workerPid)} MiB`);
    console.log(`timer lag of ${lags.length} of ${COHORT} deadlines due at once: p50 ${percentile(lags, 0.5)} ms, p99 ${percentile(lags, 0.99)} ms, max ${Math.max(...lags)} ms`);
    const p99 = percentile(lags, 0.99);
    console.log(`result: p99 timer lag ${p99} ms (target under 2000 ms: ${p99 < 2000 && lags.length === COHORT ? 'met' : `missed${lags.length < COHORT ? `; ${COHORT - lags.length} did not fire` : ` by ${p99 - 2000} ms`}`})`);
  } finally {
    await stack.stop();
  }
}

await main();
