import { createHmac } from 'node:crypto';

import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import axios, { AxiosError } from 'axios';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import {
  DELIVERY_REJECTED,
  DELIVERY_UNAVAILABLE,
  MAX_RETRY_AFTER_MS,
  providerErrorCode,
  retryAfterMs,
  translateDeliveryError,
} from '../../src/activities/providers/delivery-errors.js';
import type { DeliveryReceipt, OutgoingMessage } from '../../src/activities/providers/message.js';
import { PAGERDUTY, pagerDutyDedupKey, sendPagerDutyEvent, type PagerDutyTarget } from '../../src/activities/providers/pagerduty.js';
import { SIGNED_WEBHOOK, sendSignedWebhook, signWebhook, verifyWebhookSignature } from '../../src/activities/providers/signed-webhook.js';
import {
  SLACK_API,
  SLACK_WEBHOOK,
  createSlackChannel,
  findSlackChannelByName,
  incidentChannelName,
  inviteToSlackChannel,
  postSlackMessage,
  sendSlackWebhook,
  type SlackApiTarget,
} from '../../src/activities/providers/slack.js';
import { TEAMS_WEBHOOK, sendTeamsWebhook } from '../../src/activities/providers/teams.js';
import { TWILIO, sendTwilioSms, type TwilioAccount } from '../../src/activities/providers/twilio.js';
import { ProviderReceiver, closedPortUrl } from '../helpers/provider-receiver.js';

const server = new ProviderReceiver();
const http = axios.create();
const logs: LogEntry[] = [];

// Secrets that must never show up in an error message or a log line.
const SLACK_TOKEN = 'xoxb-1111-2222-slacksecrettoken';
const SLACK_WEBHOOK_PATH = '/services/T0001/B0002/slackWebhookSecret';
const TEAMS_WEBHOOK_PATH = '/webhookb2/teamsWebhookSecret';
const ROUTING_KEY = 'R0UT1NGKEYSECRET0000000000000000';
const TWILIO_AUTH_TOKEN = 'twilioAuthTokenSecret';
const WEBHOOK_SECRET = 'whsec-current-signing-key';
const PHONE = '+966501234567';
const SECRETS = [SLACK_TOKEN, SLACK_WEBHOOK_PATH, TEAMS_WEBHOOK_PATH, ROUTING_KEY, TWILIO_AUTH_TOKEN, WEBHOOK_SECRET, PHONE];

const message: OutgoingMessage = {
  idempotencyKey: 'alertmanager-0123456789abcdef01234567/3f8c2a6e/escalation-1/secondary-oncall',
  incidentId: 'alertmanager-0123456789abcdef01234567',
  severity: 'P0',
  title: 'P0 barq-api: health checks failing',
  text: [
    'barq-api returns 503 on /health.',
    'Stage: immediate-actions, due 10:05 UTC.',
    'You are the secondary on-call & the primary did not acknowledge <5m>.',
  ].join('\n'),
  links: {
    incident: 'http://127.0.0.1:3000/incidents/alertmanager-0123456789abcdef01234567',
    temporalUi: 'http://127.0.0.1:8233/namespaces/default/workflows/alertmanager-0123456789abcdef01234567',
  },
  event: 'trigger',
};

beforeAll(async () => {
  await server.start();
});

afterAll(async () => {
  await server.stop();
});

beforeEach(() => {
  server.clear();
  server.respond = () => ({ status: 200, body: {} });
  logs.length = 0;
});

/** Runs `run` in an activity context whose logger records into `logs`. */
async function inActivity<R>(run: () => Promise<R>): Promise<R> {
  const logger = new DefaultLogger('TRACE', (entry) => logs.push(entry));
  return new MockActivityEnvironment(undefined, { logger }).run(run);
}

/** Runs `run` in an activity context and returns the ApplicationFailure it throws. */
async function failureOf(run: () => Promise<unknown>): Promise<ApplicationFailure> {
  const outcome = await inActivity(run).then(
    () => new Error('expected the delivery to fail, but it succeeded'),
    (error: unknown) => error,
  );
  if (!(outcome instanceof ApplicationFailure)) throw outcome instanceof Error ? outcome : new Error(String(outcome));
  return outcome;
}

function slackTarget(): SlackApiTarget {
  return { baseUrl: `${server.url}/api`, token: SLACK_TOKEN };
}

function twilioAccount(overrides: Partial<TwilioAccount> = {}): TwilioAccount {
  return { baseUrl: server.url, accountSid: 'AC0123456789', authToken: TWILIO_AUTH_TOKEN, from: '+15005550006', ...overrides };
}

function pagerDutyTarget(): PagerDutyTarget {
  return { baseUrl: server.url, routingKey: ROUTING_KEY };
}

