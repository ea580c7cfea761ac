import { randomUUID } from 'node:crypto';

import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { acknowledgeUpdate, resolveUpdate } from '../../src/workflows/incident-messages.js';
import { closeFollowUp, fakeActivities } from '../helpers/fake-activities.js';
import { declareIncident, terminateLeftovers } from '../helpers/incidents.js';
import { startTimeSkippingServer } from '../helpers/temporal.js';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  ({ env, bundle } = await startTimeSkippingServer());
});

afterAll(async () => {
  await env?.teardown();
});

const startedIds: string[] = [];

afterEach(async () => {
  await terminateLeftovers(env.client, startedIds.splice(0));
});

describe('incident chat', () => {
  it('announces a p0 in every room and follows its status', async () => {
    const taskQueue = `chat-p0-${randomUUID()}`;
    const fakes = fakeActivities(() => env.currentTimeMs());
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: fakes.activities });

    await worker.runUntil(async () => {
      const { handle, incidentId } = await declareIncident(env, taskQueue, 'P0');
      startedIds.push(incidentId);
      await env.sleep('1m');
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }] });
      const final = await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', summary: 'fixed', resolutionType: 'hotfix' }] });
      await closeFollowUp(env.client, final);

      expect(fakes.chats).toEqual([
        'incident-response:chat-declared',
        'engineering:chat-engineering',
        `open:${incidentId}`,
        'status-updates:chat-status-1',
        'incident-response:chat-status-1',
        'incident-channel:chat-channel-status-1',
        'status-updates:chat-status-2',
        'incident-response:chat-status-2',
        'incident-channel:chat-channel-status-2',
      ]);
      const posted = fakes.chatRequests.filter((request) => request.room === 'incident-response').map((request) => request.reason);
      expect(posted).toEqual(['P0 incident declared', 'incident acknowledged by alice', 'incident resolved by alice (hotfix): fixed']);
      expect(final.timeline.find((entry) => entry.type === 'chat-message')?.message).toBe(
        `incident channel inc-${incidentId} opened, 0 responders invited`,
      );
    });
  });

  it('posts a p2 only to #incident-response', async () => {
    const taskQueue = `chat-p2-${randomUUID()}`;
    const fakes = fakeActivities(() => env.currentTimeMs());
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: fakes.activities });

    await worker.runUntil(async () => {
      const { handle, incidentId } = await declareIncident(env, taskQueue, 'P2');
      startedIds.push(incidentId);
      await env.sleep('1m');
      const final = await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', summary: 'fixed', resolutionType: 'hotfix' }] });
      await closeFollowUp(env.client, final);

      expect(fakes.chats.filter((post) => !post.startsWith('status-updates'))).toEqual([
        'incident-response:chat-declared',
        'incident-response:chat-status-1',
      ]);
    });
  });
});
