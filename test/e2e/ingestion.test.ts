import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { IncidentView } from '../../src/shared/incident.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { eventually } from '../helpers/temporal.js';

const ALICE_TOKEN = 'alice-token-0123456789abcdef';
const GRAFANA_SECRET = 'grafana-hmac-secret-for-tests';
const ROUTING_KEY = 'b4e7c1a09d3f4e52a8c6f0e2d7b91a3c';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    tokens: `alice=${ALICE_TOKEN},bob=bob-token-0123456789abcdef`,
    env: { GRAFANA_SECRET, PAGERDUTY_ROUTING_KEY: ROUTING_KEY },
    patch: (draft) => {
      draft.alerts.integrations.grafana!.auth = {
        kind: 'hmac',
        secretEnv: 'GRAFANA_SECRET',
        signatureHeader: 'X-Grafana-Alerting-Signature',
        timestampHeader: 'X-Grafana-Alerting-Timestamp',
      };
      draft.alerts.integrations.pagerduty!.auth = { kind: 'routing-key', keyEnv: 'PAGERDUTY_ROUTING_KEY' };
    },
  });
});

afterAll(async () => {
  await stack?.stop();
});

function fixture(name: string): Record<string, any> {
  return JSON.parse(readFileSync(new URL(`../fixtures/alerts/${name}.json`, import.meta.url), 'utf8')) as Record<string, any>;
}

/** Gives a fixture a fresh identity, so each test opens its own incidents on the shared server. */
function fresh(payload: Record<string, any>, route: string, suffix: string): Record<string, any> {
  const copy = structuredClone(payload);
  if (route === 'alertmanager' || route === 'grafana') copy['groupKey'] = `${copy['groupKey']}:${suffix}`;
  if (route === 'azure-monitor') copy['data'].essentials.alertId = `${copy['data'].essentials.alertId}-${suffix}`;
  if (route === 'pagerduty') copy['dedup_key'] = `${copy['dedup_key']}-${suffix}`;
  if (route === 'json') copy['key'] = `${copy['key']}-${suffix}`;
  return copy;
}