interface SenderCase {
  name: string;
  provider: string;
  send: (baseUrl: string) => Promise<DeliveryReceipt>;
}

const senders: SenderCase[] = [
  { name: 'slack webhook', provider: SLACK_WEBHOOK, send: (base) => sendSlackWebhook(http, `${base}${SLACK_WEBHOOK_PATH}`, message) },
  {
    name: 'slack chat.postMessage',
    provider: SLACK_API,
    send: (base) => postSlackMessage(http, { baseUrl: `${base}/api`, token: SLACK_TOKEN }, 'C0INCIDENT', message),
  },
  { name: 'teams webhook', provider: TEAMS_WEBHOOK, send: (base) => sendTeamsWebhook(http, `${base}${TEAMS_WEBHOOK_PATH}`, message) },
  { name: 'pagerduty', provider: PAGERDUTY, send: (base) => sendPagerDutyEvent(http, { baseUrl: base, routingKey: ROUTING_KEY }, message) },
  { name: 'twilio', provider: TWILIO, send: (base) => sendTwilioSms(http, twilioAccount({ baseUrl: base }), PHONE, message) },
  {
    name: 'signed webhook',
    provider: SIGNED_WEBHOOK,
    send: (base) => sendSignedWebhook(http, { url: `${base}/hooks/barq`, secrets: [WEBHOOK_SECRET] }, message),
  },
];

/** Returns the recorded log entries as JSON text, with the bigint `timestampNanos` as a string. */
function loggedText(): string {
  return JSON.stringify(logs, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value));
}

function expectNoSecrets(text: string, baseUrl: string): void {
  expect(text).not.toContain(baseUrl);
  expect(text).not.toContain('127.0.0.1');
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

describe.each(senders)('$name error mapping', (sender) => {
  it('retries 429 after Retry-After seconds', async () => {
    server.respond = () => ({ status: 429, headers: { 'Retry-After': '30' }, body: { error: 'ratelimited' } });

    const failure = await failureOf(() => sender.send(server.url));

    expect(failure.type).toBe(DELIVERY_UNAVAILABLE);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(30_000);
    expect(failure.details?.[0]).toEqual({ provider: sender.provider, status: 429, retryAfterMs: 30_000 });
    expectNoSecrets(failure.message, server.url);
  });

  it('retries 429 after a Retry-After date', async () => {
    const retryAt = new Date(Date.now() + 120_000).toUTCString();
    server.respond = () => ({ status: 429, headers: { 'Retry-After': retryAt }, body: {} });

    const failure = await failureOf(() => sender.send(server.url));

    expect(failure.type).toBe(DELIVERY_UNAVAILABLE);
    expect(failure.nextRetryDelay).toBeGreaterThan(100_000);
    expect(failure.nextRetryDelay).toBeLessThanOrEqual(120_000);
  });

  it('retries 503 with the policy backoff', async () => {
    server.respond = () => ({ status: 503, body: 'upstream unavailable' });

    const failure = await failureOf(() => sender.send(server.url));

    expect(failure.type).toBe(DELIVERY_UNAVAILABLE);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBeUndefined();
    expect(failure.details?.[0]).toEqual({ provider: sender.provider, status: 503, retryAfterMs: null });
    expectNoSecrets(failure.message, server.url);
  });

  it.each([400, 401, 403, 404])('rejects HTTP %i without retry', async (status) => {
    server.respond = () => ({ status, body: { message: `The 'To' number ${PHONE} is not valid for ${SLACK_TOKEN}` } });

    const failure = await failureOf(() => sender.send(server.url));

    expect(failure.type).toBe(DELIVERY_REJECTED);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.details?.[0]).toEqual({ provider: sender.provider, status });
    expectNoSecrets(failure.message, server.url);
  });

  it('retries a refused connection', async () => {
    const nowhere = await closedPortUrl();

    const failure = await failureOf(() => sender.send(nowhere));

    expect(failure.type).toBe(DELIVERY_UNAVAILABLE);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toContain('ECONNREFUSED');
    expect(failure.details?.[0]).toEqual({ provider: sender.provider, status: null, retryAfterMs: null });
    expectNoSecrets(failure.message, nowhere);
  });

  it('logs no secret or phone number', async () => {
    server.respond = () => ({ status: 500, body: {} });

    await failureOf(() => sender.send(server.url));

    const logged = loggedText();
    expect(logs.some((entry) => entry.message === 'delivery attempt failed')).toBe(true);
    for (const secret of SECRETS) expect(logged).not.toContain(secret);
  });
});

