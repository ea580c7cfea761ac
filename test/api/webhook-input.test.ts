import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildApp, type App } from '../../src/api/app.js';
import { parseApiTokens } from '../../src/api/auth.js';
import { alertmanagerPayload } from '../helpers/alertmanager.js';
import { testConfig } from '../helpers/config.js';
import { eventually, startDevServer } from '../helpers/temporal.js';

const ALICE_TOKEN = 'alice-token-0123456789abcdef';
const GRAFANA_SECRET = 'grafana-hmac-secret-for-tests';
const JSON_TOKEN = 'json-integration-token-0123';
const ROUTING_KEY = 'b4e7c1a09d3f4e52a8c6f0e2d7b91a3c';
const AZURE_USER = 'azure-monitor';
const AZURE_PASSWORD = 'azure-password-0123';

let env: TestWorkflowEnvironment;
let app: App;
let openApi: { paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>> };

beforeAll(async () => {
  env = await startDevServer();
  const config = testConfig((draft) => {
    const { integrations } = draft.alerts;
    integrations.grafana!.auth = {
      kind: 'hmac',
      secretEnv: 'GRAFANA_SECRET',
      signatureHeader: 'X-Grafana-Alerting-Signature',
      timestampHeader: 'X-Grafana-Alerting-Timestamp',
    };
    integrations.azureMonitor!.auth = { kind: 'basic', usernameEnv: 'AZURE_USER', passwordEnv: 'AZURE_PASSWORD' };
    integrations.pagerduty!.auth = { kind: 'routing-key', keyEnv: 'PAGERDUTY_KEY' };
    integrations.json!.auth = { kind: 'bearer', tokenEnv: 'JSON_TOKEN' };
    integrations.json!.rateLimit = { perMinute: 1, burst: 3 };
  });
  app = await buildApp({
    config,
    client: env.client,
    tokens: parseApiTokens(`alice=${ALICE_TOKEN}`),
    env: { GRAFANA_SECRET, AZURE_USER, AZURE_PASSWORD, PAGERDUTY_KEY: ROUTING_KEY, JSON_TOKEN },
  });
  openApi = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
});

afterAll(async () => {
  await app?.close();
  await env?.teardown();
});

const auth = { authorization: `Bearer ${ALICE_TOKEN}` };

function fixture(name: string): Record<string, any> {
  return JSON.parse(readFileSync(new URL(`../fixtures/alerts/${name}.json`, import.meta.url), 'utf8')) as Record<string, any>;
}

/** Returns a copy of `value` with `edit` applied. */
function edited<T>(value: T, edit: (draft: any) => void): T {
  const copy = structuredClone(value);
  edit(copy);
  return copy;
}

function grafanaSignature(body: string, timestamp = Math.floor(Date.now() / 1000), secret = GRAFANA_SECRET): Record<string, string> {
  return {
    'x-grafana-alerting-timestamp': String(timestamp),
    'x-grafana-alerting-signature': createHmac('sha256', secret).update(`${timestamp}:${body}`).digest('hex'),
  };
}

function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

const azureAuth = basic(AZURE_USER, AZURE_PASSWORD);
const jsonAuth = { authorization: `Bearer ${JSON_TOKEN}` };
const plainAlert = { key: 'nightly-backup', status: 'firing', summary: 'nightly backup failed', severity: 'P2' };

interface BadInput {
  name: string;
  route: string;
  body: unknown;
  headers?: Record<string, string>;
  /** Signs the body as Grafana does, with these changes. */
  sign?: { timestamp?: number; secret?: string };
  status: number;
  code: string;
  field?: string;
}

