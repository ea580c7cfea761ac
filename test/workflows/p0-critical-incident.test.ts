import { randomUUID } from 'node:crypto';

import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Activities } from '../../src/activities/index.js';
import type { IncidentView } from '../../src/shared/incident.js';
import {
  acknowledgeUpdate,
  alertReceivedSignal,
  completeTaskUpdate,
  resolveUpdate,
  viewQuery,
} from '../../src/workflows/incident-messages.js';
import { p0CriticalIncident } from '../../src/workflows/index.js';
import { incidentInput, testConfig } from '../helpers/config.js';
import { closeFollowUp, fakeActivities } from '../helpers/fake-activities.js';
import { minutesAfter } from '../helpers/incidents.js';
import { startTimeSkippingServer } from '../helpers/temporal.js';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  ({ env, bundle } = await startTimeSkippingServer());
});

afterAll(async () => {
  await env?.teardown();
});

const resolution = { summary: 'rolled back the release', resolutionType: 'rollback' as const };

function fakes(overrides: Partial<Activities> = {}) {
  return fakeActivities(() => env.currentTimeMs(), overrides);
}

async function startP0(taskQueue: string, config = testConfig()) {
  const incidentId = `p0-${randomUUID()}`;
  const declaredAt = new Date(await env.currentTimeMs());
  const handle = await env.client.workflow.signalWithStart(p0CriticalIncident, {
    workflowId: incidentId,
    taskQueue,
    args: [incidentInput(incidentId, 'P0', config, declaredAt)],
    signal: alertReceivedSignal,
    signalArgs: [{ status: 'firing', receivedAt: declaredAt.toISOString(), alertCount: 1, firingCount: 1 }],
  });
  return { handle, declaredAt, incidentId };
}

function newWorker(taskQueue: string, activities: Activities): Promise<Worker> {
  return Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
}

