import { createHash } from 'node:crypto';

import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { buildApp, type App } from '../../src/api/app.js';
import type { Config } from '../../src/config/schema.js';
import type { IncidentView } from '../../src/shared/incident.js';
import type { RecoveryRecord } from '../../src/shared/recovery.js';
import { createWorker } from '../../src/worker/worker.js';
import { alertmanagerPayload } from '../helpers/alertmanager.js';
import { testConfig } from '../helpers/config.js';
import { FakeKubernetesApi } from '../helpers/kubernetes-api.js';
import { Receiver } from '../helpers/receiver.js';
import { eventually, startDevServer } from '../helpers/temporal.js';

// Two engineers known by the digests of their tokens in the configuration.
const ALICE_TOKEN = 'alice-recovery-token-0123456789';
const BOB_TOKEN = 'bob-recovery-token-0123456789ab';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let env: TestWorkflowEnvironment;
let app: App;
let apiUrl: string;
let worker: Worker;
let running: Promise<void>;
let redis: Redis;
const pager = new Receiver();
const barqApi = new Receiver();
const cluster = new FakeKubernetesApi();

beforeAll(async () => {
  env = await startDevServer();
  await Promise.all([pager.start(), barqApi.start(), cluster.start()]);
  redis = new Redis(inject('redisUrl'), { lazyConnect: true });
  await redis.connect();

  const config: Config = testConfig((draft) => {
    draft.service.baseUrl = barqApi.url;
    draft.flowable.baseUrl = barqApi.url;
    draft.redis.url = inject('redisUrl');
    draft.temporal.namespace = env.namespace ?? 'default';
    for (const contact of draft.contacts) contact.webhook = `${pager.url}/pages/${contact.id}`;
    draft.auth = {
      engineers: [
        { id: 'alice', name: 'Alice', tokenSha256: sha256(ALICE_TOKEN) },
        { id: 'bob', name: 'Bob', tokenSha256: sha256(BOB_TOKEN) },
      ],
    };
    draft.kubernetes = {
      kubeconfig: cluster.writeKubeconfig(),
      namespace: 'barq',
      deployments: { api: { name: 'barq-api' }, flowable: { name: 'flowable-rest' } },
      rolloutPollInterval: '100ms',
    };
    // Real seconds stand in for the configured minutes on the dev server.
    if (draft.recovery !== undefined) draft.recovery.approvalTimeout = '2s';
  });

  app = await buildApp({ config, client: env.client, tokens: [] });
  apiUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  worker = await createWorker({ config, connection: env.nativeConnection, devInboxUrl: apiUrl });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await app?.close();
  redis?.disconnect();
  await Promise.all([pager.stop(), barqApi.stop(), cluster.stop()]);
  await env?.teardown();
});

