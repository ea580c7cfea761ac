/**
 * Records one workflow history per severity's main path for the replay test.
 * Run it after a change to a workflow's command sequence has been guarded
 * with `patched()`, and commit the new files next to the old ones: old
 * histories must keep replaying.
 *
 *   npx tsx scripts/record-histories.ts
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
import {
  acknowledgeUpdate,
  addNoteUpdate,
  alertReceivedSignal,
  assignRoleUpdate,
  completeTaskUpdate,
  escalateUpdate,
  resolveUpdate,
} from '../src/workflows/incident-messages.js';
import { workflowsPath } from '../src/worker/worker.js';
import { incidentInput, testConfig } from '../test/helpers/config.js';
import { closeFollowUp, fakeActivities } from '../test/helpers/fake-activities.js';

type Handle = WorkflowHandle<Workflow>;

/** The main path of each severity, driven through the same commands engineers use. */
const SCENARIOS: Record<Severity, (handle: Handle, env: TestWorkflowEnvironment) => Promise<IncidentView>> = {
  // P0: escalates once, is acknowledged, gets a commander and its tasks, then resolves.
  P0: async (handle, env) => {
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
  // P1: nobody acknowledges; breaches its first deadline, is escalated by hand, then resolved.
  P1: async (handle, env) => {
    await env.sleep('16m');
    await handle.executeUpdate(escalateUpdate, { args: [{ actor: 'bob', reason: 'need database help' }] });
    await env.sleep('2m');
    return handle.executeUpdate(resolveUpdate, { args: [{ actor: 'bob', summary: 'scaled out', resolutionType: 'scale' }] });
  },
  // P2: the alert resolves and stays resolved through the cool-down, so the incident resolves itself.
  P2: async (handle, env) => {
    await env.sleep('3m');
    await handle.signal(alertReceivedSignal, { status: 'resolved', receivedAt: new Date().toISOString(), alertCount: 1, firingCount: 0 });
    await env.sleep('11m');
    return (await handle.result()) as IncidentView;
  },
  // P3: nobody is paged; acknowledged and resolved a day later.
  P3: async (handle, env) => {
    await env.sleep('1d');
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'carol' }] });
    return handle.executeUpdate(resolveUpdate, { args: [{ actor: 'carol', summary: 'copy fixed', resolutionType: 'hotfix' }] });
  },
};

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const testServer = execFileSync(process.execPath, ['scripts/temporal-tools.mjs', 'path', 'test-server']).toString().trim();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServer } },
  });
  await registerSearchAttributes(env.connection, 'default');
  const { activities } = fakeActivities(() => env.currentTimeMs());
  const taskQueue = `record-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: workflowsPath(), activities });

  await worker.runUntil(async () => {
    for (const severity of Object.keys(SCENARIOS) as Severity[]) {
      const incidentId = `${severity.toLowerCase()}-main-path`;
      const declaredAt = new Date(await env.currentTimeMs());
      const handle: Handle = await env.client.workflow.signalWithStart(WORKFLOW_TYPE_BY_SEVERITY[severity], {
        workflowId: incidentId,
        taskQueue,
        args: [incidentInput(incidentId, severity, testConfig(), declaredAt)],
        signal: alertReceivedSignal,
        signalArgs: [{ status: 'firing', receivedAt: declaredAt.toISOString(), alertCount: 1, firingCount: 1 }],
      });

      const final = await SCENARIOS[severity](handle, env);
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