describe('retryAfterMs', () => {
  const now = Date.UTC(2026, 11, 4, 10, 0, 0);

  it('reads delay-seconds', () => {
    expect(retryAfterMs({ 'retry-after': '120' }, now)).toBe(120_000);
  });

  it('reads the three HTTP-date forms', () => {
    expect(retryAfterMs({ 'Retry-After': 'Fri, 04 Dec 2026 10:01:30 GMT' }, now)).toBe(90_000);
    expect(retryAfterMs({ 'Retry-After': 'Friday, 04-Dec-26 10:01:30 GMT' }, now)).toBe(90_000);
    expect(retryAfterMs({ 'Retry-After': 'Fri Dec  4 10:01:30 2026' }, now)).toBe(90_000);
  });

  it('gives 0 for a date in the past', () => {
    expect(retryAfterMs({ 'retry-after': 'Fri, 04 Dec 2026 09:00:00 GMT' }, now)).toBe(0);
  });

  it('caps long delays at 10 minutes', () => {
    expect(retryAfterMs({ 'retry-after': '86400' }, now)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs({ 'retry-after': 'Sat, 05 Dec 2026 10:00:00 GMT' }, now)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('ignores a missing or invalid header', () => {
    expect(retryAfterMs({}, now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': '-5' }, now)).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': '1.5' }, now)).toBeUndefined();
  });
});

describe('translateDeliveryError', () => {
  it('reports a timeout as retryable', () => {
    const failure = translateDeliveryError(new AxiosError('timeout of 10000ms exceeded', AxiosError.ECONNABORTED), 'slack-api');

    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe(DELIVERY_UNAVAILABLE);
    expect(failure.message).toBe('slack-api did not respond (timed out)');
  });

  it('passes an ApplicationFailure through', () => {
    const original = ApplicationFailure.create({ type: 'InvalidDeliveryTarget', nonRetryable: true, message: 'no sender' });

    expect(translateDeliveryError(original, 'twilio')).toBe(original);
  });

  it('passes other errors through', () => {
    const original = new TypeError('not an axios error');

    expect(translateDeliveryError(original, 'twilio')).toBe(original);
  });
});

describe('providerErrorCode', () => {
  it('takes codes from provider bodies', () => {
    expect(providerErrorCode('channel_not_found')).toBe('channel_not_found');
    expect(providerErrorCode({ ok: false, error: 'invalid_auth' })).toBe('invalid_auth');
    expect(providerErrorCode({ code: 21211, message: `The 'To' number ${PHONE} is not valid` })).toBe('21211');
    expect(providerErrorCode({ status: 'invalid event', message: 'Event object is invalid' })).toBe('invalid event');
  });

  it('refuses text that could carry a secret', () => {
    expect(providerErrorCode(PHONE)).toBeUndefined();
    expect(providerErrorCode('966501234567')).toBeUndefined();
    expect(providerErrorCode(SLACK_TOKEN)).toBeUndefined();
    expect(providerErrorCode('https://hooks.slack.com/services/T0/B0/x')).toBeUndefined();
    expect(providerErrorCode('<html><body>Bad gateway</body></html>')).toBeUndefined();
  });
});

describe('slack incoming webhook', () => {
  it('posts text and blocks as JSON', async () => {
    server.respond = () => ({ status: 200, body: 'ok' });

    const receipt = await inActivity(() => sendSlackWebhook(http, `${server.url}${SLACK_WEBHOOK_PATH}`, message));

    const request = server.last;
    expect(request.method).toBe('POST');
    expect(request.path).toBe(SLACK_WEBHOOK_PATH);
    expect(request.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = request.body as { text: string; blocks: Record<string, any>[] };
    expect(body.text).toContain('P0 barq-api: health checks failing');
    expect(body.text).toContain('&amp; the primary did not acknowledge &lt;5m&gt;');
    expect(body.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: message.title } });
    expect(body.blocks[1]?.text.type).toBe('mrkdwn');
    expect(body.blocks[2]?.elements.map((button: { url: string }) => button.url)).toEqual([message.links.incident, message.links.temporalUi]);
    expect(receipt).toEqual({ provider: SLACK_WEBHOOK, httpStatus: 200, duplicate: false });
  });

  it('rejects with the Slack error text', async () => {
    server.respond = () => ({ status: 404, body: 'no_service' });

    const failure = await failureOf(() => sendSlackWebhook(http, `${server.url}${SLACK_WEBHOOK_PATH}`, message));

    expect(failure.type).toBe(DELIVERY_REJECTED);
    expect(failure.details?.[0]).toEqual({ provider: SLACK_WEBHOOK, status: 404, errorCode: 'no_service' });
    expect(failure.message).toContain('no_service');
  });
});

describe('slack chat.postMessage', () => {
  it('posts with the bot token', async () => {
    server.respond = () => ({ status: 200, body: { ok: true, channel: 'C0INCIDENT', ts: '1764842400.000100' } });

    const receipt = await inActivity(() => postSlackMessage(http, slackTarget(), 'C0INCIDENT', message));

    const request = server.last;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/api/chat.postMessage');
    expect(request.headers.authorization).toBe(`Bearer ${SLACK_TOKEN}`);
    expect(request.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = request.body as { channel: string; text: string; blocks: unknown[] };
    expect(body.channel).toBe('C0INCIDENT');
    expect(body.text).toContain(message.title);
    expect(body.blocks).toHaveLength(3);
    expect(receipt).toEqual({ provider: SLACK_API, httpStatus: 200, duplicate: false, providerReference: '1764842400.000100' });
  });

  it('rejects ok:false with the error code', async () => {
    server.respond = () => ({ status: 200, body: { ok: false, error: 'channel_not_found' } });

    const failure = await failureOf(() => postSlackMessage(http, slackTarget(), 'C0MISSING', message));

    expect(failure.type).toBe(DELIVERY_REJECTED);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.details?.[0]).toEqual({ provider: SLACK_API, status: 200, errorCode: 'channel_not_found' });
    expect(failure.message).not.toContain(SLACK_TOKEN);
  });

  it('retries ok:false ratelimited after Retry-After', async () => {
    server.respond = () => ({ status: 200, headers: { 'Retry-After': '7' }, body: { ok: false, error: 'ratelimited' } });

    const failure = await failureOf(() => postSlackMessage(http, slackTarget(), 'C0INCIDENT', message));

    expect(failure.type).toBe(DELIVERY_UNAVAILABLE);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(7_000);
    expect(failure.message).toContain('ratelimited');
  });

  it('retries ok:false internal_error', async () => {
    server.respond = () => ({ status: 200, body: { ok: false, error: 'internal_error' } });

    const failure = await failureOf(() => postSlackMessage(http, slackTarget(), 'C0INCIDENT', message));

    expect(failure.type).toBe(DELIVERY_UNAVAILABLE);
    expect(failure.nextRetryDelay).toBeUndefined();
  });

  it('rejects a body that is not a Web API answer', async () => {
    server.respond = () => ({ status: 200, body: '<html>login</html>' });

    const failure = await failureOf(() => postSlackMessage(http, slackTarget(), 'C0INCIDENT', message));

    expect(failure.type).toBe(DELIVERY_REJECTED);
    expect(failure.details?.[0]).toEqual({ provider: SLACK_API, status: 200, errorCode: 'not_a_web_api_response' });
  });
});

describe('slack incident channel', () => {
  it('creates the channel by name', async () => {
    server.respond = () => ({ status: 200, body: { ok: true, channel: { id: 'C0NEW', name: 'inc-20261204-barq-api-01234567' } } });

    const created = await inActivity(() => createSlackChannel(http, slackTarget(), 'inc-20261204-barq-api-01234567'));

    expect(server.last.path).toBe('/api/conversations.create');
    expect(server.last.headers.authorization).toBe(`Bearer ${SLACK_TOKEN}`);
    expect(server.last.body).toEqual({ name: 'inc-20261204-barq-api-01234567' });
    expect(created).toEqual({ outcome: 'created', channelId: 'C0NEW', name: 'inc-20261204-barq-api-01234567' });
  });

  it('reports a taken name for reuse', async () => {
    server.respond = () => ({ status: 200, body: { ok: false, error: 'name_taken' } });

    const created = await inActivity(() => createSlackChannel(http, slackTarget(), 'inc-20261204-barq-api-01234567'));

    expect(created).toEqual({ outcome: 'name-taken', name: 'inc-20261204-barq-api-01234567' });
  });

  it('rejects an invalid name', async () => {
    server.respond = () => ({ status: 200, body: { ok: false, error: 'invalid_name_specials' } });

    const failure = await failureOf(() => createSlackChannel(http, slackTarget(), 'Not Valid'));

    expect(failure.type).toBe(DELIVERY_REJECTED);
    expect(failure.details?.[0]).toEqual({ provider: SLACK_API, status: 200, errorCode: 'invalid_name_specials' });
  });

  it('finds a channel on a later page', async () => {
    const firstPage = { ok: true, channels: [{ id: 'C0OTHER', name: 'general' }], response_metadata: { next_cursor: 'page2' } };
    const secondPage = {
      ok: true,
      channels: [{ id: 'C0FOUND', name: 'inc-20261204-barq-api-01234567' }],
      response_metadata: { next_cursor: '' },
    };
    server.respond = (request) => ({ status: 200, body: request.path.includes('cursor=page2') ? secondPage : firstPage });

    const channelId = await inActivity(() => findSlackChannelByName(http, slackTarget(), 'inc-20261204-barq-api-01234567'));

    expect(channelId).toBe('C0FOUND');
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]?.method).toBe('GET');
    expect(server.requests[0]?.path).toMatch(/^\/api\/conversations\.list\?/);
    expect(server.requests[0]?.path).not.toContain('cursor=');
    expect(server.requests[1]?.path).toContain('cursor=page2');
    expect(server.requests[1]?.headers.authorization).toBe(`Bearer ${SLACK_TOKEN}`);
  });

  it('returns undefined for an unknown channel', async () => {
    server.respond = () => ({ status: 200, body: { ok: true, channels: [], response_metadata: { next_cursor: '' } } });

    const channelId = await inActivity(() => findSlackChannelByName(http, slackTarget(), 'inc-missing'));

    expect(channelId).toBeUndefined();
  });

  it('invites members comma-separated', async () => {
    server.respond = () => ({ status: 200, body: { ok: true, channel: { id: 'C0NEW' } } });

    const outcome = await inActivity(() => inviteToSlackChannel(http, slackTarget(), 'C0NEW', ['U0AAA', 'U0BBB']));

    expect(outcome).toBe('invited');
    expect(server.last.path).toBe('/api/conversations.invite');
    expect(server.last.body).toEqual({ channel: 'C0NEW', users: 'U0AAA,U0BBB' });
  });

  it('treats already_in_channel as success', async () => {
    server.respond = () => ({ status: 200, body: { ok: false, error: 'already_in_channel' } });

    const outcome = await inActivity(() => inviteToSlackChannel(http, slackTarget(), 'C0NEW', ['U0AAA']));

    expect(outcome).toBe('already-in-channel');
    expect(server.requests).toHaveLength(1);
  });

  it('invites one by one after already_in_channel', async () => {
    server.respond = (request) => {
      const users = (request.body as { users: string }).users;
      return users === 'U0BBB' ? { status: 200, body: { ok: true } } : { status: 200, body: { ok: false, error: 'already_in_channel' } };
    };

    const outcome = await inActivity(() => inviteToSlackChannel(http, slackTarget(), 'C0NEW', ['U0AAA', 'U0BBB']));

    expect(outcome).toBe('invited');
    expect(server.requests.map((request) => (request.body as { users: string }).users)).toEqual(['U0AAA,U0BBB', 'U0AAA', 'U0BBB']);
  });

  it('rejects other invite errors', async () => {
    server.respond = () => ({ status: 200, body: { ok: false, error: 'cant_invite' } });

    const failure = await failureOf(() => inviteToSlackChannel(http, slackTarget(), 'C0NEW', ['U0AAA']));

    expect(failure.type).toBe(DELIVERY_REJECTED);
    expect(failure.details?.[0]).toEqual({ provider: SLACK_API, status: 200, errorCode: 'cant_invite' });
  });

  it('sends nothing for no members', async () => {
    const outcome = await inActivity(() => inviteToSlackChannel(http, slackTarget(), 'C0NEW', []));

    expect(outcome).toBe('nothing-to-invite');
    expect(server.requests).toHaveLength(0);
  });
});