const BAD_INPUTS: BadInput[] = [
  { name: 'invalid JSON', route: 'alertmanager', body: '{"version": "4", ', headers: auth, status: 400, code: 'INVALID_JSON', field: 'body' },
  { name: 'an empty JSON body', route: 'alertmanager', body: '', headers: auth, status: 400, code: 'INVALID_JSON', field: 'body' },
  {
    name: 'a body that is not JSON',
    route: 'alertmanager',
    body: 'version=4',
    headers: { ...auth, 'content-type': 'text/plain' },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    field: 'headers.content-type',
  },
  {
    name: 'a body over the size limit',
    route: 'alertmanager',
    body: alertmanagerPayload({ summary: 'x'.repeat(300_000) }),
    headers: auth,
    status: 413,
    code: 'BODY_TOO_LARGE',
    field: 'body',
  },
  { name: 'a missing token', route: 'alertmanager', body: alertmanagerPayload(), status: 401, code: 'MISSING_TOKEN', field: 'headers.authorization' },
  {
    name: 'a wrong token',
    route: 'alertmanager',
    body: alertmanagerPayload(),
    headers: { authorization: 'Bearer not-the-right-token-at-all' },
    status: 401,
    code: 'INVALID_TOKEN',
    field: 'headers.authorization',
  },
  {
    name: 'a missing alerts list',
    route: 'alertmanager',
    body: edited(alertmanagerPayload(), (draft) => delete draft.alerts),
    headers: auth,
    status: 400,
    code: 'INVALID_BODY',
    field: 'body.alerts',
  },
  { name: 'an empty alerts list', route: 'alertmanager', body: { ...alertmanagerPayload(), alerts: [] }, headers: auth, status: 400, code: 'INVALID_BODY', field: 'body.alerts' },
  { name: 'a wrong version', route: 'alertmanager', body: { ...alertmanagerPayload(), version: '3' }, headers: auth, status: 400, code: 'INVALID_BODY', field: 'body.version' },
  {
    name: 'an unknown alert status',
    route: 'alertmanager',
    body: edited(alertmanagerPayload(), (draft) => (draft.alerts[0].status = 'broken')),
    headers: auth,
    status: 400,
    code: 'INVALID_BODY',
    field: 'body.alerts.0.status',
  },
  {
    name: 'a label that is a number',
    route: 'alertmanager',
    body: edited(alertmanagerPayload(), (draft) => (draft.alerts[0].labels = { severity: 5 })),
    headers: auth,
    status: 400,
    code: 'INVALID_BODY',
    field: 'body.alerts.0.labels.severity',
  },
  {
    name: 'a negative truncatedAlerts',
    route: 'alertmanager',
    body: { ...alertmanagerPayload(), truncatedAlerts: -1 },
    headers: auth,
    status: 400,
    code: 'INVALID_BODY',
    field: 'body.truncatedAlerts',
  },
  { name: 'a missing Grafana signature', route: 'grafana', body: fixture('grafana-firing'), status: 401, code: 'INVALID_SIGNATURE', field: 'headers.x-grafana-alerting-signature' },
  {
    name: 'a Grafana signature made with another secret',
    route: 'grafana',
    body: fixture('grafana-firing'),
    sign: { secret: 'not-the-secret' },
    status: 401,
    code: 'INVALID_SIGNATURE',
    field: 'headers.x-grafana-alerting-signature',
  },
  {
    name: 'a stale Grafana timestamp',
    route: 'grafana',
    body: fixture('grafana-firing'),
    sign: { timestamp: Math.floor(Date.now() / 1000) - 3600 },
    status: 401,
    code: 'INVALID_SIGNATURE',
    field: 'headers.x-grafana-alerting-timestamp',
  },
  { name: 'a signed Grafana body of the wrong version', route: 'grafana', body: { ...fixture('grafana-firing'), version: '4' }, sign: {}, status: 400, code: 'INVALID_BODY', field: 'body.version' },
  { name: 'missing basic credentials', route: 'azure-monitor', body: fixture('azure-monitor-fired'), status: 401, code: 'MISSING_CREDENTIALS', field: 'headers.authorization' },
  {
    name: 'a wrong basic password',
    route: 'azure-monitor',
    body: fixture('azure-monitor-fired'),
    headers: basic(AZURE_USER, 'wrong-password'),
    status: 401,
    code: 'INVALID_CREDENTIALS',
    field: 'headers.authorization',
  },
  {
    name: 'an unknown Azure severity',
    route: 'azure-monitor',
    body: edited(fixture('azure-monitor-fired'), (draft) => (draft.data.essentials.severity = 'Sev5')),
    headers: azureAuth,
    status: 400,
    code: 'INVALID_BODY',
    field: 'body.data.essentials.severity',
  },
  {
    name: 'an unknown monitor condition',
    route: 'azure-monitor',
    body: edited(fixture('azure-monitor-fired'), (draft) => (draft.data.essentials.monitorCondition = 'Active')),
    headers: azureAuth,
    status: 400,
    code: 'INVALID_BODY',
    field: 'body.data.essentials.monitorCondition',
  },
  {
    name: 'another alert schema',
    route: 'azure-monitor',
    body: { ...fixture('azure-monitor-fired'), schemaId: 'AzureMonitorMetricAlert' },
    headers: azureAuth,
    status: 400,
    code: 'INVALID_BODY',
    field: 'body.schemaId',
  },
  {
    name: 'a missing Azure alert ID',
    route: 'azure-monitor',
    body: edited(fixture('azure-monitor-fired'), (draft) => delete draft.data.essentials.alertId),
    headers: azureAuth,
    status: 400,
    code: 'INVALID_BODY',
    field: 'body.data.essentials.alertId',
  },
  {
    name: 'a wrong routing key',
    route: 'pagerduty',
    body: { ...fixture('pagerduty-trigger'), routing_key: 'f'.repeat(32) },
    status: 401,
    code: 'INVALID_CREDENTIALS',
    field: 'body.routing_key',
  },
  { name: 'an unknown event action', route: 'pagerduty', body: { ...fixture('pagerduty-trigger'), event_action: 'snooze' }, status: 400, code: 'INVALID_BODY', field: 'body.event_action' },
  {
    name: 'a trigger without payload',
    route: 'pagerduty',
    body: edited(fixture('pagerduty-trigger'), (draft) => delete draft.payload),
    status: 400,
    code: 'INVALID_BODY',
    field: 'body.payload',
  },
  {
    name: 'a resolve without dedup key',
    route: 'pagerduty',
    body: { routing_key: ROUTING_KEY, event_action: 'resolve' },
    status: 400,
    code: 'INVALID_BODY',
    field: 'body.dedup_key',
  },
  {
    name: 'an unknown PagerDuty severity',
    route: 'pagerduty',
    body: edited(fixture('pagerduty-trigger'), (draft) => (draft.payload.severity = 'fatal')),
    status: 400,
    code: 'INVALID_BODY',
    field: 'body.payload.severity',
  },
  {
    name: 'a summary over 1024 characters',
    route: 'pagerduty',
    body: edited(fixture('pagerduty-trigger'), (draft) => (draft.payload.summary = 's'.repeat(1025))),
    status: 400,
    code: 'INVALID_BODY',
    field: 'body.payload.summary',
  },
  { name: 'an unknown severity', route: 'json', body: { ...plainAlert, severity: 'urgent' }, headers: jsonAuth, status: 400, code: 'INVALID_BODY', field: 'body.severity' },
  {
    name: 'a firing alert without summary',
    route: 'json',
    body: edited(plainAlert, (draft) => delete draft.summary),
    headers: jsonAuth,
    status: 400,
    code: 'INVALID_BODY',
    field: 'body.summary',
  },
  { name: 'an unknown field', route: 'json', body: { ...plainAlert, colour: 'red' }, headers: jsonAuth, status: 400, code: 'INVALID_BODY', field: 'body.colour' },
  { name: 'an empty key', route: 'json', body: { ...plainAlert, key: '' }, headers: jsonAuth, status: 400, code: 'INVALID_BODY', field: 'body.key' },
  { name: 'a status that is a number', route: 'json', body: { ...plainAlert, status: 1 }, headers: jsonAuth, status: 400, code: 'INVALID_BODY', field: 'body.status' },
  {
    name: "an engineer's token on an integration with its own",
    route: 'json',
    body: plainAlert,
    headers: auth,
    status: 401,
    code: 'INVALID_CREDENTIALS',
    field: 'headers.authorization',
  },
];