describe('p0 critical incident', () => {
  it('walks the ladder and escalates breaches', async () => {
    const taskQueue = `escalation-${randomUUID()}`;
    const { activities, pages, stepsFor } = fakes();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, declaredAt, incidentId } = await startP0(taskQueue);

      await env.sleep('4m');
      const early = stepsFor(incidentId);
      await env.sleep('12m');
      const afterImmediateDeadline = await handle.query(viewQuery);
      await env.sleep('50m');
      const afterInvestigationDeadline = await handle.query(viewQuery);

      expect(early.sort()).toEqual(['business-declared:product-manager', 'escalation-0:primary-oncall']);
      const timed = pages
        .filter((page) => page.incidentId === incidentId)
        .map((page) => `${String(minutesAfter(declaredAt, page.receivedAtMs)).padStart(2, '0')} ${page.step}:${page.contactId}`)
        .sort();
      expect(timed).toEqual([
        '00 business-declared:product-manager',
        '00 escalation-0:primary-oncall',
        '05 escalation-1:secondary-oncall',
        '10 escalation-2:engineering-manager',
        '15 breach-immediate-actions:engineering-manager',
        '20 escalation-0-round-2:primary-oncall',
        '25 escalation-1-round-2:secondary-oncall',
        '30 escalation-2-round-2:engineering-manager',
        '60 breach-investigation:engineering-manager',
        '60 business-breach-investigation:vp-engineering',
      ]);

      const immediate = afterImmediateDeadline.deadlines.find((deadline) => deadline.stageId === 'immediate-actions');
      expect(minutesAfter(declaredAt, immediate?.breachedAt)).toBe(15);
      expect(immediate?.metAt).toBeUndefined();
      expect(afterImmediateDeadline.timeline.some((entry) => entry.type === 'stage-breached' && entry.flagged)).toBe(true);
      expect(afterImmediateDeadline.tasks.find((task) => task.id === 'assess-impact')?.overdue).toBe(true);

      const investigation = afterInvestigationDeadline.deadlines.find((deadline) => deadline.stageId === 'investigation');
      expect(minutesAfter(declaredAt, investigation?.breachedAt)).toBe(60);
      expect(afterInvestigationDeadline.escalation.exhausted).toBe(true);
      expect(afterInvestigationDeadline.nextEscalationAt).toBeUndefined();

      const final = await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', ...resolution }] });
      await closeFollowUp(env.client, final);
      expect(final.status).toBe('resolved');
      expect(final.resolutionType).toBe('rollback');
      expect((await handle.result()).status).toBe('resolved');
    });
  });

  it('stops paging once acknowledged', async () => {
    const taskQueue = `acknowledge-${randomUUID()}`;
    const { activities, stepsFor } = fakes();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, incidentId } = await startP0(taskQueue);
      await env.sleep('2m');

      const acknowledged = await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }] });
      for (const taskId of ['assess-impact', 'identify-affected', 'activate-team', 'update-status-page']) {
        await handle.executeUpdate(completeTaskUpdate, { args: [{ actor: 'alice', taskId }] });
      }
      await env.sleep('20m');
      const later = await handle.query(viewQuery);

      expect(acknowledged.status).toBe('acknowledged');
      expect(acknowledged.acknowledgedBy).toBe('alice');
      expect(stepsFor(incidentId).sort()).toEqual(['business-declared:product-manager', 'escalation-0:primary-oncall']);
      expect(later.nextEscalationAt).toBeUndefined();
      expect(later.deadlines[0]?.metAt).toBeDefined();
      expect(later.deadlines[0]?.breachedAt).toBeUndefined();
      expect(later.stage).toBe('investigation');
      const automated = later.tasks.filter((task) => task.kind === 'automated').map((task) => `${task.id}:${task.status}`);
      expect(automated).toEqual(['acknowledge:done', 'health-check:done', 'notify-primary:done']);

      await closeFollowUp(env.client, await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', ...resolution }] }));
      const final = await handle.result();
      expect(final.deadlines[1]?.metAt).toBeDefined();
      expect(final.resolvedBy).toBe('alice');
      expect(final.tasks.find((task) => task.id === 'review-logs')?.status).toBe('skipped');
    });
  });

  it('rejects a second acknowledgement with the status', async () => {
    const taskQueue = `double-ack-${randomUUID()}`;
    const worker = await newWorker(taskQueue, fakes().activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }] });

      const error = await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'bob' }] }).then(
        () => undefined,
        (caught: unknown) => caught,
      );

      expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
      const cause = (error as WorkflowUpdateFailedError).cause;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect((cause as ApplicationFailure).type).toBe('InvalidTransition');
      expect((cause as ApplicationFailure).details?.[0]).toMatchObject({ status: 'acknowledged', acknowledged: true });
      expect((await handle.query(viewQuery)).acknowledgedBy).toBe('alice');

      await closeFollowUp(env.client, await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', ...resolution }] }));
    });
  });

  it('flags a failed verification check on resolve', async () => {
    const taskQueue = `verification-${randomUUID()}`;
    let resolving = false;
    const { activities } = fakes({
      probeHttp: async ({ checkId }) => {
        const failing = resolving && checkId === 'api-ready';
        return {
          checkId,
          kind: 'http',
          ok: !failing,
          status: failing ? 503 : 200,
          latencyMs: 4,
          checkedAt: new Date().toISOString(),
          ...(failing ? { error: 'expected HTTP 200, received 503' } : {}),
        };
      },
    });
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);
      await env.sleep('1m');
      resolving = true;

      const final: IncidentView = await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'bob', ...resolution }] });
      await closeFollowUp(env.client, final);

      const failed = final.checks.verification.filter((check) => !check.ok).map((check) => check.checkId);
      expect(failed).toEqual(['api-ready']);
      const flagged = final.timeline.filter((entry) => entry.type === 'check-failed' && entry.flagged);
      expect(flagged.map((entry) => entry.checkId)).toEqual(['api-ready']);
      const resolved = final.timeline.at(-1);
      expect(resolved?.type).toBe('resolved');
      expect(resolved?.flagged).toBe(true);
      expect(final.status).toBe('resolved');
      expect(final.acknowledgedBy).toBe('bob');
    });
  });

  it('runs a command check by its activity', async () => {
    const taskQueue = `command-check-${randomUUID()}`;
    const executable = '/opt/barq/bin/health-check.sh';
    const config = testConfig((draft) => {
      draft.commandAllowlist = [executable];
      draft.checks.push({ id: 'health-script', kind: 'command', executable, args: [], timeout: '30s' });
    });
    const { activities, checks } = fakes({
      runCommandCheck: async ({ checkId }) => ({
        checkId,
        kind: 'command',
        ok: false,
        exitCode: 2,
        outputTail: 'redis: connection refused',
        latencyMs: 40,
        error: 'exited with code 2',
        checkedAt: new Date().toISOString(),
      }),
    });
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue, config);
      await env.sleep('1m');
      const view = await handle.query(viewQuery);

      const result = view.checks.initial.find((check) => check.checkId === 'health-script');
      expect(result).toMatchObject({ kind: 'command', ok: false, exitCode: 2, outputTail: 'redis: connection refused' });
      expect(checks.sort()).toEqual(['api-live', 'api-ready', 'redis-ping']);
      const failed = view.timeline.find((entry) => entry.type === 'check-failed' && entry.checkId === 'health-script');
      expect(failed?.message).toBe('initial check health-script failed: exited with code 2');
    });
  });

  it('records a page that cannot be delivered', async () => {
    const taskQueue = `page-failure-${randomUUID()}`;
    const { activities } = fakes({
      pageContact: async () => {
        throw ApplicationFailure.create({ type: 'DownstreamRejected', nonRetryable: true, message: 'receiver answered 404' });
      },
    });
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);
      await env.sleep('1m');

      const view = await handle.query(viewQuery);

      expect(view.paged[0]?.state).toBe('failed');
      const failure = view.timeline.find((entry) => entry.type === 'page-failed');
      expect(failure?.flagged).toBe(true);
      expect(failure?.message).toContain('receiver answered 404');
      expect(view.tasks.find((task) => task.id === 'notify-primary')?.status).toBe('open');
      await closeFollowUp(env.client, await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', ...resolution }] }));
    });
  });

  it('counts repeated alerts without paging again', async () => {
    const taskQueue = `repeats-${randomUUID()}`;
    const { activities, stepsFor } = fakes();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, incidentId } = await startP0(taskQueue);
      for (let index = 0; index < 3; index += 1) {
        await handle.signal(alertReceivedSignal, {
          status: 'firing',
          receivedAt: new Date().toISOString(),
          alertCount: 1,
          firingCount: 1,
        });
      }
      await env.sleep('1m');

      const view = await handle.query(viewQuery);

      expect(view.alertOccurrences).toBe(4);
      expect(stepsFor(incidentId).sort()).toEqual(['business-declared:product-manager', 'escalation-0:primary-oncall']);
      expect(view.timeline.filter((entry) => entry.type === 'alert')).toHaveLength(1);
      await closeFollowUp(env.client, await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', ...resolution }] }));
    });
  });
});