async function api(method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function declareP0(): Promise<string> {
  const { body } = await api('POST', '/webhooks/alertmanager', ALICE_TOKEN, alertmanagerPayload({ severities: ['critical'] }));
  return body['incidents'][0].id as string;
}

async function recoveryOf(id: string, requestId: string, final: boolean): Promise<{ view: IncidentView; record: RecoveryRecord }> {
  return eventually(
    async () => {
      const view = (await api('GET', `/incidents/${id}`, ALICE_TOKEN)).body as IncidentView;
      const record = view.recoveries.find((candidate) => candidate.id === requestId);
      if (record === undefined) return undefined;
      const settled = !['awaiting-approval', 'running'].includes(record.status);
      return !final || settled ? { view, record } : undefined;
    },
    `recovery request ${requestId}`,
    60_000,
  );
}

describe('recovery approval end to end', () => {
  it('runs a restart approved by a second engineer', async () => {
    barqApi.respond = () => ({ status: 200, body: { status: 'Healthy' } });
    const id = await declareP0();

    const requested = await api('POST', `/incidents/${id}/recovery`, ALICE_TOKEN, { step: 'restart-api', reason: 'pods stuck on a dead cache connection' });
    expect(requested.status).toBe(202);
    expect(requested.body).toMatchObject({ id: 'r1', status: 'awaiting-approval', requestedBy: 'alice', risk: 'medium' });

    const selfApproved = await api('POST', `/incidents/${id}/recovery/r1/approve`, ALICE_TOKEN, {});
    expect(selfApproved.status).toBe(403);
    expect(selfApproved.body).toMatchObject({ code: 'SELF_APPROVAL' });
    expect(selfApproved.body['message']).toBe('alice requested r1 (Rolling restart of barq-api) and cannot approve it; another engineer must');
    expect(cluster.requests.filter((request) => request.method === 'PATCH')).toEqual([]);

    const approved = await api('POST', `/incidents/${id}/recovery/r1/approve`, BOB_TOKEN, { note: 'agreed' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'running', approvedBy: 'bob' });

    const { view, record } = await recoveryOf(id, 'r1', true);
    expect(record).toMatchObject({ status: 'succeeded', requestedBy: 'alice', approvedBy: 'bob' });
    expect(record.verification.map((result) => `${result.checkId}:${result.ok}`)).toEqual(['api-live:true', 'api-ready:true']);

    const patches = cluster.requests.filter((request) => request.method === 'PATCH');
    expect(patches).toHaveLength(1);
    expect(patches[0]?.path).toBe('/apis/apps/v1/namespaces/barq/deployments/barq-api');
    expect(patches[0]?.headers['content-type']).toBe('application/strategic-merge-patch+json');
    const annotations = (patches[0]?.body as { spec: { template: { metadata: { annotations: Record<string, string> } } } }).spec.template.metadata
      .annotations;
    expect(Object.keys(annotations)).toEqual(['kubectl.kubernetes.io/restartedAt']);

    const types = view.timeline.filter((entry) => entry.recoveryId === 'r1').map((entry) => `${entry.type}:${entry.actor ?? ''}`);
    expect(types).toEqual(['recovery-requested:alice', 'recovery-approved:bob', 'recovery-started:bob', 'recovery-succeeded:']);
    const done = view.timeline.find((entry) => entry.type === 'recovery-succeeded');
    expect(done?.message).toContain('Verification: api-live passed, api-ready passed');
    expect(done?.message).toContain('Requested by alice at');
    expect(done?.message).toContain('approved by bob at');

    const resolved = await api('POST', `/incidents/${id}/resolve`, BOB_TOKEN, { summary: 'restart cleared it', resolutionType: 'other' });
    expect(resolved.status).toBe(200);
  });

  it('escalates an overdue approval and never runs the step', async () => {
    await redis.set('barq:cache:tenant-7', 'warm');
    const id = await declareP0();

    const requested = await api('POST', `/incidents/${id}/recovery`, ALICE_TOKEN, { step: 'flush-redis', reason: 'stale tenant data' });
    expect(requested.status).toBe(202);

    const page = await eventually(
      async () =>
        pager
          .on('/pages/engineering-manager')
          .find((request) => String(request.headers['idempotency-key']).endsWith('/recovery-r1-approval/engineering-manager')),
      'the approval escalation page',
    );
    expect(page.body).toMatchObject({ incidentId: id });

    const { view, record } = await recoveryOf(id, 'r1', false);
    expect(record.status).toBe('awaiting-approval');
    expect(record.approvalEscalatedAt).toBeDefined();
    expect(view.timeline.find((entry) => entry.type === 'recovery-approval-overdue')?.flagged).toBe(true);
    expect(await redis.get('barq:cache:tenant-7')).toBe('warm');

    const rejected = await api('POST', `/incidents/${id}/recovery/r1/reject`, BOB_TOKEN, { note: 'cache is fine' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'rejected', rejectedBy: 'bob' });
    expect(await redis.get('barq:cache:tenant-7')).toBe('warm');

    await api('POST', `/incidents/${id}/resolve`, BOB_TOKEN, { summary: 'not the cache', resolutionType: 'other' });
  });

  it('rejects bad recovery requests and records nothing', async () => {
    const id = await declareP0();
    const cases: Array<{ path: string; body: unknown; status: number; code: string; message: string }> = [
      { path: 'recovery', body: { reason: 'x' }, status: 400, code: 'INVALID_BODY', message: 'body.step is missing' },
      { path: 'recovery', body: { step: 'reboot', reason: 'x' }, status: 400, code: 'INVALID_BODY', message: 'body.step reboot is not in the recovery catalogue' },
      { path: 'recovery', body: { step: 'scale-api', reason: 'x', replicas: 'six' }, status: 400, code: 'INVALID_BODY', message: 'body.replicas' },
      { path: 'recovery', body: { step: 'scale-api', reason: 'x' }, status: 400, code: 'INVALID_BODY', message: 'body.replicas is missing; scale-api needs a whole number from 0 to 12' },
      { path: 'recovery', body: { step: 'restart-api' }, status: 400, code: 'INVALID_BODY', message: 'body.reason is missing' },
      { path: 'recovery/r9/approve', body: {}, status: 404, code: 'RECOVERY_REQUEST_NOT_FOUND', message: 'has no recovery request r9' },
      { path: 'recovery/first/approve', body: {}, status: 400, code: 'INVALID_PARAMETER', message: 'params.requestId' },
      { path: 'recovery/r1/reject', body: {}, status: 400, code: 'INVALID_BODY', message: 'body.note is missing' },
    ];

    for (const { path, body, status, code, message } of cases) {
      const response = await api('POST', `/incidents/${id}/${path}`, ALICE_TOKEN, body);
      expect(response.status, `${path} ${JSON.stringify(body)}`).toBe(status);
      expect(response.body['code'], `${path} ${JSON.stringify(body)}`).toBe(code);
      expect(response.body['message'], `${path} ${JSON.stringify(body)}`).toContain(message);
    }
    const view = (await api('GET', `/incidents/${id}`, ALICE_TOKEN)).body as IncidentView;
    expect(view.recoveries).toEqual([]);
    expect(view.timeline.some((entry) => entry.type.startsWith('recovery-'))).toBe(false);

    await api('POST', `/incidents/${id}/resolve`, ALICE_TOKEN, { summary: 'nothing to do', resolutionType: 'other' });
  });
});
