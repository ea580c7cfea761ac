import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';

import type { Activities } from '../../src/activities/index.js';
import { followUpViewQuery } from '../../src/workflows/post-incident-follow-up.js';
import type { ChatPostRequest } from '../../src/activities/chat.js';
import type { StatusUpdateRequest } from '../../src/activities/status-page.js';
import type { CheckResult, PageRequest } from '../../src/shared/incident.js';
import type { RemindMaintenanceRequest } from '../../src/shared/maintenance.js';

/** A page as a fake receiver saw it, with the workflow-clock time it arrived. */
export interface RecordedPage extends PageRequest {
  receivedAtMs: number;
}

/** Creates an activity that fails at once, as one whose system is not configured does. */
export function notFaked(name: string): () => Promise<never> {
  return async () => {
    throw ApplicationFailure.create({ type: 'ConfigurationMissing', nonRetryable: true, message: `no fake for ${name} in this test` });
  };
}

/**
 * Typed fakes for every activity that record what the workflows asked for.
 * `now` returns the test server's clock, so tests can check when a page went out.
 */
export function fakeActivities(now: () => Promise<number>, overrides: Partial<Activities> = {}) {
  const pages: RecordedPage[] = [];
  const statusUpdates: StatusUpdateRequest[] = [];
  const checks: string[] = [];
  /** Chat posts as `room:step`, and `open:<incident>` for each incident channel. */
  const chats: string[] = [];
  const chatRequests: ChatPostRequest[] = [];
  const reminders: RemindMaintenanceRequest[] = [];
  const passed = (checkId: string, kind: CheckResult['kind']): CheckResult => ({
    checkId,
    kind,
    ok: true,
    ...(kind === 'http' ? { status: 200 } : {}),
    latencyMs: 3,
    checkedAt: new Date().toISOString(),
  });

  const activities: Activities = {
    probeHttp: async ({ checkId }) => {
      checks.push(checkId);
      return passed(checkId, 'http');
    },
    pingRedis: async ({ checkId }) => {
      checks.push(checkId);
      return passed(checkId, 'redis');
    },
    runCommandCheck: async ({ checkId }) => {
      checks.push(checkId);
      return { ...passed(checkId, 'command'), exitCode: 0, outputTail: '' };
    },
    pageContact: async (request) => {
      pages.push({ ...request, receivedAtMs: await now() });
      return { contactId: request.contactId, idempotencyKey: `${request.runId}/${request.step}`, httpStatus: 201, duplicate: false };
    },
    publishStatusUpdate: async (request) => {
      statusUpdates.push(request);
      return { httpStatus: 201 };
    },
    // The runbook's investigation and recovery activities fail as an
    // unconfigured system does, without retries; a test that needs one
    // passes its own fake in `overrides`.
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
    // Delivery goes through the fake pageContact, so a test that overrides
    // pageContact controls both paging paths.
    deliverPage: async (request) => {
      const result = await activities.pageContact(request);
      return { ...result, channel: 'webhook', channelIndex: request.channelIndex ?? 0, channelCount: 1 };
    },
    mirrorToPagerDuty: notFaked('mirrorToPagerDuty'),
    postChatMessage: async (request) => {
      chats.push(`${request.room}:${request.step}`);
      chatRequests.push(request);
      return { posted: true, destination: request.room };
    },
    openIncidentChannel: async (request) => {
      chats.push(`open:${request.incidentId}`);
      return { opened: true, channelId: `#inc-${request.incidentId}`, name: `inc-${request.incidentId}`, invited: 0 };
    },
    remindMaintenanceAuthor: async (request) => {
      reminders.push(request);
      return { posted: true, destination: 'incident-response' };
    },
    ...overrides,
  };

  /** Pages of one incident as `step:contact`, in the order they arrived. */
  const stepsFor = (incidentId: string) =>
    pages.filter((page) => page.incidentId === incidentId).map((page) => `${page.step}:${page.contactId}`);

  return { activities, pages, statusUpdates, checks, chats, chatRequests, reminders, stepsFor };
}

/**
 * Terminates the follow-up workflow a resolved incident started, once its
 * start-up notifications are done. The follow-up runs on the test's task
 * queue, whose worker stops with the test. Terminated with an activity in
 * flight, it keeps the time-skipping server from skipping time, and later
 * sleeps then take real time.
 */
export async function closeFollowUp(
  client: Client,
  view: { followUpId?: string; publicUpdates?: unknown[] },
  stakeholders = 2,
): Promise<void> {
  if (view.followUpId === undefined) return;
  const handle = client.workflow.getHandle(view.followUpId);
  // An incident that published its own updates also published its
  // resolution, and its follow-up publishes nothing.
  const followUpPublishes = (view.publicUpdates?.length ?? 0) === 0;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { timeline } = await handle.query(followUpViewQuery);
    const pages = timeline.filter((entry) => entry.type === 'page-sent' || entry.type === 'page-failed').length;
    const statusDone = !followUpPublishes || timeline.some((entry) => entry.message.startsWith('status page update'));
    if ((pages >= stakeholders && statusDone) || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await handle.terminate('test finished');
}
