import { randomUUID } from 'node:crypto';

import { WorkflowUpdateFailedError } from '@temporalio/client';
import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { Activities } from '../../src/activities/index.js';
import type { RestartDeploymentRequest, ScaleDeploymentRequest } from '../../src/activities/kubernetes.js';
import { severityPolicy } from '../../src/config/policy.js';
import type { Config } from '../../src/config/schema.js';
import type { IncidentView } from '../../src/shared/incident.js';
import type { RecoveryRecord } from '../../src/shared/recovery.js';
import {
  approveRecoveryUpdate,
  changeSeverityUpdate,
  rejectRecoveryUpdate,
  requestRecoveryUpdate,
  resolveUpdate,
  viewQuery,
} from '../../src/workflows/incident-messages.js';
import { testConfig } from '../helpers/config.js';
import { closeFollowUp, fakeActivities } from '../helpers/fake-activities.js';
import { declareIncident, terminateLeftovers, type IncidentHandle } from '../helpers/incidents.js';
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

const resolution = { summary: 'restarted barq-api', resolutionType: 'other' as const };

/** Creates fakes for the Kubernetes steps that record each request. */
function kubernetesFakes() {
  const restarts: RestartDeploymentRequest[] = [];
  const scales: ScaleDeploymentRequest[] = [];
  const overrides: Partial<Activities> = {
    restartDeployment: async (request) => {
      restarts.push(request);
      return { namespace: 'barq', deployment: 'barq-api', restartedAt: request.restartedAt ?? '', generation: 8, alreadyRestarted: false };
    },
    scaleDeployment: async (request) => {
      scales.push(request);
      return { namespace: 'barq', deployment: 'barq-api', replicas: request.replicas, previousReplicas: null };
    },
    waitForRollout: async () => ({ namespace: 'barq', deployment: 'barq-api', generation: 8, replicas: 3, availableReplicas: 3, polls: 4 }),
  };
  return { restarts, scales, overrides };
}

async function startWorker(taskQueue: string, activities: Activities): Promise<Worker> {
  return Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
}

async function declare(taskQueue: string, severity: 'P0' | 'P1' = 'P0', config: Config = testConfig()) {
  const started = await declareIncident(env, taskQueue, severity, config);
  startedIds.push(started.incidentId);
  return started;
}

function request(handle: IncidentHandle, actor: string, stepId: string, extra: { replicas?: number } = {}): Promise<RecoveryRecord> {
  return handle.executeUpdate(requestRecoveryUpdate, { args: [{ actor, stepId, reason: 'pods leak memory', ...extra }] });
}

/** Waits until request `id` reaches a final status and returns the incident view then. */
function settled(handle: IncidentHandle, id: string): Promise<IncidentView> {
  return eventually(async () => {
    const view = await handle.query(viewQuery);
    const record = view.recoveries.find((candidate) => candidate.id === id);
    return record !== undefined && !['awaiting-approval', 'running'].includes(record.status) ? view : undefined;
  }, `recovery request ${id} to finish`);
}