async function send(input: BadInput) {
  const body = typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
  const signing = input.sign === undefined ? {} : grafanaSignature(body, input.sign.timestamp, input.sign.secret);
  return app.inject({
    method: 'POST',
    url: `/webhooks/${input.route}`,
    headers: { 'content-type': 'application/json', ...signing, ...input.headers },
    payload: body,
  });
}

async function workflowIds(): Promise<string[]> {
  const ids: string[] = [];
  for await (const execution of env.client.workflow.list()) ids.push(execution.workflowId);
  return ids;
}

describe('webhook input', () => {
  it('has at least 25 bad inputs in the table', () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(25);
  });

  it.each(BAD_INPUTS)('answers $name on /webhooks/$route with $status $code', async (input) => {
    const response = await send(input);
    const body = response.json();
    const documented = openApi.paths[`/webhooks/${input.route}`]?.['post']?.responses[String(input.status)];

    expect(response.statusCode).toBe(input.status);
    expect(body.code).toBe(input.code);
    if (input.field !== undefined) {
      expect(body.details.field).toBe(input.field);
      expect(body.message).toContain(input.field);
    }
    expect(documented?.description).toContain(`${input.code}:`);
  });

  it('answers past the rate limit with 429 and Retry-After', async () => {
    const statuses: number[] = [];
    let limited;
    for (let attempt = 0; attempt < 5 && limited === undefined; attempt += 1) {
      const response = await send({ name: 'rate', route: 'json', body: { ...plainAlert, key: 'rate-limit', status: 'resolved' }, headers: jsonAuth, status: 202, code: '' });
      statuses.push(response.statusCode);
      if (response.statusCode === 429) limited = response;
    }

    // Earlier cases on this route used part of the burst of 3.
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.slice(0, -1).every((status) => status === 202)).toBe(true);
    expect(limited?.headers['retry-after']).toMatch(/^[0-9]+$/);
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited?.json()).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('opens nothing for a resolved group without incident', async () => {
    const response = await send({ name: 'resolved', route: 'alertmanager', body: alertmanagerPayload({ status: 'resolved' }), headers: auth, status: 202, code: '' });

    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ incidents: [] });
  });

  it('started no workflow for any rejected input', async () => {
    // A valid alert proves visibility is working before the count is trusted.
    const accepted = await send({ name: 'valid', route: 'alertmanager', body: alertmanagerPayload(), headers: auth, status: 202, code: '' });
    const { id } = accepted.json().incidents[0];

    const ids = await eventually(async () => {
      const listed = await workflowIds();
      return listed.includes(id) ? listed : undefined;
    }, 'the accepted alert to appear in visibility');

    expect(accepted.statusCode).toBe(202);
    expect(ids).toEqual([id]);
  });
});