describe('incidentChannelName', () => {
  const day = new Date('2026-12-04T23:30:00Z');

  it('joins date, service and short ID', () => {
    expect(incidentChannelName(day, 'barq-api', 'alertmanager-0123456789abcdef01234567')).toBe('inc-20261204-barq-api-01234567');
  });

  it('folds the service to allowed characters', () => {
    expect(incidentChannelName(day, 'Barq API (Prod)/Ünïcode', 'alertmanager-0123456789abcdef01234567')).toBe(
      'inc-20261204-barq-api-prod-unicode-01234567',
    );
  });

  it('stays within 80 characters', () => {
    const name = incidentChannelName(day, 'a-very-long-service-name-'.repeat(8), 'alertmanager-0123456789abcdef01234567');

    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[a-z0-9_-]+$/);
    expect(name).toMatch(/^inc-20261204-a-very-long-service-name-.*-01234567$/);
    expect(name).not.toContain('--');
  });

  it('hashes a short incident ID', () => {
    const name = incidentChannelName(day, 'barq-api', 'manual-42');

    expect(name).toMatch(/^inc-20261204-barq-api-[0-9a-f]{8}$/);
    expect(name).not.toBe(incidentChannelName(day, 'barq-api', 'manual-43'));
  });

  it('names an empty service', () => {
    expect(incidentChannelName(day, '***', 'alertmanager-0123456789abcdef01234567')).toBe('inc-20261204-service-01234567');
  });
});

