import { randomUUID } from 'node:crypto';

import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { Activities } from '../../src/activities/index.js';
import { type AlertOccurrence, type IncidentView, type Severity } from '../../src/shared/incident.js';
import {
  acknowledgeUpdate,
  alertReceivedSignal,
  assignRoleUpdate,
  completeTaskUpdate,
  resolveUpdate,
  viewQuery,
} from '../../src/workflows/incident-messages.js';
import { testConfig } from '../helpers/config.js';
import { closeFollowUp, fakeActivities } from '../helpers/fake-activities.js';
import { startTimeSkippingServer } from '../helpers/temporal.js';
import { declareIncident, minutesAfter, terminateLeftovers, timedPages } from '../helpers/incidents.js';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

// A server per test: a test that stops its worker while an activity is in
// flight makes the shared server's later sleeps run in real time, which
// stalled this file in CI.
beforeEach(async () => {
  ({ env, bundle } = await startTimeSkippingServer());
});

afterEach(async () => {
  await env?.teardown();
});

/** IDs of the incidents the current test started, for `terminateLeftovers`. */
const startedIds: string[] = [];

afterEach(async () => {
  await terminateLeftovers(env.client, startedIds.splice(0));
});

type IncidentHandle = WorkflowHandle<(input: unknown) => Promise<IncidentView>>;

const config = testConfig();
const resolution = { summary: 'the alert cleared after the failover', resolutionType: 'other' as const };
const INVESTIGATION_TASKS = ['review-logs', 'check-database', 'check-flowable', 'review-changes', 'analyse-errors'];

function fakes(overrides: Partial<Activities> = {}) {
  return fakeActivities(() => env.currentTimeMs(), overrides);
}

function newWorker(taskQueue: string, activities: Activities): Promise<Worker> {
  return Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
}

/** Declares an incident of `severity` the way the Alertmanager route does. */
async function startIncident(taskQueue: string, severity: Severity) {
  const started = await declareIncident(env, taskQueue, severity, config);
  startedIds.push(started.incidentId);
  return started;
}

async function sendAlert(handle: IncidentHandle, status: AlertOccurrence['status']): Promise<void> {
  const receivedAt = new Date(await env.currentTimeMs()).toISOString();
  await handle.signal(alertReceivedSignal, { status, receivedAt, alertCount: 1, firingCount: status === 'firing' ? 1 : 0 });
}

async function resolveAndClose(handle: IncidentHandle): Promise<IncidentView> {
  const final = await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', ...resolution }] });
  await closeFollowUp(env.client, final);
  return final;
}

