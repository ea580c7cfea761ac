/**
 * Records workflow histories for the replay test: one per severity's main
 * path, and one of a P0 with investigation findings and an approved
 * restart. Run it after a change to a workflow's command sequence has been
 * guarded with `patched()`, and commit the new files next to the old ones:
 * old histories must keep replaying. Name the histories to record, so the
 * others stay as they were recorded:
 *
 *   npx tsx scripts/record-histories.ts p0-recovery
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';

import type { WorkflowHandle } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';

import { registerSearchAttributes } from '../src/temporal/search-attributes-setup.js';
import { WORKFLOW_TYPE_BY_SEVERITY, type IncidentView, type Severity } from '../src/shared/incident.js';
import type { Activities } from '../src/activities/index.js';
import {
  acknowledgeUpdate,
  addNoteUpdate,
  alertReceivedSignal,
  approveRecoveryUpdate,
  assignRoleUpdate,
  completeTaskUpdate,
  escalateUpdate,
  requestRecoveryUpdate,
  resolveUpdate,
} from '../src/workflows/incident-messages.js';
import { workflowsPath } from '../src/worker/worker.js';
import { incidentInput, testConfig } from '../test/helpers/config.js';
import { closeFollowUp, fakeActivities } from '../test/helpers/fake-activities.js';

type Handle = WorkflowHandle<Workflow>;

interface Scenario {
  severity: Severity;
  run: (handle: Handle, env: TestWorkflowEnvironment) => Promise<IncidentView>;
}

/** Each recorded history by name, driven through the same commands engineers use. */
const SCENARIOS: Record<string, Scenario> = {
  // P0: escalates once, is acknowledged, gets a commander and its tasks, then resolves.
  'p0-main-path': {
    severity: 'P0',
    run: async (handle, env) => {
      await env.sleep('6m');
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice', note: 'on it' }] });
      await handle.executeUpdate(assignRoleUpdate, { args: [{ actor: 'alice', role: 'incident-commander', contactId: 'secondary-oncall' }] });
      for (const taskId of ['assess-impact', 'identify-affected', 'activate-team', 'update-status-page']) {
        await handle.executeUpdate(completeTaskUpdate, { args: [{ actor: 'alice', taskId }] });
      }
      await handle.executeUpdate(addNoteUpdate, { args: [{ actor: 'alice', text: 'rolling back 14:02 deploy' }] });
      await env.sleep('20m');
      return handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', summary: 'rolled back', resolutionType: 'rollback' }] });
    },
  },
  // P1: nobody acknowledges; breaches its first deadline, is escalated by hand, then resolved.
  'p1-main-path': {
    severity: 'P1',
    run: async (handle, env) => {
      await env.sleep('16m');
      await handle.executeUpdate(escalateUpdate, { args: [{ actor: 'bob', reason: 'need database help' }] });
      await env.sleep('2m');
      return handle.executeUpdate(resolveUpdate, { args: [{ actor: 'bob', summary: 'scaled out', resolutionType: 'scale' }] });
    },
  },
  // P2: the alert resolves and stays resolved through the cool-down, so the incident resolves itself.
  'p2-main-path': {
    severity: 'P2',
    run: async (handle, env) => {
      await env.sleep('3m');
      await handle.signal(alertReceivedSignal, { status: 'resolved', receivedAt: new Date().toISOString(), alertCount: 1, firingCount: 0 });
      await env.sleep('11m');
      return (await handle.result()) as IncidentView;
    },
  },
  // P3: nobody is paged; acknowledged and resolved a day later.
  'p3-main-path': {
    severity: 'P3',
    run: async (handle, env) => {
      await env.sleep('1d');
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'carol' }] });
      return handle.executeUpdate(resolveUpdate, { args: [{ actor: 'carol', summary: 'copy fixed', resolutionType: 'hotfix' }] });
    },
  },
  // P0 whose investigation actions find something, with a restart approved by a second engineer.
  'p0-recovery': {
    severity: 'P0',
    run: async (handle, env) => {
      await env.sleep('2m');
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }] });
      await handle.executeUpdate(requestRecoveryUpdate, { args: [{ actor: 'alice', stepId: 'restart-api', reason: 'memory leak' }] });
      await env.sleep('3m');
      await handle.executeUpdate(approveRecoveryUpdate, { args: [{ actor: 'bob', requestId: 'r1' }] });
      await env.sleep('5m');
      return handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', summary: 'restarted', resolutionType: 'other' }] });
    },
  },
};

/** Activities that succeed, so the recorded paths include the investigation and recovery steps. */
const RECORDING_OVERRIDES: Partial<Activities> = {
  deploymentLogs: async ({ service }) => ({
    namespace: 'barq',
    deployment: `barq-${service}`,
    pods: [{ pod: 'barq-api-7d9f-abcde', container: 'api', lines: ['GET /health 503'], truncated: false }],
    omittedPods: 0,
  }),
  recentRollouts: async () => ({ namespace: 'barq', deployment: 'barq-api', currentRevision: 3, omitted: 0, rollouts: [] }),
  checkDatabase: async () => ({ ok: true, database: 'BARQ_DB', latencyMs: 3, checkedAt: new Date().toISOString() }),
  flowableEngineStatus: async () => ({ name: 'default', version: '7.1.0', resourceUrl: null, exception: null }),
  restartDeployment: async ({ restartedAt }) => ({
    namespace: 'barq',
    deployment: 'barq-api',
    restartedAt: restartedAt ?? '',
    generation: 4,
    alreadyRestarted: false,
  }),
  waitForRollout: async () => ({ namespace: 'barq', deployment: 'barq-api', generation: 4, replicas: 2, availableReplicas: 2, polls: 3 }),
};


async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const testServer = execFileSync(process.execPath, ['scripts/temporal-tools.mjs', 'path', 'test-server']).toString().trim();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServer } },
  });
  await registerSearchAttributes(env.connection, 'default');
  const names = process.argv.slice(2);
  const unknown = names.filter((name) => !(name in SCENARIOS));
  if (names.length === 0 || unknown.length > 0) {
    throw new Error(`name the histories to record, from: ${Object.keys(SCENARIOS).join(', ')}`);
  }
  const { activities } = fakeActivities(() => env.currentTimeMs(), RECORDING_OVERRIDES);
  const taskQueue = `record-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: workflowsPath(), activities });

  await worker.runUntil(async () => {
    for (const incidentId of names) {
      const { severity, run } = SCENARIOS[incidentId] as Scenario;
      const declaredAt = new Date(await env.currentTimeMs());
      const handle: Handle = await env.client.workflow.signalWithStart(WORKFLOW_TYPE_BY_SEVERITY[severity], {
        workflowId: incidentId,
        taskQueue,
        args: [incidentInput(incidentId, severity, testConfig(), declaredAt)],
        signal: alertReceivedSignal,
        signalArgs: [{ status: 'firing', receivedAt: declaredAt.toISOString(), alertCount: 1, firingCount: 1 }],
      });

      const final = await run(handle, env);
      await handle.result();
      await closeFollowUp(env.client, final);

      const history = await handle.fetchHistory();
      const file = `test/histories/${incidentId}.json`;
      writeFileSync(file, `${JSON.stringify(history, null, 1)}\n`);
      console.log(`recorded ${history.events?.length ?? 0} events to ${file}`);
    }
  });
  await env.teardown();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
