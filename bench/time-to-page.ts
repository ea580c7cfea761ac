import { randomUUID } from 'node:crypto';

import { BENCH_TOKEN, header, percentile, setting, sleepMs, startBenchStack } from './harness.js';

/**
 * Measures the time from a webhook to the page at a loopback receiver, over
 * new incidents sent at a steady rate. The health endpoint responds after
 * 2 s, so a page that waited for the initial checks would show it.
 */
const INCIDENTS = setting('BENCH_INCIDENTS', 500, 1, 100_000);
const PER_SECOND = setting('BENCH_RATE', 10, 1, 1000);
const HEALTH_DELAY_MS = 2000;

async function main(): Promise<void> {
  console.log(header('Time to page', 'bench:page'));
  console.log(`settings: ${INCIDENTS} new P2 incidents at ${PER_SECOND}/s, health checks responding after ${HEALTH_DELAY_MS} ms`);
  const stack = await startBenchStack();
  stack.receiver.healthDelayMs = HEALTH_DELAY_MS;
  const run = randomUUID();
  const sent = new Map<string, { sentAtMs: number; acceptedAtMs: number }>();
  let failures = 0;

  try {
    const startMs = Date.now();
    const requests: Array<Promise<void>> = [];
    for (let index = 0; index < INCIDENTS; index += 1) {
      await sleepMs(Math.max(0, startMs + (index * 1000) / PER_SECOND - Date.now()));
      const sentAtMs = Date.now();
      requests.push(
        fetch(`${stack.apiUrl}/webhooks/json`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_TOKEN}` },
          body: JSON.stringify({ key: `${run}-${index}`, status: 'firing', summary: 'benchmark incident', severity: 'P2', service: 'barq-api' }),
        }).then(async (response) => {
          const body = (await response.json()) as { incidents?: Array<{ id: string }> };
          const id = body.incidents?.[0]?.id;
          if (response.status !== 202 || id === undefined) failures += 1;
          else sent.set(id, { sentAtMs, acceptedAtMs: Date.now() });
        }),
      );
    }
    await Promise.all(requests);

    const deadline = Date.now() + 60_000;
    const firstPage = () => {
      const pages = new Map<string, number>();
      for (const page of stack.receiver.pages) {
        if (page.contactId === 'primary-oncall' && sent.has(page.incidentId) && !pages.has(page.incidentId)) pages.set(page.incidentId, page.atMs);
      }
      return pages;
    };
    while (firstPage().size < sent.size && Date.now() < deadline) await sleepMs(200);

    const pages = firstPage();
    const fromSent = [...pages].map(([id, atMs]) => atMs - sent.get(id)!.sentAtMs);
    const fromAccepted = [...pages].map(([id, atMs]) => atMs - sent.get(id)!.acceptedAtMs);
    console.log(`accepted: ${sent.size}, rejected: ${failures}, paged: ${pages.size}`);
    console.log(`from webhook sent to page received: p50 ${percentile(fromSent, 0.5)} ms, p99 ${percentile(fromSent, 0.99)} ms, max ${Math.max(...fromSent)} ms`);
    const early = fromAccepted.some((ms) => ms < 0) ? ' (negative: the page came before the response)' : '';
    console.log(`from webhook response to page received: p50 ${percentile(fromAccepted, 0.5)} ms, p99 ${percentile(fromAccepted, 0.99)} ms${early}`);
    const p99 = percentile(fromSent, 0.99);
    const complete = failures === 0 && pages.size === INCIDENTS;
    console.log(
      complete
        ? `result: p99 ${p99} ms from webhook sent (target under 150 ms: ${p99 < 150 ? 'met' : `missed by ${p99 - 150} ms`})`
        : `result: FAILED: ${INCIDENTS - pages.size} of ${INCIDENTS} incidents got no page within 60 s`,
    );
    if (!complete) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

await main();
