import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildApp, type App } from '../../src/api/app.js';
import { parseApiTokens } from '../../src/api/auth.js';
import { testConfig } from '../helpers/config.js';
import { startDevServer } from '../helpers/temporal.js';

const TOKEN = 'alice-token-0123456789abcdef';

let env: TestWorkflowEnvironment;
let app: App;

beforeAll(async () => {
  env = await startDevServer();
  app = await buildApp({ config: testConfig(), client: env.client, tokens: parseApiTokens(`alice=${TOKEN}`) });
});

afterAll(async () => {
  await app?.close();
  await env?.teardown();
});

async function post(url: string, body: unknown, token = TOKEN) {
  return app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

/** Bodies that miss or break one field, with the field and the message the API must name. */
const INVALID_BODIES: Array<{ path: string; body: unknown; message: string }> = [
  { path: 'resolve', body: { resolutionType: 'rollback' }, message: 'body.summary is missing' },
  { path: 'resolve', body: { summary: 'fixed', resolutionType: 'magic' }, message: 'body.resolutionType must be' },
  { path: 'resolve', body: { summary: '', resolutionType: 'hotfix' }, message: 'body.summary must have at least 1 character(s)' },
  { path: 'escalate', body: {}, message: 'body.reason is missing' },
  { path: 'escalate', body: { reason: 'help', contactId: 'nobody' }, message: 'body.contactId nobody is not a configured contact' },
  { path: 'severity', body: { severity: 'P9', reason: 'worse' }, message: 'body.severity must be' },
  { path: 'severity', body: { severity: 'P0' }, message: 'body.reason is missing' },
  { path: 'notes', body: { text: 5 }, message: 'body.text must be of type string' },
  { path: 'notes', body: { text: 'x', extra: true }, message: 'body.extra is not a known field' },
  { path: 'roles', body: { role: 'scribe', contactId: 'primary-oncall' }, message: 'body.role must be' },
  { path: 'roles', body: { role: 'incident-commander', contactId: 'ghost' }, message: 'body.contactId ghost is not a configured contact' },
  { path: 'tasks/assess-impact/complete', body: { note: 7 }, message: 'body.note must be of type string' },
];

describe('incident command input', () => {
  it.each(INVALID_BODIES)('rejects $path body: $message', async ({ path, body, message }) => {
    const response = await post(`/incidents/alertmanager-unknown/${path}`, body);

    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('INVALID_BODY');
    expect(response.json().message).toContain(message);
  });

  it('names a malformed task ID', async () => {
    const response = await post('/incidents/alertmanager-unknown/tasks/Not_A_Task/complete', {});

    expect(response.statusCode).toBe(400);
    expect(response.json().message).toContain('params.taskId must match');
  });

  it('returns 404 for commands on an unknown incident', async () => {
    const response = await post('/incidents/alertmanager-unknown/notes', { text: 'anyone?' });

    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'INCIDENT_NOT_FOUND' });
  });

  it('requires a token for commands', async () => {
    const response = await post('/incidents/alertmanager-unknown/notes', { text: 'anyone?' }, 'wrong-token-0123456789');

    expect(response.statusCode).toBe(401);
  });
});

describe('follow-up input', () => {
  it('names a link that is not http', async () => {
    const response = await post('/follow-ups/x-follow-up-1/post-mortem', { link: 'ftp://docs/pm' });

    expect(response.statusCode).toBe(400);
    expect(response.json().message).toContain('body.link must match');
  });

  it('names an empty action item list', async () => {
    const response = await post('/follow-ups/x-follow-up-1/action-items', { items: [] });

    expect(response.statusCode).toBe(400);
    expect(response.json().message).toBe('body.items must have at least 1 item(s)');
  });

  it('names a bad due date', async () => {
    const response = await post('/follow-ups/x-follow-up-1/action-items', {
      items: [{ title: 'add alert on pool size', owner: 'alice', dueDate: 'next week' }],
    });

    expect(response.statusCode).toBe(400);
    expect(response.json().details.field).toBe('body.items.0.dueDate');
  });

  it('returns 404 for an unknown follow-up', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/follow-ups/x-follow-up-1',
      headers: { authorization: `Bearer ${TOKEN}` },
    });

    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'FOLLOW_UP_NOT_FOUND' });
  });
});
