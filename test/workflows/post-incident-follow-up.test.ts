import { randomUUID } from 'node:crypto';

import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Activities } from '../../src/activities/index.js';
import type { StatusUpdateRequest } from '../../src/activities/status-page.js';
import { followUpIdFor, type FollowUpInput, type FollowUpView } from '../../src/shared/follow-up.js';
import type { FollowUpPolicy, PageRequest } from '../../src/shared/incident.js';
import { postIncidentFollowUp } from '../../src/workflows/index.js';
import {
  addActionItemsUpdate,
  followUpViewQuery,
  submitPostMortemUpdate,
  submitReportUpdate,
} from '../../src/workflows/post-incident-follow-up.js';
import { notFaked } from '../helpers/fake-activities.js';
import { startTimeSkippingServer } from '../helpers/temporal.js';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  ({ env, bundle } = await startTimeSkippingServer());
});

afterAll(async () => {
  await env?.teardown();
});

const HOUR_MS = 3_600_000;

/** The P0 follow-up settings of config/barq.yaml, written out so that each test states the times it checks. */
const P0_FOLLOW_UP: FollowUpPolicy = {
  reportDue: '24h',
  postMortemDue: '72h',
  reminderBefore: '4h',
  closeAfter: '14d',
  stakeholders: ['engineering-manager', 'product-manager'],
  escalateTo: ['engineering-manager'],
  postMortemRequired: true,
};

const OWNER = 'primary-oncall';

type FollowUpHandle = WorkflowHandle<typeof postIncidentFollowUp>;

/** A page as the fake received it, with the test server's clock at that moment. */
type RecordedPage = PageRequest & { atMs: number };

/** Creates typed fakes that record each request. The check activities throw, because the follow-up runs no checks. */
function fakeActivities(overrides: Partial<Activities> = {}) {
  const pages: RecordedPage[] = [];
  const statusUpdates: StatusUpdateRequest[] = [];
  const activities: Activities = {
    probeHttp: async () => {
      throw new Error('the follow-up must not run HTTP checks');
    },
    pingRedis: async () => {
      throw new Error('the follow-up must not run Redis checks');
    },
    runCommandCheck: async () => {
      throw new Error('the follow-up must not run command checks');
    },
    pageContact: async (request) => {
      pages.push({ ...request, atMs: await env.currentTimeMs() });
      return { contactId: request.contactId, idempotencyKey: 'key', httpStatus: 201, duplicate: false };
    },
    publishStatusUpdate: async (request) => {
      statusUpdates.push(request);
      return { httpStatus: 202 };
    },
    // The follow-up runs none of the runbook's investigation or recovery steps.
    inspectRedis: notFaked('inspectRedis'),
    flushRedisAndWarmUp: notFaked('flushRedisAndWarmUp'),
    flowableEngineStatus: notFaked('flowableEngineStatus'),
    flowableDeployments: notFaked('flowableDeployments'),
    checkDatabase: notFaked('checkDatabase'),
    summarizeConnections: notFaked('summarizeConnections'),
    resetDatabaseSessions: notFaked('resetDatabaseSessions'),
    restoreDatabase: notFaked('restoreDatabase'),
    deploymentLogs: notFaked('deploymentLogs'),
    deploymentResourceUsage: notFaked('deploymentResourceUsage'),
    recentRollouts: notFaked('recentRollouts'),
    restartDeployment: notFaked('restartDeployment'),
    scaleDeployment: notFaked('scaleDeployment'),
    waitForRollout: notFaked('waitForRollout'),
    deliverPage: notFaked('deliverPage'),
    mirrorToPagerDuty: notFaked('mirrorToPagerDuty'),
    postChatMessage: notFaked('postChatMessage'),
    openIncidentChannel: notFaked('openIncidentChannel'),
    remindMaintenanceAuthor: notFaked('remindMaintenanceAuthor'),
    ...overrides,
  };
  return { activities, pages, statusUpdates };
}

function followUpInput(incidentId: string, resolvedAtMs: number, policy: Partial<FollowUpPolicy>): FollowUpInput {
  const incidentRunId = randomUUID();
  const declaredAt = new Date(resolvedAtMs - 47 * 60_000).toISOString();
  return {
    followUpId: followUpIdFor(incidentId, incidentRunId),
    incidentId,
    incidentRunId,
    severity: 'P0',
    service: 'barq-api',
    summary: 'barq-api is not answering health checks',
    declaredAt,
    resolvedAt: new Date(resolvedAtMs).toISOString(),
    resolution: { by: 'alice', summary: 'rolled back release 2024.6.1', type: 'rollback' },
    ownerContactId: OWNER,
    timeline: [
      { at: declaredAt, type: 'declared', message: 'P0 incident declared for barq-api', actor: 'system' },
      { at: new Date(resolvedAtMs).toISOString(), type: 'resolved', message: 'resolved', actor: 'alice' },
    ],
    policy: { ...P0_FOLLOW_UP, ...policy },
  };
}