describe('teams incoming webhook', () => {
  it('posts a MessageCard', async () => {
    server.respond = () => ({ status: 200, body: '1' });

    const receipt = await inActivity(() => sendTeamsWebhook(http, `${server.url}${TEAMS_WEBHOOK_PATH}`, message));

    const request = server.last;
    expect(request.method).toBe('POST');
    expect(request.path).toBe(TEAMS_WEBHOOK_PATH);
    expect(request.headers['content-type']).toBe('application/json; charset=utf-8');
    const card = request.body as Record<string, any>;
    expect(card['@type']).toBe('MessageCard');
    expect(card['@context']).toBe('https://schema.org/extensions');
    expect(card.summary).toBe(message.title);
    expect(card.title).toBe(message.title);
    expect(card.themeColor).toBe('D13438');
    expect(card.text).toContain('barq-api returns 503 on /health.\n\nStage: immediate-actions');
    expect(card.potentialAction).toEqual([
      { '@type': 'OpenUri', name: 'Open incident', targets: [{ os: 'default', uri: message.links.incident }] },
      { '@type': 'OpenUri', name: 'Open in Temporal UI', targets: [{ os: 'default', uri: message.links.temporalUi }] },
    ]);
    expect(receipt).toEqual({ provider: TEAMS_WEBHOOK, httpStatus: 200, duplicate: false });
  });

  it('colours the card by severity', async () => {
    const colours: Record<string, string> = {};
    server.respond = () => ({ status: 200, body: '1' });

    for (const severity of ['P0', 'P1', 'P2', 'P3'] as const) {
      await inActivity(() => sendTeamsWebhook(http, `${server.url}${TEAMS_WEBHOOK_PATH}`, { ...message, severity }));
      colours[severity] = (server.last.body as { themeColor: string }).themeColor;
    }

    expect(new Set(Object.values(colours)).size).toBe(4);
    for (const colour of Object.values(colours)) expect(colour).toMatch(/^[0-9A-F]{6}$/);
  });

  it('retries a throttled post that returned 200', async () => {
    server.respond = () => ({ status: 200, body: 'Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0' });

    const failure = await failureOf(() => sendTeamsWebhook(http, `${server.url}${TEAMS_WEBHOOK_PATH}`, message));

    expect(failure.type).toBe(DELIVERY_UNAVAILABLE);
    expect(failure.details?.[0]).toEqual({ provider: TEAMS_WEBHOOK, status: 429, retryAfterMs: null });
  });
});

