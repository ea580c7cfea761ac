import { randomUUID } from 'node:crypto';

import type { Client, WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

import type { Config } from '../../src/config/schema.js';
import { WORKFLOW_TYPE_BY_SEVERITY, type IncidentView, type Severity } from '../../src/shared/incident.js';
import { alertReceivedSignal } from '../../src/workflows/incident-messages.js';
import { incidentInput, testConfig } from './config.js';
import type { RecordedPage } from './fake-activities.js';

export type IncidentHandle = WorkflowHandle<(input: unknown) => Promise<IncidentView>>;

/**
 * Declares an incident of `severity` the way the Alertmanager route does:
 * `signalWithStart` with one firing occurrence, declared at the test
 * server's current time.
 */
export async function declareIncident(env: TestWorkflowEnvironment, taskQueue: string, severity: Severity, config: Config = testConfig()) {
  const incidentId = `${severity.toLowerCase()}-${randomUUID()}`;
  const declaredAt = new Date(await env.currentTimeMs());
  const handle: IncidentHandle = await env.client.workflow.signalWithStart(WORKFLOW_TYPE_BY_SEVERITY[severity], {
    workflowId: incidentId,
    taskQueue,
    args: [incidentInput(incidentId, severity, config, declaredAt)],
    signal: alertReceivedSignal,
    signalArgs: [{ status: 'firing', receivedAt: declaredAt.toISOString(), alertCount: 1, firingCount: 1 }],
  });
  return { handle, declaredAt, incidentId };
}

/**
 * Terminates incidents a failed test left running. A running incident whose
 * worker has stopped keeps the time-skipping server from skipping time, so
 * one failure would otherwise time out every later test in the file.
 */
export async function terminateLeftovers(client: Client, incidentIds: string[]): Promise<void> {
  for (const incidentId of incidentIds) {
    const handle = client.workflow.getHandle(incidentId);
    if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test failed before resolving');
  }
}

/** Converts a time to minutes after `start`, rounded to a tenth. */
export function minutesAfter(start: Date, time: string | number | undefined): number {
  if (time === undefined) throw new Error('expected a time, received undefined');
  const ms = typeof time === 'number' ? time : Date.parse(time);
  return Math.round(((ms - start.getTime()) / 60_000) * 10) / 10;
}

/** Lists the incident's own pages as `minute step:contact`, without the follow-up's pages. */
export function timedPages(pages: RecordedPage[], incidentId: string, declaredAt: Date): string[] {
  return pages
    .filter((page) => page.incidentId === incidentId && !page.step.startsWith('follow-up'))
    .map((page) => `${String(minutesAfter(declaredAt, page.receivedAtMs)).padStart(2, '0')} ${page.step}:${page.contactId}`)
    .sort();
}
