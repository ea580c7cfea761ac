import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { KubeConfig } from '@kubernetes/client-node';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { KubernetesUnavailableError } from '../../src/activities/kubernetes-errors.js';
import {
  deploymentLogs,
  deploymentResourceUsage,
  formatLabelSelector,
  parseQuantity,
  recentRollouts,
  restartDeployment,
  scaleDeployment,
  waitForRollout,
  type KubernetesDeps,
  type KubernetesRequest,
  type RolloutProgress,
  type RolloutResult,
} from '../../src/activities/kubernetes.js';
import type { KubernetesConfig } from '../../src/config/kubernetes-schema.js';
import { runActivity } from '../helpers/activity.js';
import { FAKE_CLUSTER, FakeKubernetesApi, writeKubeconfig } from '../helpers/kubernetes-api.js';
import { freePort } from '../setup/global-setup.js';

const cluster = new FakeKubernetesApi();
const request = { incidentId: 'i-1', service: 'api' };
const tempDirs: string[] = [];
let kubeconfigPath: string;

beforeAll(async () => {
  await cluster.start();
  kubeconfigPath = cluster.writeKubeconfig();
});

beforeEach(() => {
  cluster.reset();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

afterAll(async () => {
  await cluster.stop();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function kubernetesConfig(overrides: Partial<KubernetesConfig> = {}): KubernetesConfig {
  return {
    kubeconfig: kubeconfigPath,
    namespace: FAKE_CLUSTER.namespace,
    deployments: { api: { name: FAKE_CLUSTER.deployment }, flowable: { name: 'flowable-rest' } },
    logLines: 200,
    rolloutTimeout: '1m',
    rolloutPollInterval: '10ms',
    ...overrides,
  };
}

function depsWith(overrides: Partial<KubernetesConfig> = {}): KubernetesDeps {
  return { config: { kubernetes: kubernetesConfig(overrides) } };
}

/** Creates a MockActivityEnvironment that collects the heartbeat details of `waitForRollout`. */
function rolloutEnvironment(info: ConstructorParameters<typeof MockActivityEnvironment>[0] = {}) {
  const environment = new MockActivityEnvironment(info);
  const heartbeats: RolloutProgress[] = [];
  environment.on('heartbeat', (details: RolloutProgress) => heartbeats.push(details));
  const wait = (deps: KubernetesDeps) =>
    environment.run<[KubernetesDeps, KubernetesRequest], RolloutResult, typeof waitForRollout>(waitForRollout, deps, request);
  return { environment, heartbeats, wait };
}

function failureOf(error: unknown): ApplicationFailure {
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

async function rejectionOf(run: Promise<unknown>): Promise<unknown> {
  try {
    await run;
  } catch (error) {
    return error;
  }
  throw new Error('expected the activity to fail');
}

function forbidden(verb: string, resource: string) {
  return {
    status: 403,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
      message: `${resource} "barq-api" is forbidden: User "system:serviceaccount:barq:incident-worker" cannot ${verb} resource "${resource}" in API group "apps" in the namespace "barq"`,
    },
  };
}

describe('deploymentLogs', () => {
  it('reads tail of each selected pod', async () => {
    const logs = await runActivity(deploymentLogs, depsWith(), { ...request, lines: 50 });

    expect(logs.namespace).toBe('barq');
    expect(logs.deployment).toBe('barq-api');
    expect(logs.omittedPods).toBe(0);
    // The pod with restarts comes first; the barq-worker pod is not selected.
    expect(logs.pods.map((pod) => pod.pod)).toEqual(['barq-api-7c9d8b5f6-klmno', 'barq-api-7c9d8b5f6-abcde', 'barq-api-7c9d8b5f6-fghij']);
    for (const pod of logs.pods) {
      expect(pod.container).toBe('api');
      expect(pod.lines).toHaveLength(50);
      expect(pod.lines.at(-1)).toMatch(/request 300 served$/);
      expect(pod.lines[0]).toMatch(/request 251 served$/);
      expect(pod.truncated).toBe(false);
      expect(pod.error).toBeUndefined();
    }

    const podList = cluster.requestsTo('GET', '/api/v1/namespaces/barq/pods');
    expect(podList).toHaveLength(1);
    expect(podList[0]?.query).toEqual({ labelSelector: 'app=barq-api' });
    const logRequests = cluster.requestsTo('GET', '/log');
    expect(logRequests.map((sent) => sent.path)).toEqual([
      '/api/v1/namespaces/barq/pods/barq-api-7c9d8b5f6-klmno/log',
      '/api/v1/namespaces/barq/pods/barq-api-7c9d8b5f6-abcde/log',
      '/api/v1/namespaces/barq/pods/barq-api-7c9d8b5f6-fghij/log',
    ]);
    for (const sent of logRequests) {
      expect(sent.query).toEqual({ container: 'api', tailLines: '50' });
      expect(sent.headers.authorization).toBe(`Bearer ${FAKE_CLUSTER.token}`);
    }
  });

  it('defaults to configured logLines', async () => {
    const logs = await runActivity(deploymentLogs, depsWith({ logLines: 120 }), request);

    expect(logs.pods[0]?.lines).toHaveLength(120);
    expect(cluster.requestsTo('GET', '/log').map((sent) => sent.query['tailLines'])).toEqual(['120', '120', '120']);
  });

  it('reads the configured container', async () => {
    const deps = depsWith({ deployments: { api: { name: FAKE_CLUSTER.deployment, container: 'envoy' } } });

    const logs = await runActivity(deploymentLogs, deps, request);

    expect(logs.pods.map((pod) => pod.container)).toEqual(['envoy', 'envoy', 'envoy']);
    expect(logs.pods[0]?.lines).toEqual(['envoy started']);
    expect(cluster.requestsTo('GET', '/log').map((sent) => sent.query['container'])).toEqual(['envoy', 'envoy', 'envoy']);
  });

  it('caps output at 64 KiB', async () => {
    const longLines = Array.from({ length: 5000 }, (_, index) => `line ${index + 1} ${'x'.repeat(200)}`);
    for (const pod of Object.keys(cluster.logs)) cluster.logs[pod] = { api: [...longLines] };
    cluster.logs['barq-api-7c9d8b5f6-abcde'] = { api: ['short line', 'é'.repeat(5000)] };

    const logs = await runActivity(deploymentLogs, depsWith(), { ...request, lines: 5000 });

    const encoded = Buffer.byteLength(JSON.stringify(logs.pods.map((pod) => pod.lines)));
    expect(encoded).toBeLessThanOrEqual(64 * 1024);
    const [restarted, small, other] = logs.pods;
    expect(restarted?.truncated).toBe(true);
    expect(restarted?.lines.at(-1)).toMatch(/^line 5000 /);
    expect(restarted?.lines.length).toBeGreaterThan(100);
    expect(other?.truncated).toBe(true);
    expect(small?.lines).toHaveLength(2);
    expect(small?.lines[0]).toBe('short line');
    expect(small?.lines[1]).toMatch(/^é+…$/);
    expect(Buffer.byteLength(small?.lines[1] ?? '')).toBeLessThanOrEqual(2048 + Buffer.byteLength('…'));
    expect(small?.truncated).toBe(true);
  });

  it('records pods without previous logs', async () => {
    cluster.previousLogs['barq-api-7c9d8b5f6-klmno'] = { api: ['panic: connection pool exhausted'] };

    const logs = await runActivity(deploymentLogs, depsWith(), { ...request, previous: true });

    const [crashed, ...others] = logs.pods;
    expect(crashed?.lines).toEqual(['panic: connection pool exhausted']);
    expect(crashed?.error).toBeUndefined();
    for (const pod of others) {
      expect(pod.lines).toEqual([]);
      expect(pod.error).toMatch(/HTTP 400 BadRequest: previous terminated container "api"/);
    }
    expect(cluster.requestsTo('GET', '/log').map((sent) => sent.query['previous'])).toEqual(['true', 'true', 'true']);
  });

  it('rejects an invalid line count', async () => {
    for (const lines of [0, 5001, 1.5]) {
      const error = await rejectionOf(runActivity(deploymentLogs, depsWith(), { ...request, lines }));

      expect(failureOf(error).type, String(lines)).toBe('InvalidRequest');
      expect(failureOf(error).nonRetryable).toBe(true);
    }
    expect(cluster.requests).toHaveLength(0);
  });
});

describe('deploymentResourceUsage', () => {
  it('sums container usage per pod', async () => {
    const usage = await runActivity(deploymentResourceUsage, depsWith(), request);

    expect(usage.pods).toEqual([
      {
        pod: 'barq-api-7c9d8b5f6-abcde',
        cpuMillicores: 251,
        memoryBytes: 512 * 1024 ** 2 + 1000 * 1024,
        containers: [
          { container: 'api', cpuMillicores: 250, memoryBytes: 512 * 1024 ** 2 },
          { container: 'envoy', cpuMillicores: 1, memoryBytes: 1000 * 1024 },
        ],
      },
      {
        pod: 'barq-api-7c9d8b5f6-fghij',
        cpuMillicores: 1002,
        memoryBytes: 1024 ** 3 + 64_000_000,
        containers: [
          { container: 'api', cpuMillicores: 1000, memoryBytes: 1024 ** 3 },
          { container: 'envoy', cpuMillicores: 2, memoryBytes: 64_000_000 },
        ],
      },
    ]);
    expect(usage.podsWithoutMetrics).toEqual(['barq-api-7c9d8b5f6-klmno']);
    expect(usage.totalCpuMillicores).toBe(1253);
    expect(usage.totalMemoryBytes).toBe(512 * 1024 ** 2 + 1000 * 1024 + 1024 ** 3 + 64_000_000);
    expect(usage.sampledAt).toBe('2026-02-27T09:19:45Z');
    expect(usage.omittedPods).toBe(0);

    const metricsRequests = cluster.requestsTo('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/barq/pods');
    expect(metricsRequests).toHaveLength(1);
    expect(metricsRequests[0]?.query).toEqual({ labelSelector: 'app=barq-api' });
  });

  it('reports a cluster without metrics-server', async () => {
    cluster.intercept = (sent) =>
      sent.path.startsWith('/apis/metrics.k8s.io/')
        ? { status: 404, body: { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: 'the server could not find the requested resource' } }
        : undefined;

    const error = await rejectionOf(runActivity(deploymentResourceUsage, depsWith(), request));

    expect(failureOf(error).type).toBe('MetricsUnavailable');
    expect(failureOf(error).nonRetryable).toBe(true);
    expect(failureOf(error).message).toMatch(/install metrics-server/);
  });
});

describe('parseQuantity', () => {
  it('converts documented forms', () => {
    const cases: Array<[string, 'base' | 'milli', number]> = [
      ['250m', 'milli', 250],
      ['1', 'milli', 1000],
      ['0.1', 'milli', 100],
      ['123456n', 'milli', 1],
      ['1500u', 'milli', 2],
      ['2500m', 'base', 3],
      ['123456n', 'base', 1],
      ['512Mi', 'base', 536_870_912],
      ['1Gi', 'base', 1_073_741_824],
      ['1.5Gi', 'base', 1_610_612_736],
      ['1000Ki', 'base', 1_024_000],
      ['64M', 'base', 64_000_000],
      ['2k', 'base', 2000],
      ['1e3', 'base', 1000],
      ['0', 'milli', 0],
    ];

    for (const [quantity, unit, expected] of cases) {
      expect(parseQuantity(quantity, unit), `${quantity} in ${unit}`).toBe(expected);
    }
  });

  it('rejects other forms', () => {
    for (const quantity of ['', 'abc', '-1', '1Xi', '1.2.3', 'Mi', ' 1']) {
      expect(() => parseQuantity(quantity), JSON.stringify(quantity)).toThrow(RangeError);
    }
  });
});

describe('formatLabelSelector', () => {
  it('formats labels and expressions', () => {
    const selector = formatLabelSelector({
      matchLabels: { app: 'barq-api', tier: 'web' },
      matchExpressions: [
        { key: 'track', operator: 'In', values: ['stable', 'canary'] },
        { key: 'env', operator: 'NotIn', values: ['dev'] },
        { key: 'owner', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });

    expect(selector).toBe('app=barq-api,tier=web,track in (stable,canary),env notin (dev),owner,!legacy');
  });

  it('rejects an empty selector', () => {
    expect(() => formatLabelSelector({})).toThrow(/empty spec.selector/);
    expect(() => formatLabelSelector(undefined)).toThrow(/empty spec.selector/);
  });
});

describe('recentRollouts', () => {
  it('sorts ReplicaSets by revision', async () => {
    const history = await runActivity(recentRollouts, depsWith(), request);

    expect(history.currentRevision).toBe(10);
    expect(history.omitted).toBe(0);
    // Revision 10 sorts above 9, and the canary ReplicaSet of another deployment is left out.
    expect(history.rollouts.map((rollout) => rollout.revision)).toEqual([10, 9, 2]);
    expect(history.rollouts[0]).toEqual({
      replicaSet: 'barq-api-7c9d8b5f6',
      revision: 10,
      changeCause: 'deploy api 1.8.2',
      createdAt: '2026-02-26T14:30:00.000Z',
      desiredReplicas: 3,
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      images: ['registry.barq.example/api:1.8.2', 'envoyproxy/envoy:v1.30.1'],
      current: true,
    });
    expect(history.rollouts[1]?.current).toBe(false);
    expect(history.rollouts[1]?.replicas).toBe(0);
    expect(history.rollouts[2]?.changeCause).toBeNull();

    const listed = cluster.requestsTo('GET', '/apis/apps/v1/namespaces/barq/replicasets');
    expect(listed).toHaveLength(1);
    expect(listed[0]?.query).toEqual({ labelSelector: 'app=barq-api' });
  });

  it('lists at most limit rollouts', async () => {
    const history = await runActivity(recentRollouts, depsWith(), { ...request, limit: 2 });

    expect(history.rollouts.map((rollout) => rollout.revision)).toEqual([10, 9]);
    expect(history.omitted).toBe(1);
  });

  it('rejects an invalid limit', async () => {
    const error = await rejectionOf(runActivity(recentRollouts, depsWith(), { ...request, limit: 51 }));

    expect(failureOf(error).type).toBe('InvalidRequest');
    expect(cluster.requests).toHaveLength(0);
  });
});

describe('restartDeployment', () => {
  const restartedAt = '2026-03-01T12:00:00Z';
  const kubectlPatch = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': restartedAt } } } } };

  it('sends the kubectl rollout restart patch', async () => {
    const result = await runActivity(restartDeployment, depsWith(), { ...request, restartedAt });

    expect(result).toEqual({ namespace: 'barq', deployment: 'barq-api', restartedAt, generation: 13, alreadyRestarted: false });
    const patches = cluster.requestsTo('PATCH', '/apis/apps/v1/namespaces/barq/deployments/barq-api');
    expect(patches).toHaveLength(1);
    expect(patches[0]?.headers['content-type']).toBe('application/strategic-merge-patch+json');
    expect(patches[0]?.body).toEqual(kubectlPatch);
    expect(patches[0]?.query).toEqual({ fieldManager: 'barq-incident' });
    expect(cluster.deployment.spec.template.metadata.annotations).toEqual({ 'kubectl.kubernetes.io/restartedAt': restartedAt });
  });

  it('repeats the same patch on retry', async () => {
    const first = await runActivity(restartDeployment, depsWith(), { ...request, restartedAt });
    const second = await runActivity(restartDeployment, depsWith(), { ...request, restartedAt });

    expect(first.alreadyRestarted).toBe(false);
    expect(second.alreadyRestarted).toBe(true);
    expect(second.generation).toBe(first.generation);
    const patches = cluster.requestsTo('PATCH', '/deployments/barq-api');
    expect(patches.map((patch) => patch.body)).toEqual([kubectlPatch, kubectlPatch]);
    expect(cluster.replicaSets.map((set) => String(set.metadata.annotations['deployment.kubernetes.io/revision']))).toEqual(['9', '10', '2', '4', '11']);
  });

  it('defaults restartedAt to now', async () => {
    const result = await runActivity(restartDeployment, depsWith(), request);

    expect(result.restartedAt).toMatch(/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/);
    const sent = cluster.requestsTo('PATCH', '/deployments/barq-api')[0]?.body;
    expect(sent).toEqual({ spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': result.restartedAt } } } } });
  });

  it('rejects a paused deployment', async () => {
    cluster.deployment.spec.paused = true;

    const error = await rejectionOf(runActivity(restartDeployment, depsWith(), { ...request, restartedAt }));

    expect(failureOf(error).type).toBe('DeploymentPaused');
    expect(failureOf(error).nonRetryable).toBe(true);
    expect(failureOf(error).message).toMatch(/kubectl rollout resume deployment\/barq-api -n barq/);
    expect(cluster.requestsTo('PATCH', '/deployments/barq-api')).toHaveLength(0);
  });

  it('rejects an invalid restartedAt', async () => {
    for (const value of ['yesterday', '2026-03-01 12:00:00', '2026-13-01T12:00:00Z']) {
      const error = await rejectionOf(runActivity(restartDeployment, depsWith(), { ...request, restartedAt: value }));

      expect(failureOf(error).type, value).toBe('InvalidRequest');
    }
    expect(cluster.requests).toHaveLength(0);
  });

  it('turns a 403 into a typed failure', async () => {
    cluster.intercept = (sent) => (sent.method === 'PATCH' ? forbidden('patch', 'deployments') : undefined);

    const error = await rejectionOf(runActivity(restartDeployment, depsWith(), { ...request, restartedAt }));

    const failure = failureOf(error);
    expect(failure.type).toBe('KubernetesRejected');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.details).toEqual([{ status: 403, reason: 'Forbidden' }]);
    expect(failure.message).toMatch(/HTTP 403 Forbidden: deployments "barq-api" is forbidden/);
    expect(failure.message).toMatch(/RBAC/);
    expect(failure.message).not.toContain(cluster.url);
    expect(failure.message).not.toContain(FAKE_CLUSTER.token);
  });
});

describe('scaleDeployment', () => {
  it('merge-patches the scale subresource', async () => {
    const result = await runActivity(scaleDeployment, depsWith(), { ...request, replicas: 5 });

    expect(result).toEqual({ namespace: 'barq', deployment: 'barq-api', replicas: 5, previousReplicas: null });
    const patches = cluster.requestsTo('PATCH', '/apis/apps/v1/namespaces/barq/deployments/barq-api/scale');
    expect(patches).toHaveLength(1);
    expect(patches[0]?.headers['content-type']).toBe('application/merge-patch+json');
    expect(patches[0]?.body).toEqual({ spec: { replicas: 5 } });
    expect(patches[0]?.query).toEqual({ fieldManager: 'barq-incident' });
    expect(cluster.deployment.spec.replicas).toBe(5);
  });

  it('replaces the scale when currentReplicas matches', async () => {
    const result = await runActivity(scaleDeployment, depsWith(), { ...request, replicas: 2, currentReplicas: 3 });

    expect(result).toEqual({ namespace: 'barq', deployment: 'barq-api', replicas: 2, previousReplicas: 3 });
    expect(cluster.requestsTo('GET', '/deployments/barq-api/scale')).toHaveLength(1);
    const puts = cluster.requestsTo('PUT', '/apis/apps/v1/namespaces/barq/deployments/barq-api/scale');
    expect(puts).toHaveLength(1);
    expect(puts[0]?.body).toMatchObject({ kind: 'Scale', metadata: { name: 'barq-api', resourceVersion: '1000' }, spec: { replicas: 2 } });
    expect(cluster.deployment.spec.replicas).toBe(2);
  });

  it('rejects a stale currentReplicas', async () => {
    const error = await rejectionOf(runActivity(scaleDeployment, depsWith(), { ...request, replicas: 2, currentReplicas: 4 }));

    expect(failureOf(error).type).toBe('PreconditionFailed');
    expect(failureOf(error).message).toMatch(/has 3 replicas, expected 4/);
    expect(cluster.requestsTo('PUT', '/scale')).toHaveLength(0);
  });

  it('rejects a conflicting update', async () => {
    cluster.intercept = (sent) =>
      sent.method === 'PUT'
        ? {
            status: 409,
            body: { kind: 'Status', status: 'Failure', reason: 'Conflict', code: 409, message: 'the object has been modified; please apply your changes to the latest version and try again' },
          }
        : undefined;

    const error = await rejectionOf(runActivity(scaleDeployment, depsWith(), { ...request, replicas: 2, currentReplicas: 3 }));

    expect(failureOf(error).type).toBe('KubernetesRejected');
    expect(failureOf(error).details).toEqual([{ status: 409, reason: 'Conflict' }]);
  });

  it('validates the replica count', async () => {
    for (const replicas of [-1, 101, 2.5, Number.NaN]) {
      const error = await rejectionOf(runActivity(scaleDeployment, depsWith(), { ...request, replicas }));

      expect(failureOf(error).type, String(replicas)).toBe('InvalidRequest');
      expect(failureOf(error).nonRetryable).toBe(true);
    }
    const boundary = await runActivity(scaleDeployment, depsWith(), { ...request, replicas: 100 });
    expect(boundary.replicas).toBe(100);
    expect(cluster.requestsTo('PATCH', '/scale')).toHaveLength(1);
  });
});

describe('waitForRollout', () => {
  it('heartbeats until the rollout completes', async () => {
    await runActivity(restartDeployment, depsWith(), { ...request, restartedAt: '2026-03-01T12:00:00Z' });
    const { heartbeats, wait } = rolloutEnvironment();

    const result = await wait(depsWith());

    expect(result).toEqual({ namespace: 'barq', deployment: 'barq-api', generation: 13, replicas: 3, availableReplicas: 3, polls: 3 });
    expect(heartbeats.map((progress) => progress.message)).toEqual([
      'waiting for the deployment controller to observe generation 13 (observed 12)',
      '1 of 3 new replicas updated',
      '3 replicas updated and available',
    ]);
    expect(heartbeats.map((progress) => progress.polls)).toEqual([1, 2, 3]);
    expect(new Set(heartbeats.map((progress) => progress.startedAt)).size).toBe(1);
    expect(heartbeats[1]).toMatchObject({ generation: 13, observedGeneration: 13, desiredReplicas: 3, replicas: 4, updatedReplicas: 1 });
  });

  it('waits for old replicas after a scale', async () => {
    await runActivity(scaleDeployment, depsWith(), { ...request, replicas: 1 });
    cluster.rolloutPolls = 1;
    const { heartbeats, wait } = rolloutEnvironment();

    const result = await wait(depsWith());

    expect(result.replicas).toBe(1);
    expect(result.availableReplicas).toBe(1);
    expect(heartbeats.at(-1)?.replicas).toBe(1);
  });

  it('returns at once for a finished rollout', async () => {
    const { heartbeats, wait } = rolloutEnvironment();

    const result = await wait(depsWith());

    expect(result.polls).toBe(1);
    expect(heartbeats).toHaveLength(1);
    expect(cluster.requestsTo('GET', '/deployments/barq-api')).toHaveLength(1);
  });

  it('times out on a stalled rollout', async () => {
    cluster.rolloutBehavior = 'stall';
    await runActivity(restartDeployment, depsWith(), { ...request, restartedAt: '2026-03-01T12:00:00Z' });
    const { heartbeats, wait } = rolloutEnvironment();

    const error = await rejectionOf(wait(depsWith({ rolloutTimeout: '150ms', rolloutPollInterval: '10ms' })));

    const failure = failureOf(error);
    expect(failure.type).toBe('RolloutTimedOut');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/did not finish its rollout within 150ms \(kubernetes.rolloutTimeout\): 1 of 3 new replicas updated/);
    expect(heartbeats.length).toBeGreaterThan(1);
    expect(heartbeats.at(-1)?.updatedReplicas).toBe(1);
  });

  it('fails on ProgressDeadlineExceeded', async () => {
    cluster.rolloutBehavior = 'fail';
    await runActivity(restartDeployment, depsWith(), { ...request, restartedAt: '2026-03-01T12:00:00Z' });
    const { heartbeats, wait } = rolloutEnvironment();

    const error = await rejectionOf(wait(depsWith()));

    const failure = failureOf(error);
    expect(failure.type).toBe('ProgressDeadlineExceeded');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/exceeded its progress deadline: ReplicaSet "barq-api-r11" has timed out progressing/);
    expect(heartbeats).toHaveLength(1);
  });

  it('stops when cancelled', async () => {
    cluster.rolloutBehavior = 'stall';
    await runActivity(restartDeployment, depsWith(), { ...request, restartedAt: '2026-03-01T12:00:00Z' });
    const { environment, heartbeats, wait } = rolloutEnvironment();
    environment.on('heartbeat', () => {
      if (heartbeats.length === 2) environment.cancel();
    });

    const error = await rejectionOf(wait(depsWith()));

    expect(error).toBeInstanceOf(CancelledFailure);
    expect(heartbeats).toHaveLength(2);
  });

  it('keeps the deadline of an earlier attempt', async () => {
    cluster.rolloutBehavior = 'stall';
    await runActivity(restartDeployment, depsWith(), { ...request, restartedAt: '2026-03-01T12:00:00Z' });
    const startedAt = new Date(Date.now() - 2 * 60_000).toISOString();
    const { heartbeats, wait } = rolloutEnvironment({ attempt: 2, heartbeatDetails: { startedAt, polls: 7 } });

    const error = await rejectionOf(wait(depsWith({ rolloutTimeout: '1m' })));

    expect(failureOf(error).type).toBe('RolloutTimedOut');
    expect(heartbeats).toHaveLength(1);
    expect(heartbeats[0]).toMatchObject({ startedAt, polls: 8 });
  });
});

describe('kubernetes errors', () => {
  it('turns a 403 into a typed failure', async () => {
    cluster.intercept = (sent) => (sent.path.endsWith('/deployments/barq-api') ? forbidden('get', 'deployments') : undefined);

    const error = await rejectionOf(runActivity(recentRollouts, depsWith(), request));

    const failure = failureOf(error);
    expect(failure.type).toBe('KubernetesRejected');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.details).toEqual([{ status: 403, reason: 'Forbidden' }]);
    expect(failure.message).toMatch(/read deployment barq\/barq-api with HTTP 403 Forbidden/);
  });

  it('rejects a wrong token as 401', async () => {
    const deps = depsWith({ kubeconfig: cluster.writeKubeconfig({ token: 'revoked-token' }) });

    const error = await rejectionOf(runActivity(recentRollouts, deps, request));

    const failure = failureOf(error);
    expect(failure.type).toBe('KubernetesRejected');
    expect(failure.details).toEqual([{ status: 401, reason: 'Unauthorized' }]);
    expect(failure.message).not.toContain('revoked-token');
  });

  it('retries a 503', async () => {
    cluster.intercept = () => ({ status: 503, body: { kind: 'Status', status: 'Failure', reason: 'ServiceUnavailable', code: 503, message: 'etcd leader changed' } });

    const error = await rejectionOf(runActivity(recentRollouts, depsWith(), request));

    expect(error).toBeInstanceOf(KubernetesUnavailableError);
    expect((error as Error).message).toMatch(/HTTP 503 ServiceUnavailable$/);
  });

  it('retries a 429', async () => {
    cluster.intercept = () => ({ status: 429, body: { kind: 'Status', status: 'Failure', reason: 'TooManyRequests', code: 429, message: 'too many requests' } });

    const error = await rejectionOf(runActivity(deploymentLogs, depsWith(), request));

    expect(error).toBeInstanceOf(KubernetesUnavailableError);
  });

  it('retries when the server is down', async () => {
    const port = await freePort();
    const server = `http://127.0.0.1:${port}`;
    const path = writeKubeconfig([{ name: 'down', server, token: FAKE_CLUSTER.token }], 'down');
    tempDirs.push(join(path, '..'));

    const error = await rejectionOf(runActivity(restartDeployment, depsWith({ kubeconfig: path }), request));

    expect(error).toBeInstanceOf(KubernetesUnavailableError);
    expect((error as Error).message).toMatch(/did not respond to read deployment barq\/barq-api: ECONNREFUSED/);
    expect((error as Error).message).not.toContain(server);
  });

  it('fails without a kubernetes section', async () => {
    const error = await rejectionOf(runActivity(deploymentLogs, { config: {} }, request));

    expect(failureOf(error).type).toBe('ConfigurationMissing');
    expect(failureOf(error).nonRetryable).toBe(true);
    expect(failureOf(error).message).toMatch(/no kubernetes section/);
  });

  it('fails for an unknown service', async () => {
    const error = await rejectionOf(runActivity(waitForRollout, depsWith(), { ...request, service: 'billing' }));

    expect(failureOf(error).type).toBe('ConfigurationMissing');
    expect(failureOf(error).message).toMatch(/service "billing" is not in kubernetes.deployments \(configured: api, flowable\)/);
    expect(cluster.requests).toHaveLength(0);
  });

  it('fails without kubeconfig or inCluster', async () => {
    const deps: KubernetesDeps = { config: { kubernetes: { ...kubernetesConfig(), kubeconfig: undefined } } };

    const error = await rejectionOf(runActivity(deploymentLogs, deps, request));

    expect(failureOf(error).type).toBe('ConfigurationMissing');
    expect(failureOf(error).message).toMatch(/kubernetes.kubeconfig is not set and kubernetes.inCluster is false/);
  });

  it('fails for a missing kubeconfig file', async () => {
    const error = await rejectionOf(runActivity(deploymentLogs, depsWith({ kubeconfig: '/nonexistent/barq/kubeconfig' }), request));

    expect(failureOf(error).type).toBe('ConfigurationMissing');
    expect(failureOf(error).message).toMatch(/kubeconfig file \/nonexistent\/barq\/kubeconfig \(kubernetes.kubeconfig\) does not exist/);
  });

  it('fails for an unknown context', async () => {
    const error = await rejectionOf(runActivity(deploymentLogs, depsWith({ context: 'production' }), request));

    expect(failureOf(error).type).toBe('ConfigurationMissing');
    expect(failureOf(error).message).toMatch(/context production \(kubernetes.context\) is not in kubeconfig file .*, which has: barq-fake/);
  });

  it('uses the configured context', async () => {
    const port = await freePort();
    const path = cluster.writeKubeconfig({
      extraContexts: [{ name: 'elsewhere', server: `http://127.0.0.1:${port}`, token: 'other-token' }],
      currentContext: 'elsewhere',
    });

    const history = await runActivity(recentRollouts, depsWith({ kubeconfig: path, context: 'barq-fake' }), request);

    expect(history.currentRevision).toBe(10);
  });

  it('fails in-cluster outside a pod', async () => {
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '');
    const deps: KubernetesDeps = { config: { kubernetes: { ...kubernetesConfig(), kubeconfig: undefined, inCluster: true } } };

    const error = await rejectionOf(runActivity(deploymentLogs, deps, request));

    expect(failureOf(error).type).toBe('ConfigurationMissing');
    expect(failureOf(error).message).toMatch(/KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set/);
  });

  it('rejects an http server that verifies TLS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'barq-kubeconfig-'));
    tempDirs.push(dir);
    const path = join(dir, 'kubeconfig.yaml');
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: plain, cluster: { server: "http://127.0.0.1:1" } }]',
        'users: [{ name: plain, user: { token: t } }]',
        'contexts: [{ name: plain, context: { cluster: plain, user: plain } }]',
        'current-context: plain',
      ].join('\n'),
    );

    const error = await rejectionOf(runActivity(deploymentLogs, depsWith({ kubeconfig: path }), request));

    expect(failureOf(error).type).toBe('ConfigurationInvalid');
    expect(failureOf(error).message).toMatch(/insecure-skip-tls-verify/);
  });

  it('rejects a kubeconfig that is not YAML', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'barq-kubeconfig-'));
    tempDirs.push(dir);
    const path = join(dir, 'kubeconfig.yaml');
    writeFileSync(path, 'users:\n  - name: admin\n    user: { token: "s3cret-token\n');

    const error = await rejectionOf(runActivity(deploymentLogs, depsWith({ kubeconfig: path }), request));

    expect(failureOf(error).type).toBe('ConfigurationInvalid');
    expect(failureOf(error).message).toMatch(/is invalid: not valid YAML at line/);
    expect(failureOf(error).message).not.toContain('s3cret-token');
  });

  it('uses an injected KubeConfig', async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    const deps: KubernetesDeps = { config: { kubernetes: { ...kubernetesConfig(), kubeconfig: undefined } }, kubeConfig };

    const history = await runActivity(recentRollouts, deps, request);

    expect(history.rollouts).toHaveLength(3);
  });
});