async function startFollowUp(taskQueue: string, policy: Partial<FollowUpPolicy> = {}) {
  const resolvedAtMs = await env.currentTimeMs();
  const input = followUpInput(`incident-${randomUUID()}`, resolvedAtMs, policy);
  const handle = await env.client.workflow.start(postIncidentFollowUp, {
    workflowId: input.followUpId,
    taskQueue,
    args: [input],
  });
  return { handle, input, resolvedAtMs };
}

function newWorker(taskQueue: string, activities: Activities): Promise<Worker> {
  return Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
}

function hoursAfter(startMs: number, at: number | string | undefined): number {
  if (at === undefined) throw new Error('expected a time, received undefined');
  const atMs = typeof at === 'number' ? at : Date.parse(at);
  return (atMs - startMs) / HOUR_MS;
}

function pagesForStep(pages: RecordedPage[], step: string): RecordedPage[] {
  return pages.filter((page) => page.step === step);
}

async function submitReport(handle: FollowUpHandle, actor = 'alice'): Promise<FollowUpView> {
  return handle.executeUpdate(submitReportUpdate, { args: [{ actor, report: '# Incident report\n\nRoot cause: a bad release.' }] });
}

async function submitPostMortem(handle: FollowUpHandle, actor = 'alice'): Promise<FollowUpView> {
  return handle.executeUpdate(submitPostMortemUpdate, { args: [{ actor, link: 'https://docs.example.com/post-mortems/42' }] });
}

