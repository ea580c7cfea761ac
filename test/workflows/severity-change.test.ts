import { randomUUID } from 'node:crypto';

import type { WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { Activities } from '../../src/activities/index.js';
import { severityPolicy } from '../../src/config/policy.js';
import type { IncidentView, Severity } from '../../src/shared/incident.js';
import {
  acknowledgeUpdate,
  alertReceivedSignal,
  changeSeverityUpdate,
  completeTaskUpdate,
  resolveUpdate,
  viewQuery,
} from '../../src/workflows/incident-messages.js';
import { testConfig } from '../helpers/config.js';
import { closeFollowUp, fakeActivities, type RecordedPage } from '../helpers/fake-activities.js';
import { eventually, startTimeSkippingServer } from '../helpers/temporal.js';
import { declareIncident, minutesAfter, terminateLeftovers } from '../helpers/incidents.js';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  ({ env, bundle } = await startTimeSkippingServer());
});

afterAll(async () => {
  await env?.teardown();
});

/** IDs of the incidents the current test started, for `terminateLeftovers`. */
const startedIds: string[] = [];

afterEach(async () => {
  await terminateLeftovers(env.client, startedIds.splice(0));
});

type IncidentHandle = WorkflowHandle<(input: unknown) => Promise<IncidentView>>;

const config = testConfig();
const resolution = { summary: 'failed over the database', resolutionType: 'other' as const };

function fakes(overrides: Partial<Activities> = {}) {
  return fakeActivities(() => env.currentTimeMs(), overrides);
}

function newWorker(taskQueue: string, activities: Activities): Promise<Worker> {
  return Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
}

/** Declares an incident of `severity` the way the Alertmanager route does, and returns its first run ID. */
async function startIncident(taskQueue: string, severity: Severity) {
  const started = await declareIncident(env, taskQueue, severity, config);
  startedIds.push(started.incidentId);
  const firstRunId = (await started.handle.describe()).runId;
  return { ...started, firstRunId };
}

function changeSeverity(handle: IncidentHandle, severity: Severity, reason: string): Promise<IncidentView> {
  return handle.executeUpdate(changeSeverityUpdate, {
    args: [{ actor: 'alice', severity, reason, policy: severityPolicy(config, severity) }],
  });
}

/** Waits for a run of the workflow ID other than `previousRunId` and returns its description. */
function nextRun(handle: IncidentHandle, previousRunId: string): Promise<WorkflowExecutionDescription> {
  return eventually(async () => {
    const description = await handle.describe();
    return description.runId === previousRunId ? undefined : description;
  }, `a run after ${previousRunId}`);
}

/** Lists the pages one run sent as `minute step:contact`. */
function timedPagesOfRun(pages: RecordedPage[], runId: string, declaredAt: Date): string[] {
  return pages
    .filter((page) => page.runId === runId)
    .map((page) => `${String(minutesAfter(declaredAt, page.receivedAtMs)).padStart(2, '0')} ${page.step}:${page.contactId}`)
    .sort();
}

