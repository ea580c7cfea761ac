import { runActivity } from '../helpers/activity.js';
import axios from 'axios';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createActivities } from '../../src/activities/index.js';
import type { PagePayload } from '../../src/activities/delivery.js';
import type { PageRequest } from '../../src/shared/incident.js';
import { testConfig } from '../helpers/config.js';
import { Receiver } from '../helpers/receiver.js';

const pager = new Receiver();

beforeAll(async () => {
  await pager.start();
});

afterAll(async () => {
  await pager.stop();
});

const request: PageRequest = {
  incidentId: 'alertmanager-0123456789abcdef01234567',
  runId: '3f8c2a6e-1d4b-4c9a-9e1f-6b7d8a9c0e12',
  contactId: 'secondary-oncall',
  step: 'escalation-1',
  severity: 'P0',
  service: 'barq-api',
  summary: 'barq-api is not answering health checks',
  stage: 'immediate-actions',
  reason: 'not acknowledged within 5m',
};

function pagingActivities() {
  const config = testConfig((draft) => {
    for (const contact of draft.contacts) contact.webhook = `${pager.url}/pages/${contact.id}`;
  });
  return createActivities({ config, http: axios.create(), devInboxUrl: 'http://127.0.0.1:1' });
}

describe('pageContact', () => {
  it('posts the page with its idempotency key', async () => {
    pager.respond = () => ({ status: 202, body: {} });
    const activities = pagingActivities();

    const result = await runActivity(activities.pageContact, request);

    const received = pager.on('/pages/secondary-oncall').at(-1);
    const expectedKey = `${request.incidentId}/${request.runId}/escalation-1/secondary-oncall`;
    expect(received?.method).toBe('POST');
    expect(received?.headers['idempotency-key']).toBe(expectedKey);
    expect(received?.headers['content-type']).toContain('application/json');
    const body = received?.body as PagePayload;
    expect(body.idempotencyKey).toBe(expectedKey);
    expect(body.contact).toEqual({ id: 'secondary-oncall', name: 'Secondary on-call' });
    expect(body.severity).toBe('P0');
    expect(body.reason).toBe('not acknowledged within 5m');
    expect(body.links.incident).toBe(`http://127.0.0.1:3000/incidents/${request.incidentId}`);
    expect(body.links.temporalUi).toBe(`http://127.0.0.1:8233/namespaces/default/workflows/${request.incidentId}`);
    expect(result).toEqual({ contactId: 'secondary-oncall', idempotencyKey: expectedKey, httpStatus: 202, duplicate: false });
  });

  it('reports a receiver that saw the key before', async () => {
    pager.respond = () => ({ status: 200, body: { duplicate: true } });
    const activities = pagingActivities();

    const result = await runActivity(activities.pageContact, request);

    expect(result.duplicate).toBe(true);
  });

  it('fails non-retryably on a 4xx answer', async () => {
    pager.respond = () => ({ status: 404, body: {} });
    const activities = pagingActivities();

    const run = runActivity(activities.pageContact, request);

    await expect(run).rejects.toMatchObject({ type: 'DeliveryRejected', nonRetryable: true, details: [{ channel: 'webhook', status: 404 }] });
  });

  it('throws a retryable error on 503 and 429', async () => {
    const activities = pagingActivities();

    for (const status of [503, 429]) {
      pager.respond = () => ({ status, body: {} });
      const run = runActivity(activities.pageContact, request);
      await expect(run).rejects.toMatchObject({
        type: 'DeliveryUnavailable',
        nonRetryable: false,
        message: `page receiver of secondary-oncall responded with HTTP ${status}`,
        details: [{ channel: 'webhook', channelCount: 1, status }],
      });
    }
  });

  it('keeps the webhook URL out of error messages', async () => {
    pager.respond = () => ({ status: 500, body: {} });
    const activities = pagingActivities();

    const error = await runActivity(activities.pageContact, request).then(
      () => new Error('expected the page to fail'),
      (caught: Error) => caught,
    );

    expect(error.message).not.toContain(pager.url);
    expect(error.message).not.toContain('127.0.0.1');
  });

  it('rejects an unknown contact', async () => {
    const activities = pagingActivities();

    const run = runActivity(activities.pageContact, { ...request, contactId: 'nobody' });

    await expect(run).rejects.toMatchObject({ type: 'UnknownContact', nonRetryable: true });
  });
});
