import axios from 'axios';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { deliverPage, mirrorToPagerDuty, type DeliveryDeps } from '../../src/activities/delivery.js';
import { verifyWebhookSignature } from '../../src/activities/providers/signed-webhook.js';
import type { Config } from '../../src/config/schema.js';
import type { PageRequest } from '../../src/shared/incident.js';
import { runActivity } from '../helpers/activity.js';
import { testConfig } from '../helpers/config.js';
import { ProviderReceiver } from '../helpers/provider-receiver.js';

const provider = new ProviderReceiver();

beforeAll(async () => {
  await provider.start();
});

beforeEach(() => {
  provider.clear();
  provider.respond = () => ({ status: 200, body: {} });
});

afterAll(async () => {
  await provider.stop();
});

const PHONE = '+966501234567';

const page: PageRequest = {
  incidentId: 'alertmanager-0123456789abcdef01234567',
  runId: '3f8c2a6e-1d4b-4c9a-9e1f-6b7d8a9c0e12',
  contactId: 'primary-oncall',
  step: 'escalation-0',
  severity: 'P0',
  service: 'barq-api',
  summary: 'barq-api is not answering health checks',
  stage: 'immediate-actions',
  stageDueAt: '2026-12-07T09:15:00.000Z',
  reason: 'declared',
};

/** Builds a rotation of three people in Riyadh, handing over on Mondays at 09:00 local time (06:00 UTC). */
function rotationConfig(): Config {
  return testConfig((draft) => {
    draft.people = [
      {
        id: 'amira',
        name: 'Amira',
        channels: [
          { kind: 'pagerduty', routingKeyEnv: 'PD_ROUTING_KEY' },
          { kind: 'sms', phone: PHONE },
        ],
      },
      { id: 'omar', name: 'Omar', channels: [{ kind: 'webhook', url: `${provider.url}/omar`, secretEnv: 'HOOK_KEY', previousSecretEnv: 'OLD_HOOK_KEY' }] },
      { id: 'lina', name: 'Lina', channels: [{ kind: 'slack', channel: 'U024BE7LH' }] },
    ];
    draft.oncall = {
      rotations: [
        { id: 'primary', timeZone: 'Asia/Riyadh', handoff: { weekday: 'monday', time: '09:00' }, start: '2026-11-02', members: ['amira', 'omar', 'lina'] },
      ],
    };
    const primary = draft.contacts.find((contact) => contact.id === 'primary-oncall');
    if (primary !== undefined) {
      delete primary.webhook;
      primary.rotation = 'primary';
    }
    draft.providers = {
      pagerduty: { eventsUrl: `${provider.url}/pagerduty` },
      twilio: { apiUrl: `${provider.url}/twilio`, from: '+15005550006' },
      slack: { apiUrl: `${provider.url}/slack/api` },
    };
  });
}

const ENV = {
  PD_ROUTING_KEY: 'R0UTINGKEY0123456789abcdefABCDEF',
  TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef',
  TWILIO_AUTH_TOKEN: 'twilio-auth-token-secret',
  HOOK_KEY: 'new-signing-key',
  OLD_HOOK_KEY: 'old-signing-key',
  SLACK_BOT_TOKEN: 'xoxb-test-token',
};

function deps(at: string, env: NodeJS.ProcessEnv = ENV): DeliveryDeps {
  return { config: rotationConfig(), http: axios.create(), devInboxUrl: 'http://127.0.0.1:1', env, now: () => new Date(at) };
}