/** Returns the ApplicationFailure that rejected an update, after checking the cause chain. */
async function updateFailure(update: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await update.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (error as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

describe('post-incident follow-up', () => {
  it('notifies stakeholders and publishes status at start', async () => {
    const taskQueue = `start-${randomUUID()}`;
    const { activities, pages, statusUpdates } = fakeActivities();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, input } = await startFollowUp(taskQueue);

      await env.sleep('1m');
      const view = await handle.query(followUpViewQuery);

      const stakeholderPages = pagesForStep(pages, 'follow-up-stakeholder');
      expect(stakeholderPages.map((page) => page.contactId).sort()).toEqual(['engineering-manager', 'product-manager']);
      expect(stakeholderPages[0]?.reason).toBe('P0 incident resolved: barq-api is not answering health checks');
      expect(stakeholderPages[0]?.incidentId).toBe(input.incidentId);
      expect(stakeholderPages[0]?.runId).toBe(handle.firstExecutionRunId);
      expect(stakeholderPages[0]?.runId).not.toBe(input.incidentRunId);
      expect(pages).toHaveLength(2);

      expect(statusUpdates).toHaveLength(1);
      expect(statusUpdates[0]).toMatchObject({
        incidentId: input.incidentId,
        runId: handle.firstExecutionRunId,
        step: 'follow-up-resolved',
        status: 'resolved',
        message: 'barq-api is operating normally. The incident is resolved.',
      });

      expect(view.status).toBe('open');
      expect(view.id).toBe(input.followUpId);
      expect(view.timeline[0]?.type).toBe('follow-up-started');
      expect(view.timeline.filter((entry) => entry.type === 'page-sent')).toHaveLength(2);
      expect(view.timeline.some((entry) => entry.flagged === true)).toBe(false);
      expect(view.draftReport).toContain('# P0 incident: barq-api is not answering health checks');
      expect(view.draftReport).toContain('- **Duration:** 47m');
      expect(view.draftReport).toContain('- **Type:** rollback');
      expect(view.draftReport).toContain('declared: P0 incident declared for barq-api (system)');
      expect(view.draftReport).toContain('## Root cause\n\n## Impact\n\n## Action items\n');

      await submitReport(handle);
      await submitPostMortem(handle);
      expect((await handle.result()).status).toBe('complete');
    });
  });

  it('report reminder at 20h, escalation at 24h', async () => {
    const taskQueue = `report-escalation-${randomUUID()}`;
    const { activities, pages } = fakeActivities();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, resolvedAtMs } = await startFollowUp(taskQueue);

      await env.sleep('19h');
      const before = await handle.query(followUpViewQuery);
      const remindersBefore = pagesForStep(pages, 'report-reminder').length;
      await env.sleep('6h');
      const after = await handle.query(followUpViewQuery);

      expect(remindersBefore).toBe(0);
      expect(before.deadlines.report.remindedAt).toBeUndefined();
      expect(hoursAfter(resolvedAtMs, before.deadlines.report.dueAt)).toBeCloseTo(24, 3);

      const reminders = pagesForStep(pages, 'report-reminder');
      expect(reminders.map((page) => page.contactId)).toEqual([OWNER]);
      expect(hoursAfter(resolvedAtMs, reminders[0]?.atMs)).toBeCloseTo(20, 1);
      expect(hoursAfter(resolvedAtMs, after.deadlines.report.remindedAt)).toBeCloseTo(20, 1);

      const escalations = pagesForStep(pages, 'report-escalation');
      expect(escalations.map((page) => page.contactId)).toEqual(['engineering-manager']);
      expect(hoursAfter(resolvedAtMs, escalations[0]?.atMs)).toBeCloseTo(24, 1);
      expect(hoursAfter(resolvedAtMs, after.deadlines.report.escalatedAt)).toBeCloseTo(24, 1);

      const missed = after.timeline.find((entry) => entry.type === 'follow-up-deadline-missed' && entry.stageId === 'report');
      expect(missed?.flagged).toBe(true);
      expect(after.status).toBe('open');

      const late = await submitReport(handle);
      expect(late.deadlines.report.metAt).toBeUndefined();
      await submitPostMortem(handle);
      expect((await handle.result()).status).toBe('complete');
    });
  });

  it('no report reminder after report at 2h', async () => {
    const taskQueue = `report-on-time-${randomUUID()}`;
    const { activities, pages } = fakeActivities();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, resolvedAtMs } = await startFollowUp(taskQueue);

      await env.sleep('2h');
      const submitted = await submitReport(handle);
      await env.sleep('23h');
      const view = await handle.query(followUpViewQuery);

      expect(submitted.report?.by).toBe('alice');
      expect(hoursAfter(resolvedAtMs, view.deadlines.report.metAt)).toBeCloseTo(2, 1);
      expect(view.deadlines.report.remindedAt).toBeUndefined();
      expect(view.deadlines.report.escalatedAt).toBeUndefined();
      expect(pagesForStep(pages, 'report-reminder')).toEqual([]);
      expect(pagesForStep(pages, 'report-escalation')).toEqual([]);
      expect(view.timeline.some((entry) => entry.type === 'follow-up-deadline-missed')).toBe(false);
      expect(view.status).toBe('open');

      await submitPostMortem(handle);
      expect((await handle.result()).status).toBe('complete');
    });
  });

  it('post-mortem reminder at 68h, escalation at 72h', async () => {
    const taskQueue = `post-mortem-escalation-${randomUUID()}`;
    const { activities, pages } = fakeActivities();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, resolvedAtMs } = await startFollowUp(taskQueue);

      await env.sleep('1h');
      await submitReport(handle);
      await env.sleep('72h');
      const view = await handle.query(followUpViewQuery);

      const reminders = pagesForStep(pages, 'post-mortem-reminder');
      expect(reminders.map((page) => page.contactId)).toEqual([OWNER]);
      expect(hoursAfter(resolvedAtMs, reminders[0]?.atMs)).toBeCloseTo(68, 1);

      const escalations = pagesForStep(pages, 'post-mortem-escalation');
      expect(escalations.map((page) => page.contactId)).toEqual(['engineering-manager']);
      expect(hoursAfter(resolvedAtMs, escalations[0]?.atMs)).toBeCloseTo(72, 1);
      expect(hoursAfter(resolvedAtMs, view.deadlines.postMortem.escalatedAt)).toBeCloseTo(72, 1);

      const missed = view.timeline.find((entry) => entry.type === 'follow-up-deadline-missed' && entry.stageId === 'post-mortem');
      expect(missed?.flagged).toBe(true);
      expect(pagesForStep(pages, 'report-reminder')).toEqual([]);
      expect(view.status).toBe('open');

      const completed = await submitPostMortem(handle);
      expect(completed.status).toBe('complete');
      expect((await handle.result()).deadlines.postMortem.metAt).toBeUndefined();
    });
  });

  it('no post-mortem reminder when optional', async () => {
    const taskQueue = `post-mortem-optional-${randomUUID()}`;
    const { activities, pages } = fakeActivities();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle } = await startFollowUp(taskQueue, { postMortemRequired: false });

      await env.sleep('80h');
      const view = await handle.query(followUpViewQuery);

      expect(view.deadlines.postMortem.required).toBe(false);
      expect(view.deadlines.postMortem.remindedAt).toBeUndefined();
      expect(view.deadlines.postMortem.escalatedAt).toBeUndefined();
      expect(pagesForStep(pages, 'post-mortem-reminder')).toEqual([]);
      expect(pagesForStep(pages, 'post-mortem-escalation')).toEqual([]);
      expect(pagesForStep(pages, 'report-escalation')).toHaveLength(1);

      await submitReport(handle);
      expect((await handle.result()).status).toBe('complete');
    });
  });

  it('completes on report when post-mortem optional', async () => {
    const taskQueue = `report-only-${randomUUID()}`;
    const { activities } = fakeActivities();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, resolvedAtMs } = await startFollowUp(taskQueue, { postMortemRequired: false });

      await env.sleep('1h');
      const submitted = await submitReport(handle);
      const result = await handle.result();

      expect(submitted.status).toBe('complete');
      expect(result.status).toBe('complete');
      expect(result.postMortem).toBeUndefined();
      const last = result.timeline.at(-1);
      expect(last?.message).toBe('follow-up complete: every required document is in');
      expect(hoursAfter(resolvedAtMs, last?.at)).toBeCloseTo(1, 1);
    });
  });

  it('completes with report, post-mortem and action items', async () => {
    const taskQueue = `complete-${randomUUID()}`;
    const { activities } = fakeActivities();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle } = await startFollowUp(taskQueue);

      await env.sleep('3h');
      await handle.executeUpdate(addActionItemsUpdate, {
        args: [
          {
            actor: 'bob',
            items: [
              { title: 'Add a canary stage to the release pipeline', owner: 'bob', dueDate: '2030-01-31' },
              { title: 'Alert on health-check latency', owner: 'carol' },
            ],
          },
        ],
      });
      const afterReport = await submitReport(handle);
      const afterPostMortem = await submitPostMortem(handle, 'carol');
      const result = await handle.result();

      expect(afterReport.status).toBe('open');
      expect(afterPostMortem.status).toBe('complete');
      expect(result.status).toBe('complete');
      expect(result.report?.by).toBe('alice');
      expect(result.postMortem).toMatchObject({ link: 'https://docs.example.com/post-mortems/42', by: 'carol' });
      expect(result.actionItems.map((item) => item.title)).toEqual([
        'Add a canary stage to the release pipeline',
        'Alert on health-check latency',
      ]);
      expect(result.actionItems[0]).toMatchObject({ owner: 'bob', dueDate: '2030-01-31', addedBy: 'bob' });
      expect(result.actionItems[1]?.dueDate).toBeUndefined();
      expect(result.deadlines.report.metAt).toBe(result.report?.at);
      expect(result.deadlines.postMortem.metAt).toBe(result.postMortem?.at);
      expect(result.timeline.some((entry) => entry.flagged === true)).toBe(false);
    });
  });

  it('closes incomplete after 14 days', async () => {
    const taskQueue = `closed-incomplete-${randomUUID()}`;
    const { activities, pages } = fakeActivities();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, resolvedAtMs } = await startFollowUp(taskQueue);

      const result = await handle.result();

      expect(result.status).toBe('closed-incomplete');
      expect(result.report).toBeUndefined();
      const last = result.timeline.at(-1);
      expect(last?.flagged).toBe(true);
      expect(last?.message).toBe('follow-up closed incomplete after 14d: incident report and post-mortem missing');
      expect(hoursAfter(resolvedAtMs, last?.at)).toBeCloseTo(14 * 24, 1);
      expect(pagesForStep(pages, 'report-escalation')).toHaveLength(1);
      expect(pagesForStep(pages, 'post-mortem-escalation')).toHaveLength(1);
    });
  });

  it('rejects a second report with the status', async () => {
    const taskQueue = `second-report-${randomUUID()}`;
    const worker = await newWorker(taskQueue, fakeActivities().activities);

    await worker.runUntil(async () => {
      const { handle } = await startFollowUp(taskQueue);
      await submitReport(handle, 'alice');

      const failure = await updateFailure(submitReport(handle, 'bob'));

      expect(failure.type).toBe('InvalidTransition');
      expect(failure.details?.[0]).toEqual({ status: 'open' });
      expect((await handle.query(followUpViewQuery)).report?.by).toBe('alice');

      await submitPostMortem(handle);
    });
  });

  it('rejects invalid requests', async () => {
    const taskQueue = `invalid-requests-${randomUUID()}`;
    const worker = await newWorker(taskQueue, fakeActivities().activities);
    const fiftyItems = Array.from({ length: 50 }, (_, index) => ({ title: `item ${index}`, owner: 'bob' }));

    await worker.runUntil(async () => {
      const { handle } = await startFollowUp(taskQueue);
      const cases: Array<{ name: string; update: () => Promise<FollowUpView>; field: string }> = [
        {
          name: 'ftp link',
          field: 'link',
          update: () => handle.executeUpdate(submitPostMortemUpdate, { args: [{ actor: 'alice', link: 'ftp://docs.example.com/pm' }] }),
        },
        {
          name: 'empty actor',
          field: 'actor',
          update: () => handle.executeUpdate(submitReportUpdate, { args: [{ actor: '', report: 'text' }] }),
        },
        {
          name: 'blank report',
          field: 'report',
          update: () => handle.executeUpdate(submitReportUpdate, { args: [{ actor: 'alice', report: '  \n' }] }),
        },
        {
          name: 'report over 20,000 characters',
          field: 'report',
          update: () => handle.executeUpdate(submitReportUpdate, { args: [{ actor: 'alice', report: 'x'.repeat(20_001) }] }),
        },
        {
          name: 'empty items',
          field: 'items',
          update: () => handle.executeUpdate(addActionItemsUpdate, { args: [{ actor: 'alice', items: [] }] }),
        },
        {
          name: 'empty item title',
          field: 'items[1].title',
          update: () =>
            handle.executeUpdate(addActionItemsUpdate, {
              args: [{ actor: 'alice', items: [{ title: 'ok', owner: 'bob' }, { title: '', owner: 'bob' }] }],
            }),
        },
        {
          name: 'invalid item due date',
          field: 'items[0].dueDate',
          update: () =>
            handle.executeUpdate(addActionItemsUpdate, {
              args: [{ actor: 'alice', items: [{ title: 'ok', owner: 'bob', dueDate: 'next week' }] }],
            }),
        },
        {
          name: '51 items',
          field: 'items',
          update: () =>
            handle.executeUpdate(addActionItemsUpdate, {
              args: [{ actor: 'alice', items: [...fiftyItems, { title: 'one too many', owner: 'bob' }] }],
            }),
        },
      ];

      for (const { name, update, field } of cases) {
        const failure = await updateFailure(update());
        expect(failure.type, name).toBe('InvalidRequest');
        expect(failure.details?.[0], name).toEqual({ field });
      }

      const accepted = await handle.executeUpdate(addActionItemsUpdate, { args: [{ actor: 'alice', items: fiftyItems }] });
      const overLimit = await updateFailure(
        handle.executeUpdate(addActionItemsUpdate, { args: [{ actor: 'alice', items: [{ title: 'one more', owner: 'bob' }] }] }),
      );
      expect(accepted.actionItems).toHaveLength(50);
      expect(overLimit.type).toBe('InvalidRequest');
      expect(overLimit.message).toContain('expected at most 50');

      const view = await handle.query(followUpViewQuery);
      expect(view.report).toBeUndefined();
      expect(view.postMortem).toBeUndefined();
      expect(view.actionItems).toHaveLength(50);

      await submitReport(handle);
      await submitPostMortem(handle);
    });
  });

  it('flags a failed page and status update', async () => {
    const taskQueue = `notification-failure-${randomUUID()}`;
    const { activities } = fakeActivities({
      pageContact: async () => {
        throw ApplicationFailure.create({ type: 'DownstreamRejected', nonRetryable: true, message: 'receiver answered 404' });
      },
      publishStatusUpdate: async () => {
        throw ApplicationFailure.create({ type: 'DownstreamRejected', nonRetryable: true, message: 'status page answered 400' });
      },
    });
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle } = await startFollowUp(taskQueue);

      await env.sleep('1m');
      const view = await handle.query(followUpViewQuery);

      const failedPages = view.timeline.filter((entry) => entry.type === 'page-failed');
      expect(failedPages.map((entry) => entry.contactId).sort()).toEqual(['engineering-manager', 'product-manager']);
      expect(failedPages.every((entry) => entry.flagged === true)).toBe(true);
      expect(failedPages[0]?.message).toContain('receiver answered 404');

      const statusFailure = view.timeline.find((entry) => entry.message.startsWith('status page update failed'));
      expect(statusFailure?.flagged).toBe(true);
      expect(statusFailure?.message).toContain('status page answered 400');
      expect(view.status).toBe('open');

      await submitReport(handle);
      await submitPostMortem(handle);
      expect((await handle.result()).status).toBe('complete');
    });
  });
});
