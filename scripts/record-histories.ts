/**
 * Records workflow histories for the replay test. Run it after a change to a
 * workflow's command sequence has been guarded with `patched()`, and commit
 * the new files next to the old ones: old histories must keep replaying.
 *
 *   npx tsx scripts/record-histories.ts
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';

import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';

import type { Activities } from '../src/activities/index.js';
import { registerSearchAttributes } from '../src/temporal/search-attributes-setup.js';
import { acknowledgeUpdate, alertReceivedSignal, resolveUpdate } from '../src/workflows/incident-messages.js';
import { workflowsPath } from '../src/worker/worker.js';
import { incidentInput, testConfig } from '../test/helpers/config.js';

const activities: Activities = {
  probeHttp: async ({ checkId }) => ({ checkId, kind: 'http', ok: checkId !== 'api-ready', status: 200, latencyMs: 2, checkedAt: new Date().toISOString() }),
  pingRedis: async ({ checkId }) => ({ checkId, kind: 'redis', ok: true, latencyMs: 1, checkedAt: new Date().toISOString() }),
  pageContact: async (request) => ({ contactId: request.contactId, idempotencyKey: 'key', httpStatus: 201, duplicate: false }),
};

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const testServer = execFileSync(process.execPath, ['scripts/temporal-tools.mjs', 'path', 'test-server']).toString().trim();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServer } },
  });
  await registerSearchAttributes(env.connection, 'default');
  const taskQueue = `record-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: workflowsPath(), activities });

  await worker.runUntil(async () => {
    // P0: escalates twice, breaches the immediate-actions deadline, is
    // acknowledged, then resolved with one failing verification check.
    const incidentId = 'p0-escalation-breach-resolve';
    const declaredAt = new Date(await env.currentTimeMs());
    const handle = await env.client.workflow.signalWithStart('p0CriticalIncident', {
      workflowId: incidentId,
      taskQueue,
      args: [incidentInput(incidentId, 'P0', testConfig(), declaredAt)],
      signal: alertReceivedSignal,
      signalArgs: [{ status: 'firing', receivedAt: declaredAt.toISOString(), alertCount: 1, firingCount: 1 }],
    });
    await env.sleep('16m');
    await handle.signal(alertReceivedSignal, { status: 'resolved', receivedAt: declaredAt.toISOString(), alertCount: 1, firingCount: 0 });
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice', note: 'rolling back' }] });
    await env.sleep('5m');
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'bob', summary: 'rolled back' }] });
    await handle.result();

    const history = await handle.fetchHistory();
    const file = `test/histories/${incidentId}.json`;
    writeFileSync(file, `${JSON.stringify(history, null, 1)}\n`);
    console.log(`recorded ${history.events?.length ?? 0} events to ${file}`);
  });
  await env.teardown();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