describe('deliverPage through a rotation', () => {
  it('pages whoever is on call at paging time', async () => {
    provider.respond = () => ({ status: 202, body: { status: 'success', dedup_key: page.incidentId } });

    const first = await runActivity((request: PageRequest) => deliverPage(deps('2026-11-02T06:00:00Z'), request), page);
    const second = await runActivity((request: PageRequest) => deliverPage(deps('2026-11-09T05:59:59Z'), request), page);
    const third = await runActivity((request: PageRequest) => deliverPage(deps('2026-11-09T06:00:00Z'), request), page);

    expect(first).toMatchObject({ personId: 'amira', onCall: true, channel: 'pagerduty', channelCount: 2 });
    expect(second).toMatchObject({ personId: 'amira' });
    expect(third).toMatchObject({ personId: 'omar', channel: 'webhook', channelCount: 1 });
  });

  it('sends a PagerDuty trigger with the incident as dedup_key', async () => {
    provider.respond = () => ({ status: 202, body: { status: 'success', dedup_key: page.incidentId } });

    await runActivity((request: PageRequest) => deliverPage(deps('2026-11-03T10:00:00Z'), request), page);

    const [trigger] = provider.requests;
    expect(trigger?.method).toBe('POST');
    expect(trigger?.path).toBe('/pagerduty/v2/enqueue');
    expect(trigger?.body).toMatchObject({
      routing_key: ENV.PD_ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: page.incidentId,
      payload: { severity: 'critical' },
    });
    expect(JSON.stringify(trigger?.body)).toContain('Stage: immediate-actions, due 2026-12-07 09:15 UTC');
  });

  it('mirrors an acknowledgement with the same dedup_key', async () => {
    provider.respond = () => ({ status: 202, body: { status: 'success', dedup_key: page.incidentId } });

    await runActivity(
      () => mirrorToPagerDuty(deps('2026-12-01T10:00:00Z'), { incidentId: page.incidentId, contactId: 'primary-oncall', personId: 'amira', channelIndex: 0, event: 'acknowledge' }),
    );

    expect(provider.requests[0]?.body).toMatchObject({ event_action: 'acknowledge', dedup_key: page.incidentId, routing_key: ENV.PD_ROUTING_KEY });
  });

  it('sends an SMS through Twilio as the second channel', async () => {
    provider.respond = () => ({ status: 201, body: { sid: 'SM0123456789abcdef0123456789abcdef' } });

    const result = await runActivity((request: PageRequest) => deliverPage(deps('2026-11-03T10:00:00Z'), request), { ...page, channelIndex: 1 });

    const [sms] = provider.requests;
    expect(result).toMatchObject({ channel: 'sms', channelIndex: 1, personId: 'amira' });
    expect(sms?.path).toBe(`/twilio/2010-04-01/Accounts/${ENV.TWILIO_ACCOUNT_SID}/Messages.json`);
    expect(sms?.headers['authorization']).toBe(`Basic ${Buffer.from(`${ENV.TWILIO_ACCOUNT_SID}:${ENV.TWILIO_AUTH_TOKEN}`).toString('base64')}`);
    expect(sms?.body).toMatchObject({ To: PHONE, From: '+15005550006' });
    expect((sms?.body as { Body: string }).Body).toContain(`/incidents/${page.incidentId}`);
  });

  it('signs a webhook with both keys during a rotation', async () => {
    await runActivity((request: PageRequest) => deliverPage(deps('2026-11-10T10:00:00Z'), request), page);

    const [hook] = provider.requests;
    const signature = String(hook?.headers['x-barq-signature']);
    const timestamp = String(hook?.headers['x-barq-timestamp']);
    expect(hook?.path).toBe('/omar');
    expect(signature.split(',')).toHaveLength(2);
    expect(verifyWebhookSignature(signature, timestamp, hook?.rawBody ?? '', ENV.HOOK_KEY, 300, Date.now())).toBe(true);
    expect(verifyWebhookSignature(signature, timestamp, hook?.rawBody ?? '', ENV.OLD_HOOK_KEY, 300, Date.now())).toBe(true);
    expect(verifyWebhookSignature(signature, timestamp, hook?.rawBody ?? '', 'another-key', 300, Date.now())).toBe(false);
  });

  it('posts to Slack with the bot token', async () => {
    provider.respond = () => ({ status: 200, body: { ok: true, channel: 'D024BE91L', ts: '1733300000.000100' } });

    await runActivity((request: PageRequest) => deliverPage(deps('2026-11-17T10:00:00Z'), request), page);

    const [post] = provider.requests;
    expect(post?.path).toBe('/slack/api/chat.postMessage');
    expect(post?.headers['authorization']).toBe(`Bearer ${ENV.SLACK_BOT_TOKEN}`);
    expect(post?.body).toMatchObject({ channel: 'U024BE7LH' });
  });
});

describe('deliverPage failures', () => {
  it('names the missing secret and the channel', async () => {
    const run = runActivity((request: PageRequest) => deliverPage(deps('2026-11-03T10:00:00Z', {}), request), page);

    await expect(run).rejects.toMatchObject({
      type: 'ConfigurationMissing',
      nonRetryable: true,
      message: 'PD_ROUTING_KEY is not set in the worker environment',
      details: [{ channel: 'pagerduty', channelCount: 2 }],
    });
  });

  it('keeps the phone number out of a failure', async () => {
    provider.respond = () => ({ status: 400, body: { code: 21211, message: `The 'To' number ${PHONE} is not a valid phone number.` } });

    const error = await runActivity((request: PageRequest) => deliverPage(deps('2026-11-03T10:00:00Z'), request), { ...page, channelIndex: 1 }).then(
      () => new Error('expected the SMS to fail'),
      (caught: Error) => caught,
    );

    expect(error).toMatchObject({ type: 'DeliveryRejected', nonRetryable: true });
    expect(JSON.stringify(error)).not.toContain(PHONE.slice(1));
    expect(error.message).not.toContain(PHONE.slice(1));
  });

  it('refuses to send unsigned when the signing key is missing', async () => {
    const run = runActivity((request: PageRequest) => deliverPage(deps('2026-11-10T10:00:00Z', { OLD_HOOK_KEY: 'old' }), request), page);

    await expect(run).rejects.toMatchObject({
      type: 'ConfigurationMissing',
      message: 'HOOK_KEY is not set in the worker environment',
      details: [{ channel: 'webhook' }],
    });
    expect(provider.requests).toEqual([]);
  });

  it('rejects a channel the contact does not have', async () => {
    const run = runActivity((request: PageRequest) => deliverPage(deps('2026-11-03T10:00:00Z'), request), { ...page, channelIndex: 2 });

    await expect(run).rejects.toMatchObject({ type: 'UnknownChannel', nonRetryable: true, details: [{ channelCount: 2 }] });
  });

  it('passes on the Retry-After of a 429', async () => {
    provider.respond = () => ({ status: 429, headers: { 'retry-after': '7' }, body: { status: 'throttle event' } });

    const run = runActivity((request: PageRequest) => deliverPage(deps('2026-11-03T10:00:00Z'), request), page);

    await expect(run).rejects.toMatchObject({ type: 'DeliveryUnavailable', nonRetryable: false, details: [{ retryAfterMs: 7000, channel: 'pagerduty' }] });
  });
});