async function updateFailure(pending: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await pending.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (error as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

async function resolveAndClose(handle: IncidentHandle): Promise<IncidentView> {
  const final = await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', ...resolution }] });
  await closeFollowUp(env.client, final);
  return final;
}

describe('recovery steps', () => {
  it('runs an approved restart, then its verification checks', async () => {
    const taskQueue = `approved-restart-${randomUUID()}`;
    const kubernetes = kubernetesFakes();
    const fakes = fakeActivities(() => env.currentTimeMs(), kubernetes.overrides);
    const worker = await startWorker(taskQueue, fakes.activities);

    await worker.runUntil(async () => {
      const { handle } = await declare(taskQueue);
      const requested = await request(handle, 'alice', 'restart-api');
      expect(requested).toMatchObject({ id: 'r1', status: 'awaiting-approval', risk: 'medium', requestedBy: 'alice' });
      expect(kubernetes.restarts).toEqual([]);

      const approved = await handle.executeUpdate(approveRecoveryUpdate, { args: [{ actor: 'bob', requestId: 'r1', note: 'go' }] });
      expect(approved).toMatchObject({ status: 'running', approvedBy: 'bob' });
      const checksBefore = fakes.checks.length;
      const view = await settled(handle, 'r1');

      const record = view.recoveries[0];
      expect(record).toMatchObject({ status: 'succeeded', requestedBy: 'alice', approvedBy: 'bob', target: 'api' });
      expect(record?.verification.map((result) => `${result.checkId}:${result.ok}`)).toEqual(['api-live:true', 'api-ready:true']);
      expect(fakes.checks.slice(checksBefore).sort()).toEqual(['api-live', 'api-ready']);
      expect(kubernetes.restarts).toEqual([{ incidentId: view.id, service: 'api', restartedAt: record?.startedAt }]);
      const done = view.timeline.find((entry) => entry.type === 'recovery-succeeded');
      expect(done?.message).toContain('Requested by alice at');
      expect(done?.message).toContain('approved by bob at');
      expect(done?.message).toContain('api-live passed, api-ready passed');

      await resolveAndClose(handle);
    });
  });

  it('refuses approval by the engineer who requested it', async () => {
    const taskQueue = `self-approval-${randomUUID()}`;
    const kubernetes = kubernetesFakes();
    const worker = await startWorker(taskQueue, fakeActivities(() => env.currentTimeMs(), kubernetes.overrides).activities);

    await worker.runUntil(async () => {
      const { handle } = await declare(taskQueue);
      await request(handle, 'alice', 'restart-api');

      const failure = await updateFailure(handle.executeUpdate(approveRecoveryUpdate, { args: [{ actor: 'alice', requestId: 'r1' }] }));
      const view = await handle.query(viewQuery);

      expect(failure.type).toBe('SelfApproval');
      expect(failure.message).toBe('alice requested r1 (Rolling restart of barq-api) and cannot approve it; another engineer must');
      expect(view.recoveries[0]?.status).toBe('awaiting-approval');
      expect(view.timeline.some((entry) => entry.type === 'recovery-approved')).toBe(false);
      expect(kubernetes.restarts).toEqual([]);

      await resolveAndClose(handle);
    });
  });

  it('pages on an overdue approval and never approves by itself', async () => {
    const taskQueue = `overdue-approval-${randomUUID()}`;
    let flushed = 0;
    const fakes = fakeActivities(() => env.currentTimeMs(), {
      flushRedisAndWarmUp: async () => {
        flushed += 1;
        return { keysBefore: 10, keysAfterFlush: 0, keysAfterWarmUp: 10 } as Awaited<ReturnType<Activities['flushRedisAndWarmUp']>>;
      },
    });
    const worker = await startWorker(taskQueue, fakes.activities);

    await worker.runUntil(async () => {
      const { handle, incidentId } = await declare(taskQueue);
      await request(handle, 'alice', 'flush-redis');

      await env.sleep('9m');
      expect(fakes.stepsFor(incidentId)).not.toContain('recovery-r1-approval:engineering-manager');
      await env.sleep('2m');
      expect(fakes.stepsFor(incidentId)).toContain('recovery-r1-approval:engineering-manager');

      await env.sleep('3h');
      const view = await handle.query(viewQuery);
      expect(view.recoveries[0]).toMatchObject({ status: 'awaiting-approval' });
      expect(view.recoveries[0]?.approvalEscalatedAt).toBeDefined();
      expect(view.timeline.find((entry) => entry.type === 'recovery-approval-overdue')).toMatchObject({ flagged: true, recoveryId: 'r1' });
      expect(fakes.stepsFor(incidentId).filter((step) => step.startsWith('recovery-'))).toEqual(['recovery-r1-approval:engineering-manager']);
      expect(flushed).toBe(0);

      const rejected = await handle.executeUpdate(rejectRecoveryUpdate, {
        args: [{ actor: 'bob', requestId: 'r1', note: 'the cache is not the cause' }],
      });
      expect(rejected).toMatchObject({ status: 'rejected', rejectedBy: 'bob' });
      await expect(updateFailure(handle.executeUpdate(approveRecoveryUpdate, { args: [{ actor: 'carol', requestId: 'r1' }] }))).resolves.toMatchObject({
        type: 'InvalidTransition',
      });
      expect(flushed).toBe(0);

      await resolveAndClose(handle);
    });
  });

  it('runs a step below approvalFrom at once', async () => {
    const taskQueue = `no-approval-${randomUUID()}`;
    const config = testConfig((draft) => {
      if (draft.recovery !== undefined) draft.recovery.approvalFrom = 'high';
    });
    const kubernetes = kubernetesFakes();
    const worker = await startWorker(taskQueue, fakeActivities(() => env.currentTimeMs(), kubernetes.overrides).activities);

    await worker.runUntil(async () => {
      const { handle } = await declare(taskQueue, 'P0', config);
      const requested = await request(handle, 'alice', 'scale-api', { replicas: 6 });
      expect(requested).toMatchObject({ status: 'running', approvalRequired: false });

      const view = await settled(handle, 'r1');

      expect(view.recoveries[0]).toMatchObject({ status: 'succeeded', replicas: 6 });
      expect(view.recoveries[0]?.approvedBy).toBeUndefined();
      expect(kubernetes.scales).toEqual([{ incidentId: view.id, service: 'api', replicas: 6 }]);
      await resolveAndClose(handle);
    });
  });

  it('marks a failed step, flags it and still verifies', async () => {
    const taskQueue = `failed-step-${randomUUID()}`;
    const kubernetes = kubernetesFakes();
    const fakes = fakeActivities(() => env.currentTimeMs(), {
      ...kubernetes.overrides,
      restartDeployment: async () => {
        throw ApplicationFailure.create({
          type: 'KubernetesRejected',
          nonRetryable: true,
          message: 'Kubernetes refused to restart the deployment: HTTP 403 Forbidden',
        });
      },
    });
    const worker = await startWorker(taskQueue, fakes.activities);

    await worker.runUntil(async () => {
      const { handle } = await declare(taskQueue);
      await request(handle, 'alice', 'restart-api');
      await handle.executeUpdate(approveRecoveryUpdate, { args: [{ actor: 'bob', requestId: 'r1' }] });

      const view = await settled(handle, 'r1');

      expect(view.recoveries[0]).toMatchObject({
        status: 'failed',
        outcome: 'Kubernetes refused to restart the deployment: HTTP 403 Forbidden',
      });
      expect(view.recoveries[0]?.verification).toHaveLength(2);
      expect(view.timeline.find((entry) => entry.type === 'recovery-failed')).toMatchObject({ flagged: true, recoveryId: 'r1' });
      await resolveAndClose(handle);
    });
  });

  it('runs approved steps one at a time', async () => {
    const taskQueue = `one-at-a-time-${randomUUID()}`;
    const kubernetes = kubernetesFakes();
    const order: string[] = [];
    let releaseRestart: () => void = () => undefined;
    const restartHeld = new Promise<void>((resolve) => {
      releaseRestart = resolve;
    });
    const fakes = fakeActivities(() => env.currentTimeMs(), {
      ...kubernetes.overrides,
      restartDeployment: async (request) => {
        // The test server may time out the held attempt and retry it; only
        // the first attempt is logged, so the order stays readable.
        const first = activityInfo().attempt === 1;
        if (first) order.push('restart started');
        await restartHeld;
        if (first) order.push('restart finished');
        return { namespace: 'barq', deployment: 'barq-api', restartedAt: request.restartedAt ?? '', generation: 8, alreadyRestarted: false };
      },
      flushRedisAndWarmUp: async () => {
        order.push('flush');
        return { keysBefore: 10, keysAfterFlush: 0, keysAfterWarmUp: 10 } as Awaited<ReturnType<Activities['flushRedisAndWarmUp']>>;
      },
    });
    const worker = await startWorker(taskQueue, fakes.activities);

    await worker.runUntil(async () => {
      const { handle } = await declare(taskQueue);
      await request(handle, 'alice', 'restart-api');
      await request(handle, 'alice', 'flush-redis');
      await handle.executeUpdate(approveRecoveryUpdate, { args: [{ actor: 'bob', requestId: 'r1' }] });
      await eventually(async () => (order.includes('restart started') ? true : undefined), 'the restart to start');
      await handle.executeUpdate(approveRecoveryUpdate, { args: [{ actor: 'bob', requestId: 'r2' }] });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const whileHeld = [...order];

      releaseRestart();
      const view = await settled(handle, 'r2');

      expect(whileHeld).toEqual(['restart started']);
      expect(order).toEqual(['restart started', 'restart finished', 'flush']);
      expect(view.recoveries.map((record) => record.status)).toEqual(['succeeded', 'succeeded']);
      await resolveAndClose(handle);
    });
  });

  it('rejects bad requests before they are recorded', async () => {
    const taskQueue = `bad-recovery-${randomUUID()}`;
    const worker = await startWorker(taskQueue, fakeActivities(() => env.currentTimeMs(), kubernetesFakes().overrides).activities);

    await worker.runUntil(async () => {
      const { handle } = await declare(taskQueue);

      const unknown = await updateFailure(request(handle, 'alice', 'reboot-everything'));
      const noReplicas = await updateFailure(request(handle, 'alice', 'scale-api'));
      const tooMany = await updateFailure(request(handle, 'alice', 'scale-api', { replicas: 13 }));
      const replicasOnRestart = await updateFailure(request(handle, 'alice', 'restart-api', { replicas: 2 }));
      const unknownRequest = await updateFailure(handle.executeUpdate(approveRecoveryUpdate, { args: [{ actor: 'bob', requestId: 'r9' }] }));
      const view = await handle.query(viewQuery);

      expect(unknown.type).toBe('UnknownRecoveryStep');
      expect(noReplicas.message).toBe('body.replicas is missing; scale-api needs a whole number from 0 to 12');
      expect(tooMany.message).toBe('body.replicas must be a whole number from 0 to 12 for scale-api');
      expect(replicasOnRestart.message).toBe('body.replicas applies to scale steps only, and restart-api is a rolling-restart');
      expect(unknownRequest.type).toBe('UnknownRecoveryRequest');
      expect(view.recoveries).toEqual([]);
      await resolveAndClose(handle);
    });
  });

  it('cancels a waiting step when the incident is resolved', async () => {
    const taskQueue = `cancel-on-resolve-${randomUUID()}`;
    const kubernetes = kubernetesFakes();
    const worker = await startWorker(taskQueue, fakeActivities(() => env.currentTimeMs(), kubernetes.overrides).activities);

    await worker.runUntil(async () => {
      const { handle } = await declare(taskQueue);
      await request(handle, 'alice', 'restart-api');

      const final = await resolveAndClose(handle);

      expect(final.recoveries[0]).toMatchObject({ status: 'cancelled' });
      expect(final.timeline.find((entry) => entry.type === 'recovery-cancelled')?.message).toBe(
        'r1 Rolling restart of barq-api cancelled: the incident is being resolved',
      );
      expect(kubernetes.restarts).toEqual([]);
    });
  });

  it('keeps a waiting step across a severity change', async () => {
    const taskQueue = `recovery-across-change-${randomUUID()}`;
    const kubernetes = kubernetesFakes();
    const worker = await startWorker(taskQueue, fakeActivities(() => env.currentTimeMs(), kubernetes.overrides).activities);
    const config = testConfig();

    await worker.runUntil(async () => {
      const { handle } = await declare(taskQueue, 'P1', config);
      await request(handle, 'alice', 'restart-api');
      await handle.executeUpdate(changeSeverityUpdate, {
        args: [{ actor: 'alice', severity: 'P0', reason: 'all tenants affected', policy: severityPolicy(config, 'P0') }],
      });
      const upgraded = await eventually(async () => {
        const view = await handle.query(viewQuery).catch(() => undefined);
        return view?.severity === 'P0' ? view : undefined;
      }, 'the P0 run');
      expect(upgraded.recoveries[0]).toMatchObject({ id: 'r1', status: 'awaiting-approval' });

      const latest: IncidentHandle = env.client.workflow.getHandle(upgraded.id);
      await latest.executeUpdate(approveRecoveryUpdate, { args: [{ actor: 'bob', requestId: 'r1' }] });
      const view = await settled(latest, 'r1');

      expect(view.recoveries[0]).toMatchObject({ status: 'succeeded', approvedBy: 'bob' });
      expect(kubernetes.restarts).toHaveLength(1);
      await resolveAndClose(latest);
    });
  });
});