describe('alert flapping', () => {
  it('counts repeated firing without paging', async () => {
    const taskQueue = `repeats-${randomUUID()}`;
    const { activities, pages } = fakes();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, declaredAt, incidentId } = await startIncident(taskQueue, 'P0');

      for (let index = 0; index < 3; index += 1) await sendAlert(handle, 'firing');
      await env.sleep('1m');
      const view = await handle.query(viewQuery);

      expect(view.alertOccurrences).toBe(4);
      expect(view.timeline.filter((entry) => entry.type === 'alert')).toHaveLength(1);
      expect(timedPages(pages, incidentId, declaredAt)).toEqual(['00 business-declared:product-manager', '00 escalation-0:primary-oncall']);

      await resolveAndClose(handle);
    });
  });

  it('starts the cool-down on all resolved', async () => {
    const taskQueue = `cooldown-${randomUUID()}`;
    const worker = await newWorker(taskQueue, fakes().activities);

    await worker.runUntil(async () => {
      const { handle, declaredAt } = await startIncident(taskQueue, 'P0');
      await env.sleep('2m');

      await sendAlert(handle, 'resolved');
      await env.sleep('1m');
      const view = await handle.query(viewQuery);

      expect(view.status).toBe('resolved-pending');
      expect(view.alertStatus).toBe('resolved');
      expect(minutesAfter(declaredAt, view.cooldownEndsAt)).toBe(12);
      expect(view.timeline.filter((entry) => entry.type !== 'status-update').at(-1)?.type).toBe('resolved-pending');

      await resolveAndClose(handle);
    });
  });

  it.each([
    { acknowledged: false, status: 'open' },
    { acknowledged: true, status: 'acknowledged' },
  ])('reopens as $status on a re-fire', async ({ acknowledged, status }) => {
    const taskQueue = `flap-${status}-${randomUUID()}`;
    const { activities, pages } = fakes();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, declaredAt, incidentId } = await startIncident(taskQueue, 'P0');
      if (acknowledged) await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }] });
      await env.sleep('2m');
      await sendAlert(handle, 'resolved');
      await env.sleep('2m');

      await sendAlert(handle, 'firing');
      await env.sleep('30s');
      const view = await handle.query(viewQuery);

      expect(view.status).toBe(status);
      expect(view.flaps).toBe(1);
      expect(view.cooldownEndsAt).toBeUndefined();
      const flaps = view.timeline.filter((entry) => entry.type === 'flap');
      expect(flaps).toHaveLength(1);
      expect(flaps[0]?.flagged).toBe(true);
      expect(minutesAfter(declaredAt, flaps[0]?.at)).toBe(4);
      expect(timedPages(pages, incidentId, declaredAt)).toEqual(['00 business-declared:product-manager', '00 escalation-0:primary-oncall']);

      await resolveAndClose(handle);
    });
  });

  it('resolves p2 after a quiet cool-down', async () => {
    const taskQueue = `auto-resolve-${randomUUID()}`;
    const worker = await newWorker(taskQueue, fakes().activities);

    await worker.runUntil(async () => {
      const { handle, declaredAt } = await startIncident(taskQueue, 'P2');
      await env.sleep('3m');

      await sendAlert(handle, 'resolved');
      const final = await handle.result();
      await closeFollowUp(env.client, final);

      expect(final.status).toBe('resolved');
      expect(final.resolvedBy).toBe('system');
      expect(final.resolutionType).toBe('other');
      expect(minutesAfter(declaredAt, final.resolvedAt)).toBe(13);
      expect(final.followUpId).toContain(final.id);
    });
  });

  it('asks a person to confirm p0', async () => {
    const taskQueue = `confirm-${randomUUID()}`;
    const { activities, pages } = fakes();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, declaredAt, incidentId } = await startIncident(taskQueue, 'P0');
      await env.sleep('2m');
      await sendAlert(handle, 'resolved');

      await env.sleep('11m');
      const pending = await handle.query(viewQuery);

      expect(pending.status).toBe('resolved-pending');
      expect(pending.confirmationRequested).toBe(true);
      const requested = pending.timeline.filter((entry) => entry.type === 'confirmation-requested');
      expect(requested).toHaveLength(1);
      expect(minutesAfter(declaredAt, requested[0]?.at)).toBe(12);
      // The ladder pauses while alerts are resolved, so the secondary is not paged at 5 min.
      expect(timedPages(pages, incidentId, declaredAt)).toEqual([
        '00 business-declared:product-manager',
        '00 escalation-0:primary-oncall',
        '12 confirm-resolution-1:primary-oncall',
      ]);

      const final = await resolveAndClose(handle);

      expect(final.status).toBe('resolved');
      expect(final.resolvedBy).toBe('alice');
      expect((await handle.result()).status).toBe('resolved');
    });
  });

  it('asks the commander to confirm', async () => {
    const taskQueue = `confirm-commander-${randomUUID()}`;
    const { activities, stepsFor } = fakes();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, incidentId } = await startIncident(taskQueue, 'P0');
      await handle.executeUpdate(assignRoleUpdate, { args: [{ actor: 'alice', role: 'incident-commander', contactId: 'engineering-manager' }] });
      await sendAlert(handle, 'resolved');

      await env.sleep('11m');

      expect(stepsFor(incidentId).filter((step) => step.startsWith('confirm-resolution'))).toEqual(['confirm-resolution-1:engineering-manager']);

      await resolveAndClose(handle);
    });
  });
});

describe('business escalation', () => {
  it('informs business at declaration and breach', async () => {
    const taskQueue = `business-breach-${randomUUID()}`;
    const { activities, pages } = fakes();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, declaredAt, incidentId } = await startIncident(taskQueue, 'P0');

      await env.sleep('61m');

      const business = timedPages(pages, incidentId, declaredAt).filter((page) => page.includes('business'));
      expect(business).toEqual(['00 business-declared:product-manager', '60 business-breach-investigation:vp-engineering']);

      await resolveAndClose(handle);
    });
  });

  it('spares vp engineering when investigation is done', async () => {
    const taskQueue = `business-met-${randomUUID()}`;
    const { activities, pages } = fakes();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, declaredAt, incidentId } = await startIncident(taskQueue, 'P0');
      await env.sleep('10m');
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }] });
      for (const taskId of INVESTIGATION_TASKS) {
        await handle.executeUpdate(completeTaskUpdate, { args: [{ actor: 'alice', taskId }] });
      }

      await env.sleep('51m');
      const view = await handle.query(viewQuery);

      const business = timedPages(pages, incidentId, declaredAt).filter((page) => page.includes('business'));
      expect(business).toEqual(['00 business-declared:product-manager']);
      const investigation = view.deadlines.find((deadline) => deadline.stageId === 'investigation');
      expect(investigation?.breachedAt).toBeUndefined();
      expect(minutesAfter(declaredAt, investigation?.metAt)).toBeLessThan(60);

      await resolveAndClose(handle);
    });
  });
});
