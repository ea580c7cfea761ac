import { randomUUID } from 'node:crypto';

import autocannon from 'autocannon';

import type { IncidentView } from '../src/shared/incident.js';
import { viewQuery } from '../src/workflows/incident-messages.js';
import { BENCH_TOKEN, header, pool, setting, sleepMs, startBenchStack } from './harness.js';

/**
 * 20,000 alerts over 200 identities, sent as fast as the API takes them:
 * exactly 200 incidents must open and every occurrence must be counted.
 */
const ALERTS = setting('BENCH_ALERTS', 20_000, 1, 1_000_000);
const IDENTITIES = setting('BENCH_IDENTITIES', 200, 1, ALERTS);
const CONNECTIONS = setting('BENCH_CONNECTIONS', 64, 1, 1000);

async function main(): Promise<void> {
  console.log(header('Alert storm', 'bench:storm'));
  console.log(`settings: ${ALERTS} plain JSON alerts over ${IDENTITIES} keys, ${CONNECTIONS} connections`);
  const stack = await startBenchStack();
  const run = randomUUID();
  const ids = new Set<string>();
  const statuses = new Map<number, number>();
  let counter = 0;

  try {
    const startMs = Date.now();
    const result = await autocannon({
      url: `${stack.apiUrl}/webhooks/json`,
      connections: CONNECTIONS,
      amount: ALERTS,
      timeout: 60,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_TOKEN}` },
          setupRequest: (request) => {
            counter += 1;
            const key = `${run}-${counter % IDENTITIES}`;
            return { ...request, body: JSON.stringify({ key, status: 'firing', summary: 'storm', severity: 'P2', service: 'barq-api' }) };
          },
          onResponse: (status, body) => {
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            if (status === 202) {
              const id = (JSON.parse(body) as { incidents: Array<{ id: string }> }).incidents[0]?.id;
              if (id !== undefined) ids.add(id);
            }
          },
        },
      ],
    });
    const seconds = (Date.now() - startMs) / 1000;
    const accepted = statuses.get(202) ?? 0;
    console.log(`sent: ${result.requests.total} in ${seconds.toFixed(1)} s (${(result.requests.total / seconds).toFixed(0)} alerts/s), errors: ${result.errors}, timeouts: ${result.timeouts}`);
    console.log(`status codes: ${JSON.stringify(Object.fromEntries(statuses))}`);

    // Signals are in history once accepted; the counts show once the worker has applied them.
    let counted = 0;
    const deadline = Date.now() + 300_000;
    while (Date.now() < deadline) {
      const list = [...ids];
      const views = await pool(list.length, 16, async (index) => stack.client.workflow.getHandle(list[index]!).query<IncidentView>(viewQuery));
      counted = views.reduce((sum, view) => sum + view.alertOccurrences, 0);
      if (counted >= accepted) break;
      await sleepMs(1000);
    }
    const serverErrors = [...statuses].filter(([status]) => status >= 500).reduce((sum, [, count]) => sum + count, 0);
    console.log(`incidents: ${ids.size} (expected ${IDENTITIES}), occurrences counted: ${counted} of ${accepted} accepted, 5xx: ${serverErrors}`);
    const ok = ids.size === IDENTITIES && counted === accepted && accepted === ALERTS && serverErrors === 0;
    console.log(`result: ${(result.requests.total / seconds).toFixed(0)} alerts/s; ${ok ? 'every alert accepted and counted on exactly one incident per key' : 'FAILED: see the counts above'}`);
    if (!ok) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

await main();