describe('pagerduty events api', () => {
  it('triggers an alert with payload and links', async () => {
    server.respond = () => ({ status: 202, body: { status: 'success', message: 'Event processed', dedup_key: message.incidentId } });

    const receipt = await inActivity(() => sendPagerDutyEvent(http, pagerDutyTarget(), message));

    const request = server.last;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v2/enqueue');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: message.incidentId,
      payload: {
        summary: message.title,
        source: 'barq-incident',
        severity: 'critical',
        custom_details: { incidentId: message.incidentId, severity: 'P0', details: message.text },
      },
      links: [
        { href: message.links.incident, text: 'Incident' },
        { href: message.links.temporalUi, text: 'Temporal workflow' },
      ],
      client: 'BARQ incident response',
      client_url: message.links.incident,
    });
    expect(receipt).toEqual({ provider: PAGERDUTY, httpStatus: 202, duplicate: false, providerReference: message.incidentId });
  });

  it('maps severities P0 to P3', async () => {
    server.respond = () => ({ status: 202, body: { status: 'success' } });
    const sent: string[] = [];

    for (const severity of ['P0', 'P1', 'P2', 'P3'] as const) {
      await inActivity(() => sendPagerDutyEvent(http, pagerDutyTarget(), { ...message, severity }));
      sent.push((server.last.body as { payload: { severity: string } }).payload.severity);
    }

    expect(sent).toEqual(['critical', 'error', 'warning', 'info']);
  });

  it.each(['acknowledge', 'resolve'] as const)('sends %s by dedup key only', async (event) => {
    server.respond = () => ({ status: 202, body: { status: 'success', dedup_key: message.incidentId } });

    await inActivity(() => sendPagerDutyEvent(http, pagerDutyTarget(), { ...message, event }));

    expect(server.last.body).toEqual({ routing_key: ROUTING_KEY, event_action: event, dedup_key: message.incidentId });
  });

  it('sends notify as a trigger', async () => {
    server.respond = () => ({ status: 202, body: { status: 'success' } });

    await inActivity(() => sendPagerDutyEvent(http, pagerDutyTarget(), { ...message, event: 'notify' }));

    expect((server.last.body as { event_action: string }).event_action).toBe('trigger');
  });

  it('cuts the summary to 1024 characters', async () => {
    server.respond = () => ({ status: 202, body: { status: 'success' } });

    await inActivity(() => sendPagerDutyEvent(http, pagerDutyTarget(), { ...message, title: 'x'.repeat(2000) }));

    const summary = (server.last.body as { payload: { summary: string } }).payload.summary;
    expect(summary).toHaveLength(1024);
    expect(summary.endsWith('…')).toBe(true);
  });

  it('rejects an invalid event', async () => {
    const invalidEvent = { status: 'invalid event', message: 'Event object is invalid', errors: ['Length of routing_key is incorrect'] };
    server.respond = () => ({ status: 400, body: invalidEvent });

    const failure = await failureOf(() => sendPagerDutyEvent(http, pagerDutyTarget(), message));

    expect(failure.type).toBe(DELIVERY_REJECTED);
    expect(failure.details?.[0]).toEqual({ provider: PAGERDUTY, status: 400, errorCode: 'invalid event' });
    expect(failure.message).not.toContain(ROUTING_KEY);
  });
});