describe('severity change', () => {
  it('continues an upgrade as p0', async () => {
    const taskQueue = `upgrade-${randomUUID()}`;
    const { activities, pages } = fakes();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, declaredAt, firstRunId } = await startIncident(taskQueue, 'P1');
      await handle.signal(alertReceivedSignal, { status: 'firing', receivedAt: declaredAt.toISOString(), alertCount: 2, firingCount: 2 });
      await env.sleep('20m');

      const changed = await changeSeverity(handle, 'P0', 'checkout is down for every tenant');
      const run = await nextRun(handle, firstRunId);
      await env.sleep('1m');
      const view = await handle.query(viewQuery);

      expect(changed.severity).toBe('P0');
      expect(run.type).toBe('p0CriticalIncident');
      expect(view.severity).toBe('P0');
      expect(view.declaredAt).toBe(declaredAt.toISOString());
      expect(view.alertOccurrences).toBe(2);
      expect(view.timeline[0]?.type).toBe('declared');
      expect(view.timeline.filter((entry) => entry.type === 'severity-changed').map((entry) => entry.message)).toEqual([
        'severity P1 -> P0: checkout is down for every tenant',
      ]);
      expect(view.severityHistory).toMatchObject([{ from: 'P1', to: 'P0', by: 'alice' }]);

      const immediate = view.deadlines.find((deadline) => deadline.stageId === 'immediate-actions');
      expect(minutesAfter(declaredAt, immediate?.dueAt)).toBe(15);
      expect(minutesAfter(declaredAt, immediate?.breachedAt)).toBe(20);
      const investigation = view.deadlines.find((deadline) => deadline.stageId === 'investigation');
      expect(minutesAfter(declaredAt, investigation?.dueAt)).toBe(60);
      expect(investigation?.breachedAt).toBeUndefined();

      expect(timedPagesOfRun(pages, run.runId, declaredAt)).toEqual([
        '20 breach-immediate-actions:engineering-manager',
        '20 business-declared:product-manager',
        '20 escalation-0:primary-oncall',
      ]);
      // Both runs page the first level with step escalation-0, and the run ID keeps their idempotency keys apart.
      const firstLevelRuns = pages.filter((page) => page.step === 'escalation-0').map((page) => page.runId);
      expect(firstLevelRuns).toEqual([firstRunId, run.runId]);
      expect(view.paged.filter((page) => page.step === 'escalation-0')).toHaveLength(2);

      await closeFollowUp(env.client, await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', ...resolution }] }));
    });
  });

  it('carries acknowledgement into a downgrade', async () => {
    const taskQueue = `downgrade-${randomUUID()}`;
    const { activities, pages } = fakes();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, declaredAt, firstRunId } = await startIncident(taskQueue, 'P0');
      await env.sleep('2m');
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }] });
      await handle.executeUpdate(completeTaskUpdate, { args: [{ actor: 'alice', taskId: 'assess-impact' }] });
      await env.sleep('3m');

      await changeSeverity(handle, 'P2', 'only internal reports are slow');
      const run = await nextRun(handle, firstRunId);
      await env.sleep('1m');
      const view = await handle.query(viewQuery);

      expect(run.type).toBe('p2MediumIncident');
      expect(view.status).toBe('acknowledged');
      expect(view.acknowledgedBy).toBe('alice');
      expect(minutesAfter(declaredAt, view.acknowledgedAt)).toBe(2);
      const statusById = Object.fromEntries(view.tasks.map((task) => [task.id, task.status]));
      expect(statusById).toMatchObject({ acknowledge: 'done', 'health-check': 'done', 'assess-impact': 'done', 'review-logs': 'open' });
      expect(view.tasks.find((task) => task.id === 'assess-impact')?.completedBy).toBe('alice');
      expect(timedPagesOfRun(pages, run.runId, declaredAt)).toEqual([]);

      const dueMinutes = view.deadlines.map((deadline) => `${deadline.stageId} ${minutesAfter(declaredAt, deadline.dueAt)}`);
      expect(dueMinutes).toEqual(['triage 240', 'resolution 4320']);
      // Triage ends with the acknowledgement and its tasks, all carried, so the new run marks it met at once.
      expect(minutesAfter(declaredAt, view.deadlines[0]?.metAt)).toBe(5);

      await closeFollowUp(env.client, await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', ...resolution }] }));
    });
  });

  it('resolves after a severity change', async () => {
    const taskQueue = `change-then-resolve-${randomUUID()}`;
    const worker = await newWorker(taskQueue, fakes().activities);

    await worker.runUntil(async () => {
      const { handle, firstRunId } = await startIncident(taskQueue, 'P1');
      await env.sleep('5m');
      await changeSeverity(handle, 'P0', 'checkout is down for every tenant');
      const run = await nextRun(handle, firstRunId);

      const resolved = await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'bob', ...resolution }] });
      await closeFollowUp(env.client, resolved);
      const final = await handle.result();
      const description = await handle.describe();

      expect(final.status).toBe('resolved');
      expect(final.severity).toBe('P0');
      expect(final.resolvedBy).toBe('bob');
      expect(description.runId).toBe(run.runId);
      expect(description.status.name).toBe('COMPLETED');
    });
  });

  it('informs business once across changes', async () => {
    const taskQueue = `business-once-${randomUUID()}`;
    const { activities, pages } = fakes();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, incidentId, firstRunId } = await startIncident(taskQueue, 'P0');
      await env.sleep('2m');

      await changeSeverity(handle, 'P1', 'only one tenant');
      const p1Run = await nextRun(handle, firstRunId);
      await env.sleep('1m');
      await changeSeverity(handle, 'P0', 'every tenant again');
      await nextRun(handle, p1Run.runId);
      await env.sleep('1m');

      const business = pages.filter((page) => page.incidentId === incidentId && page.step === 'business-declared');
      expect(business.map((page) => page.runId)).toEqual([firstRunId]);

      await closeFollowUp(env.client, await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', ...resolution }] }));
    });
  });

  it('keeps the cool-down across a downgrade', async () => {
    const taskQueue = `change-in-cooldown-${randomUUID()}`;
    const { activities, pages } = fakes();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, firstRunId, declaredAt } = await startIncident(taskQueue, 'P0');
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }] });
      await handle.signal(alertReceivedSignal, { status: 'resolved', receivedAt: declaredAt.toISOString(), alertCount: 1, firingCount: 0 });
      await env.sleep('4m');
      const pending = await handle.query(viewQuery);

      await changeSeverity(handle, 'P2', 'alerts cleared, minor follow-up only');
      const run = await nextRun(handle, firstRunId);
      const carried = await handle.query(viewQuery);
      await env.sleep('7m');
      const final = await handle.result();
      await closeFollowUp(env.client, final);

      expect(pending.status).toBe('resolved-pending');
      expect(carried.status).toBe('resolved-pending');
      expect(carried.alertStatus).toBe('resolved');
      expect(carried.cooldownEndsAt).toBe(pending.cooldownEndsAt);
      expect(pages.filter((page) => page.runId === run.runId && !page.step.startsWith('follow-up'))).toEqual([]);
      expect(final.status).toBe('resolved');
      expect(final.resolvedBy).toBe('system');
      expect(minutesAfter(declaredAt, final.resolvedAt)).toBe(10);
    });
  });
});