describe('incident routes input', () => {
  it('returns 404 for an unknown incident', async () => {
    const response = await app.inject({ method: 'GET', url: '/incidents/alertmanager-unknown', headers: auth });

    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'INCIDENT_NOT_FOUND', message: 'no incident with ID alertmanager-unknown' });
  });

  it('returns 404 when acknowledging an unknown incident', async () => {
    const response = await app.inject({ method: 'POST', url: '/incidents/alertmanager-unknown/acknowledge', headers: auth });

    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('INCIDENT_NOT_FOUND');
  });

  it('answers a bad token alike for known and unknown incidents', async () => {
    const headers = { authorization: 'Bearer wrong-token-0123456789' };

    const unknown = await app.inject({ method: 'GET', url: '/incidents/alertmanager-unknown', headers });
    const malformed = await app.inject({ method: 'GET', url: '/incidents/has spaces', headers });

    expect(unknown.statusCode).toBe(401);
    expect(malformed.statusCode).toBe(401);
    expect(unknown.json()).toEqual(malformed.json());
  });

  it('names a bad note field', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/incidents/alertmanager-unknown/acknowledge',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ note: 5 }),
    });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'INVALID_BODY', message: 'body.note must be of type string' });
  });

  it('names an unknown resolve field', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/incidents/alertmanager-unknown/resolve',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ summary: 'fixed', resolutionType: 'hotfix', sumary: 'typo' }),
    });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'INVALID_BODY', message: 'body.sumary is not a known field' });
  });

  it('serves health without a token', async () => {
    const live = await app.inject({ method: 'GET', url: '/health/live' });
    const ready = await app.inject({ method: 'GET', url: '/health/ready' });

    expect(live.statusCode).toBe(200);
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', temporal: 'reachable' });
  });
});