describe('pagerDutyDedupKey', () => {
  it('keeps an ID within 255 characters', () => {
    expect(pagerDutyDedupKey(message.incidentId)).toBe(message.incidentId);
    expect(pagerDutyDedupKey('a'.repeat(255))).toBe('a'.repeat(255));
  });

  it('shortens long IDs uniquely', () => {
    const first = pagerDutyDedupKey(`${'a'.repeat(300)}-1`);
    const second = pagerDutyDedupKey(`${'a'.repeat(300)}-2`);

    expect(first).toHaveLength(255);
    expect(second).toHaveLength(255);
    expect(first).not.toBe(second);
  });
});

describe('twilio messages api', () => {
  it('posts a form with basic auth', async () => {
    server.respond = () => ({ status: 201, body: { sid: 'SM0123456789abcdef', status: 'queued' } });

    const receipt = await inActivity(() => sendTwilioSms(http, twilioAccount(), PHONE, message));

    const request = server.last;
    const credentials = Buffer.from(`AC0123456789:${TWILIO_AUTH_TOKEN}`).toString('base64');
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/2010-04-01/Accounts/AC0123456789/Messages.json');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.headers.authorization).toBe(`Basic ${credentials}`);
    expect(request.headers['i-twilio-idempotency-token']).toBe(message.idempotencyKey);
    expect(request.body).toEqual({ To: PHONE, From: '+15005550006', Body: `${message.title}\n${message.links.incident}` });
    expect(receipt).toEqual({ provider: TWILIO, httpStatus: 201, duplicate: false, providerReference: 'SM0123456789abcdef' });
  });

  it('sends through a messaging service', async () => {
    server.respond = () => ({ status: 201, body: { sid: 'SM0000' } });

    await inActivity(() => sendTwilioSms(http, twilioAccount({ from: undefined, messagingServiceSid: 'MG0123' }), PHONE, message));

    expect(server.last.body).toEqual({ To: PHONE, MessagingServiceSid: 'MG0123', Body: `${message.title}\n${message.links.incident}` });
  });

  it('rejects an account without a sender', async () => {
    const failure = await failureOf(() => sendTwilioSms(http, twilioAccount({ from: undefined }), PHONE, message));

    expect(failure.type).toBe('InvalidDeliveryTarget');
    expect(failure.nonRetryable).toBe(true);
    expect(server.requests).toHaveLength(0);
  });

  it('keeps the body within 1600 characters', async () => {
    server.respond = () => ({ status: 201, body: { sid: 'SM0000' } });

    await inActivity(() => sendTwilioSms(http, twilioAccount(), PHONE, { ...message, title: 'y'.repeat(5000) }));

    const body = (server.last.body as { Body: string }).Body;
    expect(body.length).toBeLessThanOrEqual(1600);
    expect(body.endsWith(message.links.incident)).toBe(true);
  });

  it('rejects an invalid number without naming it', async () => {
    server.respond = () => ({
      status: 400,
      body: { code: 21211, message: `The 'To' number ${PHONE} is not a valid phone number.`, status: 400 },
    });

    const failure = await failureOf(() => sendTwilioSms(http, twilioAccount(), PHONE, message));

    expect(failure.type).toBe(DELIVERY_REJECTED);
    expect(failure.details?.[0]).toEqual({ provider: TWILIO, status: 400, errorCode: '21211' });
    expect(failure.message).not.toContain(PHONE);
    expect(loggedText()).not.toContain(PHONE);
  });
});

