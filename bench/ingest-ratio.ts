import { randomUUID } from 'node:crypto';

import autocannon from 'autocannon';

import { WORKFLOW_TYPE_BY_SEVERITY, type IncidentInput } from '../src/shared/incident.js';
import { severityPolicy } from '../src/config/policy.js';
import { normalizeAlertmanager } from '../src/api/sources/alertmanager.js';
import { alertReceivedSignal } from '../src/workflows/incident-messages.js';
import { IncidentSeverity, IncidentStatus } from '../src/workflows/search-attributes.js';
import { BENCH_TOKEN, header, setting, startBenchStack, type BenchStack } from './harness.js';

/**
 * Alertmanager webhooks per second through the API against raw
 * `signalWithStart` calls per second from a Temporal client, on one dev
 * server in one run. Each phase sends to 500 new alert groups with the same
 * concurrency, so each starts 500 workflows and then signals them.
 */
const DURATION_S = setting('BENCH_DURATION_S', 20, 1, 600);
const CONNECTIONS = setting('BENCH_CONNECTIONS', 32, 1, 1000);
const GROUPS = 500;
const ROUNDS = 2;

function groupPayload(run: string, index: number) {
  return {
    version: '4',
    groupKey: `{}:{alertname="BenchDown",run="${run}",group="${index}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'barq-incident',
    groupLabels: { alertname: 'BenchDown' },
    commonLabels: { alertname: 'BenchDown', service: 'barq-api', severity: 'info' },
    commonAnnotations: { summary: 'benchmark alert' },
    externalURL: 'http://alertmanager.invalid:9093',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'BenchDown', service: 'barq-api', severity: 'info', instance: `bench-${index}` },
        annotations: { summary: 'benchmark alert' },
        startsAt: '2026-12-05T10:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        fingerprint: `${index.toString(16).padStart(16, '0')}`,
      },
    ],
  };
}

async function throughApi(stack: BenchStack): Promise<{ perSecond: number; non2xx: number; errors: number }> {
  const run = randomUUID();
  let counter = 0;
  const result = await autocannon({
    url: `${stack.apiUrl}/webhooks/alertmanager`,
    connections: CONNECTIONS,
    duration: DURATION_S,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_TOKEN}` },
        setupRequest: (request) => {
          counter += 1;
          return { ...request, body: JSON.stringify(groupPayload(run, counter % GROUPS)) };
        },
      },
    ],
  });
  return { perSecond: result.requests.total / DURATION_S, non2xx: result.non2xx, errors: result.errors };
}

async function rawSignalWithStart(stack: BenchStack): Promise<{ perSecond: number; errors: number }> {
  const run = randomUUID();
  const { config, client } = stack;
  const endAt = Date.now() + DURATION_S * 1000;
  let done = 0;
  let errors = 0;
  let counter = 0;
  const lanes = Array.from({ length: CONNECTIONS }, async () => {
    while (Date.now() < endAt) {
      counter += 1;
      const group = normalizeAlertmanager(groupPayload(run, counter % GROUPS) as never, config.alerts.integrations.alertmanager!.severity, 'barq-api');
      const now = new Date();
      const input: IncidentInput = {
        incidentId: group.incidentId,
        source: 'alertmanager',
        dedupKey: group.dedupKey,
        service: group.service,
        summary: group.summary,
        severity: group.severity,
        declaredAt: now.toISOString(),
        policy: severityPolicy(config, group.severity),
        alert: group.snapshot,
      };
      try {
        await client.workflow.signalWithStart(WORKFLOW_TYPE_BY_SEVERITY[group.severity], {
          workflowId: group.incidentId,
          taskQueue: config.temporal.taskQueue,
          args: [input],
          signal: alertReceivedSignal,
          signalArgs: [{ status: 'firing', severity: group.severity, receivedAt: now.toISOString(), alertCount: 1, firingCount: 1 }],
          // The same request the API sends, so both sides ask the server for the same work.
          typedSearchAttributes: [
            { key: IncidentSeverity, value: group.severity },
            { key: IncidentStatus, value: 'open' },
          ],
          staticSummary: `${group.severity} ${group.service}: ${group.summary}`,
          staticDetails: `Opened by Alertmanager receiver \`${group.snapshot.receiver}\` with ${group.snapshot.alertCount} alert(s).`,
        });
        done += 1;
      } catch {
        errors += 1;
      }
    }
  });
  await Promise.all(lanes);
  return { perSecond: done / DURATION_S, errors };
}

async function main(): Promise<void> {
  console.log(header('Ingest ratio: Alertmanager webhooks through the API against raw signalWithStart', 'bench:ingest'));
  console.log(`settings: ${DURATION_S} s per phase, ${CONNECTIONS} concurrent senders, ${GROUPS} alert groups per phase, ${ROUNDS} rounds`);
  const stack = await startBenchStack();
  try {
    const raw: number[] = [];
    const api: number[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      const direct = await rawSignalWithStart(stack);
      raw.push(direct.perSecond);
      console.log(`round ${round} raw signalWithStart: ${direct.perSecond.toFixed(0)}/s (${direct.errors} errors)`);
      const viaApi = await throughApi(stack);
      api.push(viaApi.perSecond);
      console.log(`round ${round} API webhooks: ${viaApi.perSecond.toFixed(0)}/s (${viaApi.non2xx} non-2xx, ${viaApi.errors} errors)`);
    }
    const rawMean = raw.reduce((a, b) => a + b, 0) / raw.length;
    const apiMean = api.reduce((a, b) => a + b, 0) / api.length;
    const ratio = apiMean / rawMean;
    console.log(`result: API ${apiMean.toFixed(0)}/s, raw ${rawMean.toFixed(0)}/s, ratio ${ratio.toFixed(2)} (target at least 0.9: ${ratio >= 0.9 ? 'met' : `missed by ${(0.9 - ratio).toFixed(2)}`})`);
  } finally {
    await stack.stop();
  }
}

await main();
