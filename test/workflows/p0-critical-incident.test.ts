import { randomUUID } from 'node:crypto';

import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Activities } from '../../src/activities/index.js';
import type { CheckResult, IncidentView, PageRequest } from '../../src/shared/incident.js';
import { acknowledgeUpdate, alertReceivedSignal, resolveUpdate, viewQuery } from '../../src/workflows/incident-messages.js';
import { p0CriticalIncident } from '../../src/workflows/index.js';
import { incidentInput, testConfig } from '../helpers/config.js';
import { startTimeSkippingServer } from '../helpers/temporal.js';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  ({ env, bundle } = await startTimeSkippingServer());
});

afterAll(async () => {
  await env?.teardown();
});

/** Typed fakes that record what the workflow asked for. */
function fakeActivities(overrides: Partial<Activities> = {}) {
  const pages: PageRequest[] = [];
  const checks: string[] = [];
  const result = (checkId: string, kind: CheckResult['kind']): CheckResult => ({
    checkId,
    kind,
    ok: true,
    status: kind === 'http' ? 200 : undefined,
    latencyMs: 3,
    checkedAt: new Date().toISOString(),
  });
  const activities: Activities = {
    probeHttp: async ({ checkId }) => {
      checks.push(checkId);
      return result(checkId, 'http');
    },
    pingRedis: async ({ checkId }) => {
      checks.push(checkId);
      return result(checkId, 'redis');
    },
    pageContact: async (request) => {
      pages.push(request);
      return { contactId: request.contactId, idempotencyKey: 'key', httpStatus: 201, duplicate: false };
    },
    ...overrides,
  };
  return { activities, pages, checks };
}

async function startP0(taskQueue: string) {
  const incidentId = `p0-${randomUUID()}`;
  const declaredAt = new Date(await env.currentTimeMs());
  const handle = await env.client.workflow.signalWithStart(p0CriticalIncident, {
    workflowId: incidentId,
    taskQueue,
    args: [incidentInput(incidentId, 'P0', testConfig(), declaredAt)],
    signal: alertReceivedSignal,
    signalArgs: [{ status: 'firing', receivedAt: declaredAt.toISOString(), alertCount: 1, firingCount: 1 }],
  });
  return { handle, declaredAt };
}

function minutesAfter(start: Date, iso: string | undefined): number {
  if (iso === undefined) throw new Error('expected a timestamp, received undefined');
  return (Date.parse(iso) - start.getTime()) / 60_000;
}

function newWorker(taskQueue: string, activities: Activities): Promise<Worker> {
  return Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
}