describe('signed webhook', () => {
  const now = Date.UTC(2026, 11, 4, 10, 0, 0);
  const timestamp = Math.floor(now / 1000);
  const previousSecret = 'whsec-previous-signing-key';

  function independentSignature(secret: string, signedTimestamp: string, body: string): string {
    return createHmac('sha256', secret).update(`${signedTimestamp}.${body}`).digest('hex');
  }

  it('posts the message with a verifiable signature', async () => {
    server.respond = () => ({ status: 202, body: {} });

    const receipt = await inActivity(() => sendSignedWebhook(http, { url: `${server.url}/hooks/barq`, secrets: [WEBHOOK_SECRET] }, message, now));

    const request = server.last;
    const header = String(request.headers['x-barq-signature']);
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/hooks/barq');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['idempotency-key']).toBe(message.idempotencyKey);
    expect(request.headers['x-barq-timestamp']).toBe(String(timestamp));
    expect(request.rawBody).toBe(JSON.stringify(message));
    expect(request.body).toEqual(message);
    expect(header).toBe(`v1=${independentSignature(WEBHOOK_SECRET, String(timestamp), request.rawBody)}`);
    expect(verifyWebhookSignature(header, String(request.headers['x-barq-timestamp']), request.rawBody, WEBHOOK_SECRET, 300, now)).toBe(true);
    expect(receipt).toEqual({ provider: SIGNED_WEBHOOK, httpStatus: 202, duplicate: false });
  });

  it('sends both signatures during rotation', async () => {
    server.respond = () => ({ status: 200, body: {} });

    await inActivity(() =>
      sendSignedWebhook(http, { url: `${server.url}/hooks/barq`, secrets: [WEBHOOK_SECRET, previousSecret] }, message, now),
    );

    const request = server.last;
    const header = String(request.headers['x-barq-signature']);
    const [current, previous] = header.split(',');
    expect(header.split(',')).toHaveLength(2);
    expect(current).toBe(`v1=${independentSignature(WEBHOOK_SECRET, String(timestamp), request.rawBody)}`);
    expect(previous).toBe(`v1=${independentSignature(previousSecret, String(timestamp), request.rawBody)}`);
    expect(verifyWebhookSignature(header, timestamp, request.rawBody, WEBHOOK_SECRET, 300, now)).toBe(true);
    expect(verifyWebhookSignature(header, timestamp, request.rawBody, previousSecret, 300, now)).toBe(true);
    expect(verifyWebhookSignature(header, timestamp, request.rawBody, 'whsec-some-other-key', 300, now)).toBe(false);
  });

  it('sends unsigned without a key', async () => {
    server.respond = () => ({ status: 200, body: { duplicate: true } });

    const receipt = await inActivity(() => sendSignedWebhook(http, { url: `${server.url}/hooks/barq`, secrets: [] }, message, now));

    expect(server.last.headers['x-barq-signature']).toBeUndefined();
    expect(server.last.headers['x-barq-timestamp']).toBe(String(timestamp));
    expect(server.last.headers['idempotency-key']).toBe(message.idempotencyKey);
    expect(receipt.duplicate).toBe(true);
  });

  it('rejects a stale or future timestamp', () => {
    const body = JSON.stringify(message);
    const header = signWebhook(body, timestamp, [WEBHOOK_SECRET]);

    expect(verifyWebhookSignature(header, timestamp, body, WEBHOOK_SECRET, 300, now + 299_000)).toBe(true);
    expect(verifyWebhookSignature(header, timestamp, body, WEBHOOK_SECRET, 300, now + 301_000)).toBe(false);
    expect(verifyWebhookSignature(header, timestamp, body, WEBHOOK_SECRET, 300, now - 301_000)).toBe(false);
  });

  it('rejects a changed body or timestamp', () => {
    const body = JSON.stringify(message);
    const header = signWebhook(body, timestamp, [WEBHOOK_SECRET]);

    expect(verifyWebhookSignature(header, timestamp, body.replace('P0', 'P3'), WEBHOOK_SECRET, 300, now)).toBe(false);
    expect(verifyWebhookSignature(header, timestamp + 1, body, WEBHOOK_SECRET, 300, now)).toBe(false);
  });

  it('rejects malformed headers', () => {
    const body = JSON.stringify(message);
    const valid = independentSignature(WEBHOOK_SECRET, String(timestamp), body);

    expect(verifyWebhookSignature('', timestamp, body, WEBHOOK_SECRET, 300, now)).toBe(false);
    expect(verifyWebhookSignature('v1=zz', timestamp, body, WEBHOOK_SECRET, 300, now)).toBe(false);
    expect(verifyWebhookSignature(`v2=${valid}`, timestamp, body, WEBHOOK_SECRET, 300, now)).toBe(false);
    expect(verifyWebhookSignature(`v1=${valid.slice(0, 62)}`, timestamp, body, WEBHOOK_SECRET, 300, now)).toBe(false);
    expect(verifyWebhookSignature(`v1=${valid}`, 'not-a-number', body, WEBHOOK_SECRET, 300, now)).toBe(false);
    expect(verifyWebhookSignature(`v1=${valid}`, timestamp, body, WEBHOOK_SECRET, 300, now)).toBe(true);
  });
});
