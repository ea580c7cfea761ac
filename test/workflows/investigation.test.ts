import { randomUUID } from 'node:crypto';

import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { DeploymentLogsRequest, RecentRolloutsRequest } from '../../src/activities/kubernetes.js';
import type { IncidentView } from '../../src/shared/incident.js';
import { resolveUpdate, viewQuery } from '../../src/workflows/incident-messages.js';
import { closeFollowUp, fakeActivities } from '../helpers/fake-activities.js';
import { declareIncident, terminateLeftovers } from '../helpers/incidents.js';
import { eventually, startTimeSkippingServer } from '../helpers/temporal.js';

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

describe('investigation tasks', () => {
  it('completes the tasks whose actions succeed and flags the others', async () => {
    const taskQueue = `investigation-${randomUUID()}`;
    const logRequests: DeploymentLogsRequest[] = [];
    const rolloutRequests: RecentRolloutsRequest[] = [];
    const { activities } = fakeActivities(() => env.currentTimeMs(), {
      deploymentLogs: async (request) => {
        logRequests.push(request);
        return {
          namespace: 'barq',
          deployment: 'barq-api',
          pods: [
            { pod: 'barq-api-7d9f-abcde', container: 'api', lines: ['GET /health 200', 'OutOfMemoryException in ReportService'], truncated: false },
            { pod: 'barq-api-7d9f-fghij', container: 'api', lines: ['GET /health 200'], truncated: false },
          ],
          omittedPods: 0,
        };
      },
      recentRollouts: async (request) => {
        rolloutRequests.push(request);
        return {
          namespace: 'barq',
          deployment: 'barq-api',
          currentRevision: 12,
          omitted: 0,
          rollouts: [
            {
              replicaSet: 'barq-api-7d9f',
              revision: 12,
              changeCause: 'release 4.2.0',
              createdAt: '2026-12-04T08:00:00.000Z',
              desiredReplicas: 2,
              replicas: 2,
              readyReplicas: 2,
              availableReplicas: 2,
              images: ['registry.example/barq-api:4.2.0'],
              current: true,
            },
          ],
        };
      },
      checkDatabase: async () => ({ ok: true, database: 'BARQ_DB', latencyMs: 4, checkedAt: new Date().toISOString() }),
      flowableEngineStatus: async () => ({
        name: 'default',
        version: '7.1.0',
        resourceUrl: null,
        exception: 'org.flowable.common.engine.api.FlowableException: Could not update Flowable database schema',
      }),
    });
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });

    await worker.runUntil(async () => {
      const { handle, incidentId } = await declareIncident(env, taskQueue, 'P0');
      startedIds.push(incidentId);

      const view = await eventually(async () => {
        const current = await handle.query(viewQuery);
        return current.findings.length === 4 ? current : undefined;
      }, 'four findings');
      const status = (taskId: string) => view.tasks.find((task) => task.id === taskId);

      expect(logRequests).toEqual([{ incidentId, service: 'api' }]);
      expect(rolloutRequests).toEqual([{ incidentId, service: 'api' }]);
      expect(status('review-logs')).toMatchObject({ status: 'done', completedBy: 'system' });
      expect(status('review-changes')).toMatchObject({ status: 'done', completedBy: 'system' });
      expect(status('check-database')).toMatchObject({ status: 'done', completedBy: 'system' });
      expect(status('check-flowable')).toMatchObject({ status: 'open' });
      expect(status('analyse-errors')).toMatchObject({ status: 'open' });

      const byTask = Object.fromEntries(view.findings.map((finding) => [finding.taskId, finding]));
      expect(byTask['review-logs']).toMatchObject({ ok: true, summary: '3 log lines from 2 pods of barq-api' });
      expect(byTask['review-logs']?.detail).toContain('OutOfMemoryException in ReportService');
      expect(byTask['review-changes']?.summary).toBe('barq-api runs revision 12; newest revision 12 created 2026-12-04T08:00:00.000Z');
      expect(byTask['check-database']?.summary).toBe('SELECT 1 on BARQ_DB answered in 4 ms');
      expect(byTask['check-flowable']).toMatchObject({ ok: false });
      expect(view.timeline.find((entry) => entry.type === 'finding-failed')).toMatchObject({ taskId: 'check-flowable', flagged: true });

      const final: IncidentView = await handle.executeUpdate(resolveUpdate, {
        args: [{ actor: 'alice', summary: 'schema fixed', resolutionType: 'hotfix' }],
      });
      await closeFollowUp(env.client, final);
    });
  });

  it('leaves a task open when its system is not configured', async () => {
    const taskQueue = `investigation-unconfigured-${randomUUID()}`;
    const { activities } = fakeActivities(() => env.currentTimeMs());
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });

    await worker.runUntil(async () => {
      const { handle, incidentId } = await declareIncident(env, taskQueue, 'P0');
      startedIds.push(incidentId);

      const view = await eventually(async () => {
        const current = await handle.query(viewQuery);
        return current.findings.length === 4 ? current : undefined;
      }, 'four findings');

      expect(view.findings.every((finding) => !finding.ok)).toBe(true);
      expect(view.findings.find((finding) => finding.taskId === 'review-logs')?.summary).toBe('no fake for deploymentLogs in this test');
      expect(view.tasks.filter((task) => task.stageId === 'investigation').every((task) => task.status === 'open')).toBe(true);

      const final = await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', summary: 'gone', resolutionType: 'other' }] });
      await closeFollowUp(env.client, final);
    });
  });
});