describe('p0 critical incident', () => {
  it('escalates and records breaches without acknowledgement', async () => {
    const taskQueue = `escalation-${randomUUID()}`;
    const { activities, pages } = fakeActivities();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, declaredAt } = await startP0(taskQueue);

      await env.sleep('4m');
      const early = await handle.query(viewQuery);
      await env.sleep('2m');
      const afterFirstTimeout = await handle.query(viewQuery);
      await env.sleep('10m');
      const afterImmediateDeadline = await handle.query(viewQuery);
      await env.sleep('45m');
      const afterInvestigationDeadline = await handle.query(viewQuery);

      expect(early.paged.map((page) => page.contactId)).toEqual(['primary-oncall']);
      expect(afterFirstTimeout.paged.map((page) => page.contactId)).toEqual(['primary-oncall', 'secondary-oncall']);
      expect(minutesAfter(declaredAt, afterFirstTimeout.paged[1]?.requestedAt)).toBeCloseTo(5, 1);

      const escalationSteps = afterImmediateDeadline.paged.map((page) => `${page.step}:${page.contactId}`);
      expect(escalationSteps).toEqual([
        'escalation-0:primary-oncall',
        'escalation-1:secondary-oncall',
        'escalation-2:engineering-manager',
        'breach-immediate-actions:engineering-manager',
      ]);
      expect(minutesAfter(declaredAt, afterImmediateDeadline.paged[2]?.requestedAt)).toBeCloseTo(10, 1);

      const immediate = afterImmediateDeadline.deadlines.find((deadline) => deadline.stageId === 'immediate-actions');
      expect(minutesAfter(declaredAt, immediate?.breachedAt)).toBeCloseTo(15, 1);
      expect(immediate?.metAt).toBeUndefined();
      expect(afterImmediateDeadline.timeline.some((entry) => entry.type === 'stage-breached' && entry.flagged)).toBe(true);

      const investigation = afterInvestigationDeadline.deadlines.find((deadline) => deadline.stageId === 'investigation');
      expect(minutesAfter(declaredAt, investigation?.breachedAt)).toBeCloseTo(60, 1);
      expect(pages.filter((page) => page.step === 'breach-investigation')).toHaveLength(1);

      const final = await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', summary: 'rolled back' }] });
      expect(final.status).toBe('resolved');
      expect((await handle.result()).status).toBe('resolved');
    });
  });

  it('stops escalating once acknowledged', async () => {
    const taskQueue = `acknowledge-${randomUUID()}`;
    const { activities, pages } = fakeActivities();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);
      await env.sleep('2m');

      const acknowledged = await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }] });
      await env.sleep('20m');
      const later = await handle.query(viewQuery);

      expect(acknowledged.status).toBe('acknowledged');
      expect(acknowledged.acknowledgedBy).toBe('alice');
      expect(later.paged.map((page) => page.contactId)).toEqual(['primary-oncall']);
      expect(later.nextEscalationAt).toBeUndefined();
      expect(later.deadlines[0]?.metAt).toBeDefined();
      expect(later.deadlines[0]?.breachedAt).toBeUndefined();
      expect(later.stage).toBe('investigation');
      expect(pages).toHaveLength(1);

      await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice' }] });
      const final = await handle.result();
      expect(final.deadlines[1]?.metAt).toBeDefined();
      expect(final.resolvedBy).toBe('alice');
    });
  });

  it('rejects a second acknowledgement with the status', async () => {
    const taskQueue = `double-ack-${randomUUID()}`;
    const worker = await newWorker(taskQueue, fakeActivities().activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }] });

      const second = handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'bob' }] });

      const error = await second.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
      const cause = (error as WorkflowUpdateFailedError).cause;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect((cause as ApplicationFailure).type).toBe('InvalidTransition');
      expect((cause as ApplicationFailure).details?.[0]).toMatchObject({ status: 'acknowledged' });
      expect((await handle.query(viewQuery)).acknowledgedBy).toBe('alice');

      await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice' }] });
    });
  });

  it('flags a failed verification check on resolve', async () => {
    const taskQueue = `verification-${randomUUID()}`;
    let resolving = false;
    const { activities } = fakeActivities({
      probeHttp: async ({ checkId }) => ({
        checkId,
        kind: 'http',
        ok: !(resolving && checkId === 'api-ready'),
        status: resolving && checkId === 'api-ready' ? 503 : 200,
        latencyMs: 4,
        checkedAt: new Date().toISOString(),
        ...(resolving && checkId === 'api-ready' ? { error: 'expected HTTP 200, received 503' } : {}),
      }),
    });
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);
      await env.sleep('1m');
      resolving = true;

      const final: IncidentView = await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'bob' }] });

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

  it('records a page that cannot be delivered', async () => {
    const taskQueue = `page-failure-${randomUUID()}`;
    const { activities } = fakeActivities({
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
      await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice' }] });
    });
  });

  it('counts repeated alerts without paging again', async () => {
    const taskQueue = `repeats-${randomUUID()}`;
    const { activities, pages } = fakeActivities();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);
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
      expect(pages).toHaveLength(1);
      expect(view.timeline.filter((entry) => entry.type === 'alert')).toHaveLength(1);
      await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice' }] });
    });
  });
});
