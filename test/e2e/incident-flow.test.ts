import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { buildApp, type App } from '../../src/api/app.js';
import { parseApiTokens } from '../../src/api/auth.js';
import { DevInbox } from '../../src/api/dev-inbox.js';
import type { Config } from '../../src/config/schema.js';
import type { IncidentView } from '../../src/shared/incident.js';
import { createWorker } from '../../src/worker/worker.js';
import { alertmanagerPayload } from '../helpers/alertmanager.js';
import { testConfig } from '../helpers/config.js';
import { Receiver } from '../helpers/receiver.js';
import { eventually, startDevServer } from '../helpers/temporal.js';

const ALICE_TOKEN = 'alice-token-0123456789abcdef';
const BOB_TOKEN = 'bob-token-0123456789abcdef';
const RESOLUTION = { summary: 'rolled back the release', resolutionType: 'rollback' };

let env: TestWorkflowEnvironment;
let app: App;
let apiUrl: string;
let worker: Worker;
let running: Promise<void>;
const pager = new Receiver();
const barqApi = new Receiver();

beforeAll(async () => {
  env = await startDevServer();
  await pager.start();
  await barqApi.start();

  const config: Config = testConfig((draft) => {
    draft.service.baseUrl = barqApi.url;
    draft.redis.url = inject('redisUrl');
    draft.temporal.namespace = env.namespace ?? 'default';
    for (const contact of draft.contacts) contact.webhook = `${pager.url}/pages/${contact.id}`;
    // P3 pages the engineering manager through the development inbox, so
    // one run covers both delivery paths.
    const manager = draft.contacts.find((contact) => contact.id === 'engineering-manager');
    if (manager !== undefined) manager.webhook = 'dev-inbox';
    draft.severities.P3.page = true;
    draft.severities.P3.escalation.levels = [{ targets: ['engineering-manager'], wait: '1d' }];
  });

  app = await buildApp({
    config,
    client: env.client,
    tokens: parseApiTokens(`alice=${ALICE_TOKEN},bob=${BOB_TOKEN}`),
    devInbox: new DevInbox(),
  });
  apiUrl = await app.listen({ port: 0, host: '127.0.0.1' });

  worker = await createWorker({ config, connection: env.nativeConnection, devInboxUrl: apiUrl });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await app?.close();
  await pager.stop();
  await barqApi.stop();
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

describe('incident end to end', () => {
  it('pages, acknowledges and resolves through the API', async () => {
    barqApi.respond = () => ({ status: 200, body: { status: 'Healthy' } });
    const payload = alertmanagerPayload({ severities: ['warning', 'critical'] });

    const [first, second] = await Promise.all([
      api('POST', '/webhooks/alertmanager', ALICE_TOKEN, payload),
      api('POST', '/webhooks/alertmanager', ALICE_TOKEN, payload),
    ]);
    const id: string = first.body['incidents'][0].id;

    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body['incidents'][0].id).toBe(id);
    expect(first.body['incidents'][0].alertSeverity).toBe('P0');

    const page = await eventually(async () => pager.on('/pages/primary-oncall')[0], 'the primary page');
    const { runId } = await env.client.workflow.getHandle(id).describe();
    expect(page.headers['idempotency-key']).toBe(`${id}/${runId}/escalation-0/primary-oncall`);

    const open = await eventually(async () => {
      const { body } = await api('GET', `/incidents/${id}`, ALICE_TOKEN);
      return body['checks'].initial.length === 3 ? (body as IncidentView) : undefined;
    }, 'the initial checks');
    expect(open.status).toBe('open');
    expect(open.stage).toBe('immediate-actions');
    expect(open.deadlines.map((deadline) => deadline.stageId)).toEqual(['immediate-actions', 'investigation']);
    expect(Date.parse(open.deadlines[0]!.dueAt) - Date.parse(open.declaredAt)).toBe(15 * 60_000);
    expect(Date.parse(open.deadlines[1]!.dueAt) - Date.parse(open.declaredAt)).toBe(60 * 60_000);
    expect(open.alertOccurrences).toBe(2);
    expect(open.checks.initial.every((check) => check.ok)).toBe(true);

    const acknowledged = await api('POST', `/incidents/${id}/acknowledge`, BOB_TOKEN, { note: 'looking' });
    expect(acknowledged.status).toBe(200);
    expect(acknowledged.body['acknowledgedBy']).toBe('bob');

    const again = await api('POST', `/incidents/${id}/acknowledge`, ALICE_TOKEN);
    expect(again.status).toBe(409);
    expect(again.body['details'].status).toBe('acknowledged');

    barqApi.respond = (request) =>
      request.path === '/health/ready' ? { status: 503, body: { status: 'Degraded' } } : { status: 200, body: {} };
    const resolved = await api('POST', `/incidents/${id}/resolve`, ALICE_TOKEN, RESOLUTION);
    expect(resolved.status).toBe(200);
    expect(resolved.body['status']).toBe('resolved');
    expect(resolved.body['resolvedBy']).toBe('alice');
    const flagged = (resolved.body as IncidentView).timeline.filter((entry) => entry.flagged);
    // No Kubernetes, SQL Server or Flowable runs here, so the four investigation actions fail and are flagged too.
    expect(flagged.filter((entry) => entry.type !== 'finding-failed').map((entry) => entry.checkId ?? entry.type)).toEqual(['api-ready', 'resolved']);
    expect(flagged.filter((entry) => entry.type === 'finding-failed').map((entry) => entry.taskId).sort()).toEqual([
      'check-database',
      'check-flowable',
      'review-changes',
      'review-logs',
    ]);

    const description = await env.client.workflow.getHandle(id).describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.type).toBe('p0CriticalIncident');

    const listed = await eventually(async () => {
      const ids: string[] = [];
      const query = `IncidentStatus = 'resolved' AND IncidentSeverity = 'P0' AND IncidentService = 'barq-api'`;
      for await (const execution of env.client.workflow.list({ query })) ids.push(execution.workflowId);
      return ids.includes(id) ? ids : undefined;
    }, 'the resolved incident in visibility');
    expect(listed).toContain(id);

    const runs: string[] = [];
    for await (const execution of env.client.workflow.list({ query: `WorkflowId = '${id}'` })) runs.push(execution.runId);
    expect(runs).toHaveLength(1);

    const afterwards = await api('POST', `/incidents/${id}/resolve`, ALICE_TOKEN, RESOLUTION);
    expect(afterwards.status).toBe(409);
    expect(afterwards.body['details'].status).toBe('resolved');
    expect(pager.on('/pages/primary-oncall')).toHaveLength(1);
  });

  it('pages again when a resolved alert fires again', async () => {
    const payload = alertmanagerPayload({ severities: ['critical'] });
    const { body } = await api('POST', '/webhooks/alertmanager', ALICE_TOKEN, payload);
    const id: string = body['incidents'][0].id;
    await eventually(async () => (pager.requests.some((request) => request.body && (request.body as { incidentId?: string }).incidentId === id) ? true : undefined), 'the first page');
    await api('POST', `/incidents/${id}/resolve`, ALICE_TOKEN, RESOLUTION);

    const reopened = await api('POST', '/webhooks/alertmanager', ALICE_TOKEN, payload);
    const keys = await eventually(async () => {
      const forIncident = pager
        .on('/pages/primary-oncall')
        .filter((request) => (request.body as { incidentId?: string }).incidentId === id)
        .map((request) => String(request.headers['idempotency-key']));
      return forIncident.length === 2 ? forIncident : undefined;
    }, 'a second page for the reopened incident');
    const view = await api('GET', `/incidents/${id}`, ALICE_TOKEN);

    expect(reopened.status).toBe(202);
    expect(reopened.body['incidents'][0].id).toBe(id);
    expect(new Set(keys).size).toBe(2);
    expect(view.body['status']).toBe('open');
    expect(view.body['alertOccurrences']).toBe(1);

    await api('POST', `/incidents/${id}/resolve`, ALICE_TOKEN, RESOLUTION);
  });

  it('pages a dev-inbox contact through the inbox', async () => {
    const payload = alertmanagerPayload({ severities: ['info'] });

    const { body } = await api('POST', '/webhooks/alertmanager', ALICE_TOKEN, payload);
    const id: string = body['incidents'][0].id;
    const pages = await eventually(async () => {
      const listed = await api('GET', '/dev/inbox', ALICE_TOKEN);
      const all = listed.body['pages'] as Array<{ contactId: string; idempotencyKey: string; payload: { incidentId: string } }>;
      const forIncident = all.filter((page) => page.payload.incidentId === id && page.contactId !== 'status-page' && !page.contactId.startsWith('chat-'));
      return forIncident.length > 0 ? forIncident : undefined;
    }, 'the page in the development inbox');

    expect(body['incidents'][0].alertSeverity).toBe('P3');
    expect(pages).toHaveLength(1);
    expect(pages[0]?.contactId).toBe('engineering-manager');
    const { runId } = await env.client.workflow.getHandle(id).describe();
    expect(pages[0]?.idempotencyKey).toBe(`${id}/${runId}/escalation-0/engineering-manager`);
    const view = await api('GET', `/incidents/${id}`, ALICE_TOKEN);
    expect(view.body['paged'][0].state).toBe('delivered');

    const resolved = await api('POST', `/incidents/${id}/resolve`, ALICE_TOKEN, RESOLUTION);
    expect(resolved.status).toBe(200);
  });

  it('drops a repeated idempotency key in the inbox', async () => {
    const key = 'manual-test/escalation-0/engineering-manager';
    const post = () =>
      fetch(`${apiUrl}/dev/inbox/engineering-manager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ incidentId: 'manual-test' }),
      });

    const first = await post();
    const repeated = await post();
    const listed = await api('GET', '/dev/inbox', ALICE_TOKEN);

    expect(first.status).toBe(201);
    expect(repeated.status).toBe(200);
    expect(await repeated.json()).toEqual({ stored: false, duplicate: true });
    const keys = listed.body['pages'].map((page: { idempotencyKey: string }) => page.idempotencyKey);
    expect(keys.filter((candidate: string) => candidate === key)).toHaveLength(1);
  });

  it('runs commands and the follow-up through the API', async () => {
    const payload = alertmanagerPayload({ severities: ['high'] });
    const { body } = await api('POST', '/webhooks/alertmanager', ALICE_TOKEN, payload);
    const id: string = body['incidents'][0].id;
    const base = `/incidents/${id}`;

    const role = await api('POST', `${base}/roles`, ALICE_TOKEN, { role: 'incident-commander', contactId: 'secondary-oncall' });
    const task = await api('POST', `${base}/tasks/assess-impact/complete`, BOB_TOKEN, { note: 'checkout down for 3 tenants' });
    const automated = await api('POST', `${base}/tasks/acknowledge/complete`, BOB_TOKEN, {});
    const missingTask = await api('POST', `${base}/tasks/no-such-task/complete`, BOB_TOKEN, {});
    const note = await api('POST', `${base}/notes`, ALICE_TOKEN, { text: 'rolling back the 14:02 deploy' });
    const escalated = await api('POST', `${base}/escalate`, ALICE_TOKEN, { reason: 'need the database owner', contactId: 'engineering-manager' });
    const upgraded = await api('POST', `${base}/severity`, ALICE_TOKEN, { severity: 'P0', reason: 'all tenants affected' });
    const asP0 = await eventually(async () => {
      const view = await api('GET', base, ALICE_TOKEN);
      return view.body['severity'] === 'P0' ? (view.body as IncidentView) : undefined;
    }, 'the incident to continue as P0');

    expect(body['incidents'][0].alertSeverity).toBe('P1');
    expect(role.status).toBe(200);
    expect(role.body['roles']).toEqual({ 'incident-commander': 'secondary-oncall' });
    expect(task.status).toBe(200);
    expect(automated.status).toBe(409);
    expect(missingTask.status).toBe(404);
    expect(missingTask.body['code']).toBe('TASK_NOT_FOUND');
    expect(note.status).toBe(200);
    expect(escalated.status).toBe(200);
    expect(upgraded.status).toBe(200);
    expect(asP0.roles).toEqual({ 'incident-commander': 'secondary-oncall' });
    expect(asP0.tasks.find((candidate) => candidate.id === 'assess-impact')?.completedBy).toBe('bob');
    expect(asP0.severityHistory.map((change) => `${change.from}->${change.to}`)).toEqual(['P1->P0']);
    expect(asP0.timeline.some((entry) => entry.type === 'note' && entry.actor === 'alice')).toBe(true);
    const description = await env.client.workflow.getHandle(id).describe();
    expect(description.type).toBe('p0CriticalIncident');

    const resolved = await api('POST', `${base}/resolve`, ALICE_TOKEN, RESOLUTION);
    const followUpId = resolved.body['followUpId'] as string;
    const report = await api('POST', `/follow-ups/${followUpId}/report`, ALICE_TOKEN, { report: '# Checkout outage\n\nRolled back.' });
    const items = await api('POST', `/follow-ups/${followUpId}/action-items`, ALICE_TOKEN, {
      items: [{ title: 'alert on connection pool size', owner: 'secondary-oncall', dueDate: '2026-12-20' }],
    });
    const postMortem = await api('POST', `/follow-ups/${followUpId}/post-mortem`, BOB_TOKEN, { link: 'https://docs.invalid/pm/1' });
    const secondReport = await api('POST', `/follow-ups/${followUpId}/report`, ALICE_TOKEN, { report: 'again' });
    const followUp = await eventually(async () => {
      const view = await api('GET', `/follow-ups/${followUpId}`, ALICE_TOKEN);
      return view.body['status'] === 'complete' ? view.body : undefined;
    }, 'the follow-up to complete');

    expect(resolved.status).toBe(200);
    expect(followUpId).toContain(`${id}-follow-up-`);
    expect(report.status).toBe(200);
    expect(items.status).toBe(200);
    expect(postMortem.status).toBe(200);
    expect(secondReport.status).toBe(409);
    expect(followUp['report'].by).toBe('alice');
    expect(followUp['postMortem'].link).toBe('https://docs.invalid/pm/1');
    expect(followUp['actionItems']).toHaveLength(1);
  });
});