async function post(route: string, payload: unknown, headers: Record<string, string> = {}) {
  const body = JSON.stringify(payload);
  const signing: Record<string, string> = {};
  if (route === 'grafana') {
    const timestamp = String(Math.floor(Date.now() / 1000));
    signing['x-grafana-alerting-timestamp'] = timestamp;
    signing['x-grafana-alerting-signature'] = createHmac('sha256', GRAFANA_SECRET).update(`${timestamp}:${body}`).digest('hex');
  }
  const auth: Record<string, string> = route === 'grafana' || route === 'pagerduty' ? {} : { authorization: `Bearer ${ALICE_TOKEN}` };
  const response = await fetch(`${stack.apiUrl}/webhooks/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth, ...signing, ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function api(method: string, path: string, body?: unknown, token = ALICE_TOKEN) {
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function view(id: string): Promise<IncidentView> {
  return (await api('GET', `/incidents/${id}`)).body as IncidentView;
}

function incidentIdOf(route: string, body: Record<string, any>): string {
  return String(route === 'pagerduty' ? body['incident_id'] : body['incidents'][0].id);
}

const SOURCES = [
  { route: 'alertmanager', firing: 'alertmanager-firing', resolved: 'alertmanager-resolved', severity: 'P0', service: 'barq-api' },
  { route: 'grafana', firing: 'grafana-firing', resolved: 'grafana-resolved', severity: 'P2', service: 'barq-payments' },
  { route: 'azure-monitor', firing: 'azure-monitor-fired', resolved: 'azure-monitor-resolved', severity: 'P1', service: 'barq-payments' },
  { route: 'pagerduty', firing: 'pagerduty-trigger', resolved: 'pagerduty-resolve', severity: 'P0', service: 'barq-api' },
] as const;

describe('alert ingestion end to end', () => {
  it.each(SOURCES)('$route: one incident per identity at $severity, and its resolve starts the cool-down', async (source) => {
    const suffix = `e2e-${Date.now()}`;
    const firing = fresh(fixture(source.firing), source.route, suffix);
    const resolved = fresh(fixture(source.resolved), source.route, suffix);

    const [first, repeat] = await Promise.all([post(source.route, firing), post(source.route, firing)]);
    const id = incidentIdOf(source.route, first.body);
    const open = await eventually(async () => {
      const current = await view(id);
      return current.alertOccurrences === 2 ? current : undefined;
    }, 'both occurrences');
    const resolve = await post(source.route, resolved);
    const cooling = await eventually(async () => {
      const current = await view(id);
      return current.status === 'resolved-pending' ? current : undefined;
    }, 'the cool-down');

    expect(first.status).toBe(202);
    expect(incidentIdOf(source.route, repeat.body)).toBe(id);
    expect(open.severity).toBe(source.severity);
    expect(open.service).toBe(source.service);
    expect(open.source).toBe(source.route);
    expect(resolve.status).toBe(202);
    expect(cooling.alertStatus).toBe('resolved');
  });

  it('json: a script opens and resolves an incident by its key', async () => {
    const key = `nightly-backup-${Date.now()}`;

    const opened = await post('json', { key, status: 'firing', summary: 'nightly backup of BARQ_DB failed', severity: 'high', service: 'barq-db' });
    const id = opened.body['incidents'][0].id as string;
    await post('json', { key, status: 'resolved' });
    const cooling = await eventually(async () => {
      const current = await view(id);
      return current.status === 'resolved-pending' ? current : undefined;
    }, 'the cool-down');

    expect(opened.status).toBe(202);
    expect(opened.body['incidents'][0]).toMatchObject({ alertSeverity: 'P1', alertStatus: 'firing' });
    expect(cooling.summary).toBe('nightly backup of BARQ_DB failed');
  });

  it('keeps a truncated group open when every listed alert resolved', async () => {
    const truncated = fresh(fixture('alertmanager-truncated-resolved'), 'alertmanager', `trunc-${Date.now()}`);
    const firing = structuredClone(truncated);
    firing['status'] = 'firing';
    for (const alert of firing['alerts']) alert.status = 'firing';

    const opened = await post('alertmanager', firing);
    const id = opened.body['incidents'][0].id as string;
    const answer = await post('alertmanager', truncated);
    const after = await eventually(async () => {
      const current = await view(id);
      return current.alertOccurrences === 2 ? current : undefined;
    }, 'the truncated notification');

    expect(answer.status).toBe(202);
    expect(after.status).toBe('open');
    expect(after.alertStatus).toBe('firing');
  });

  it('opens nothing for a truncated group that says resolved', async () => {
    const truncated = fresh(fixture('alertmanager-truncated-resolved'), 'alertmanager', `trunc-alone-${Date.now()}`);

    const answer = await post('alertmanager', truncated);

    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ incidents: [] });
  });

  it('lands 50 concurrent posts of one group on one workflow and counts each', async () => {
    const payload = fresh(fixture('alertmanager-firing'), 'alertmanager', `burst-${Date.now()}`);

    const answers = await Promise.all(Array.from({ length: 50 }, () => post('alertmanager', payload)));
    const ids = new Set(answers.map((answer) => answer.body['incidents'][0].id as string));
    const [id] = [...ids];
    const counted = await eventually(async () => {
      const current = await view(id!);
      return current.alertOccurrences === 50 ? current : undefined;
    }, '50 occurrences');
    const runs = await eventually(async () => {
      const listed: string[] = [];
      for await (const execution of stack.env.client.workflow.list({ query: `WorkflowId = '${id}'` })) listed.push(execution.runId);
      return listed.length > 0 ? listed : undefined;
    }, 'the run in visibility');

    expect(answers.every((answer) => answer.status === 202)).toBe(true);
    expect(ids.size).toBe(1);
    expect(counted.alertOccurrences).toBe(50);
    expect(runs).toHaveLength(1);
  });

  it('pagerduty: keyless trigger, acknowledge, resolve', async () => {
    const { dedup_key: _key, ...trigger } = fixture('pagerduty-trigger');

    const opened = await post('pagerduty', trigger);
    const dedupKey = opened.body['dedup_key'] as string;
    const acknowledged = await post('pagerduty', { routing_key: ROUTING_KEY, event_action: 'acknowledge', dedup_key: dedupKey });
    const resolved = await post('pagerduty', { routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: dedupKey });
    const cooling = await eventually(async () => {
      const current = await view(String(opened.body['incident_id']));
      return current.status === 'resolved-pending' ? current : undefined;
    }, 'the cool-down');

    expect(opened).toMatchObject({ status: 202, body: { status: 'success', message: 'Event processed' } });
    expect(dedupKey).toMatch(/^[0-9a-f]{32}$/);
    expect(acknowledged.body['incident_id']).toBe(opened.body['incident_id']);
    expect(resolved.status).toBe(202);
    expect(cooling.acknowledgedBy).toBe('pagerduty-events');
  });

  it('answers an acknowledge for an unknown key with 202 and no incident', async () => {
    const answer = await post('pagerduty', { routing_key: ROUTING_KEY, event_action: 'acknowledge', dedup_key: `unknown-${Date.now()}` });

    expect(answer.status).toBe(202);
    expect(answer.body['incident_id']).toBeNull();
  });
});

describe('maintenance windows end to end', () => {
  it('records a matching alert without paging, and pages once the window is ended', async () => {
    const service = `barq-maint-${Date.now()}`;
    const endsAt = new Date(Date.now() + 2 * 3600_000).toISOString();
    const created = await api('POST', '/maintenance-windows', { endsAt, matchers: { service }, reason: 'SQL Server patching' });
    const windowId = created.body['id'] as string;
    const listed = await api('GET', '/maintenance-windows');
    const shown = await api('GET', `/maintenance-windows/${windowId}`);

    const alert = await post('json', { key: `${service}-down`, status: 'firing', summary: 'health checks failing', severity: 'P2', service });
    const id = alert.body['incidents'][0].id as string;
    const held = await eventually(async () => {
      const current = await view(id);
      return current.checks.initial.length > 0 ? current : undefined;
    }, 'the initial checks');
    const pagesWhileHeld = stack.pager.requests.filter((request) => (request.body as { incidentId?: string })?.incidentId === id);

    const ended = await api('POST', `/maintenance-windows/${windowId}/end`);
    const page = await eventually(
      async () => stack.pager.requests.find((request) => (request.body as { incidentId?: string })?.incidentId === id),
      'the page after the window ended',
    );
    const again = await api('POST', `/maintenance-windows/${windowId}/end`);
    const afterEnd = await api('GET', '/maintenance-windows');

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ author: 'alice', status: 'active', matchers: { service }, remindBefore: '15m' });
    expect(listed.body['windows'].map((window: { id: string }) => window.id)).toContain(windowId);
    expect(shown.status).toBe(200);
    expect(shown.body['reminder']).toMatchObject({ state: 'pending' });
    expect(alert.body['incidents'][0].maintenanceWindowId).toBe(windowId);
    expect(held.paged).toHaveLength(0);
    expect(held.maintenance?.windowId).toBe(windowId);
    expect(pagesWhileHeld).toHaveLength(0);
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ status: 'ended', endedBy: 'alice' });
    expect(page.path).toBe('/pages/primary-oncall');
    expect(again.status).toBe(409);
    expect(afterEnd.body['windows'].map((window: { id: string }) => window.id)).not.toContain(windowId);
  });

  it('refuses a window longer than maintenance.maxDuration, naming the field', async () => {
    const endsAt = new Date(Date.now() + 48 * 3600_000).toISOString();

    const answer = await api('POST', '/maintenance-windows', { endsAt, matchers: { service: 'barq-api' }, reason: 'long job' });

    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'INVALID_BODY', details: { field: 'body.endsAt' } });
    expect(answer.body['message']).toContain('a window lasts at most maintenance.maxDuration (24h)');
  });
});
