import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildApp, type App } from '../../src/api/app.js';
import { parseApiTokens } from '../../src/api/auth.js';
import { alertmanagerPayload } from '../helpers/alertmanager.js';
import { testConfig } from '../helpers/config.js';
import { eventually, startDevServer } from '../helpers/temporal.js';

const ALICE_TOKEN = 'alice-token-0123456789abcdef';

let env: TestWorkflowEnvironment;
let app: App;

beforeAll(async () => {
  env = await startDevServer();
  app = await buildApp({
    config: testConfig(),
    client: env.client,
    tokens: parseApiTokens(`alice=${ALICE_TOKEN}`),
  });
});

afterAll(async () => {
  await app?.close();
  await env?.teardown();
});

const auth = { authorization: `Bearer ${ALICE_TOKEN}` };

async function postAlert(payload: unknown, headers: Record<string, string> = auth) {
  return app.inject({
    method: 'POST',
    url: '/webhooks/alertmanager',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

async function workflowIds(): Promise<string[]> {
  const ids: string[] = [];
  for await (const execution of env.client.workflow.list()) ids.push(execution.workflowId);
  return ids;
}

describe('alertmanager webhook input', () => {
  it('rejects invalid JSON', async () => {
    const response = await postAlert('{"version": "4", ');

    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'INVALID_JSON' });
  });

  it('names a missing alerts field', async () => {
    const { alerts: _alerts, ...payload } = alertmanagerPayload();

    const response = await postAlert(payload);

    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'INVALID_BODY', message: 'body.alerts is missing' });
    expect(response.json().details.field).toBe('body.alerts');
  });

  it('names an empty alerts list', async () => {
    const response = await postAlert({ ...alertmanagerPayload(), alerts: [] });

    expect(response.statusCode).toBe(400);
    expect(response.json().details.field).toBe('body.alerts');
    expect(response.json().message).toBe('body.alerts must have at least 1 item(s)');
  });

  it('names a wrong version', async () => {
    const response = await postAlert({ ...alertmanagerPayload(), version: '3' });

    expect(response.statusCode).toBe(400);
    expect(response.json().details.field).toBe('body.version');
    expect(response.json().message).toBe('body.version must be "4"');
  });

  it('names a bad label inside an alert', async () => {
    const payload = alertmanagerPayload();
    (payload.alerts[0] as { labels: unknown }).labels = { severity: 5 };

    const response = await postAlert(payload);

    expect(response.statusCode).toBe(400);
    expect(response.json().details.field).toBe('body.alerts.0.labels.severity');
  });

  it('rejects a body that is not JSON', async () => {
    const response = await postAlert('version=4', { ...auth, 'content-type': 'text/plain' });

    expect(response.statusCode).toBe(415);
    expect(response.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('rejects a body over the size limit', async () => {
    const payload = alertmanagerPayload({ summary: 'x'.repeat(300_000) });

    const response = await postAlert(payload);

    expect(response.statusCode).toBe(413);
    expect(response.json().code).toBe('BODY_TOO_LARGE');
  });

  it('requires a token', async () => {
    const response = await postAlert(alertmanagerPayload(), {});

    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'MISSING_TOKEN' });
    expect(response.json().message).toContain('Authorization: Bearer');
  });

  it('rejects a wrong token', async () => {
    const response = await postAlert(alertmanagerPayload(), { authorization: 'Bearer not-the-right-token-at-all' });

    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'INVALID_TOKEN', message: 'invalid bearer token' });
  });

  it('opens nothing for a resolved group without incident', async () => {
    const response = await postAlert(alertmanagerPayload({ status: 'resolved' }));

    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ incidents: [] });
  });

  it('started no workflow for any rejected input', async () => {
    // A valid alert proves visibility is working before the count is trusted.
    const accepted = await postAlert(alertmanagerPayload());
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
