import axios from 'axios';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { openIncidentChannel, postChatMessage, type ChatDeps, type OpenChannelRequest } from '../../src/activities/chat.js';
import type { Config } from '../../src/config/schema.js';
import { runActivity } from '../helpers/activity.js';
import { testConfig } from '../helpers/config.js';
import { ProviderReceiver } from '../helpers/provider-receiver.js';

const slack = new ProviderReceiver();

beforeAll(async () => {
  await slack.start();
});

beforeEach(() => {
  slack.clear();
});

afterAll(async () => {
  await slack.stop();
});

const request: OpenChannelRequest = {
  incidentId: 'alertmanager-89b188f236f4c96de1d0e2b6',
  runId: 'run-1',
  contactId: 'chat',
  step: 'chat-channel',
  severity: 'P0',
  service: 'barq-api',
  summary: 'barq-api is not answering health checks',
  stage: 'immediate-actions',
  reason: 'incident channel opened',
  declaredAt: '2026-12-04T10:00:00.000Z',
  responders: ['primary-oncall', 'secondary-oncall'],
};

function slackConfig(): Config {
  return testConfig((draft) => {
    draft.chat.provider = 'slack';
    draft.providers = { slack: { apiUrl: `${slack.url}/api` } };
    draft.people = [{ id: 'amira', name: 'Amira', slackUser: 'U024BE7LH', channels: [{ kind: 'dev-inbox' }] }];
    const primary = draft.contacts.find((contact) => contact.id === 'primary-oncall');
    if (primary !== undefined) {
      delete primary.webhook;
      primary.person = 'amira';
    }
  });
}

const deps = (config: Config, env: NodeJS.ProcessEnv = { SLACK_BOT_TOKEN: 'xoxb-chat-token' }): ChatDeps => ({
  config,
  http: axios.create(),
  devInboxUrl: `${slack.url}/inbox-api`,
  env,
});

describe('openIncidentChannel on Slack', () => {
  it('creates the channel, invites the responders and posts', async () => {
    slack.respond = (received) => {
      if (received.path.startsWith('/api/conversations.create')) return { status: 200, body: { ok: true, channel: { id: 'C0INC0001', name: 'x' } } };
      return { status: 200, body: { ok: true, channel: 'C0INC0001', ts: '1.2' } };
    };

    const result = await runActivity(() => openIncidentChannel(deps(slackConfig()), request));

    expect(result).toEqual({ opened: true, channelId: 'C0INC0001', name: 'inc-20261204-barq-api-89b188f2', invited: 1 });
    expect(slack.requests.map((received) => received.path.split('?')[0])).toEqual([
      '/api/conversations.create',
      '/api/conversations.invite',
      '/api/chat.postMessage',
    ]);
    expect(slack.requests[0]?.body).toMatchObject({ name: result.name });
    expect(slack.requests[1]?.body).toMatchObject({ channel: 'C0INC0001', users: 'U024BE7LH' });
    expect(slack.requests[2]?.headers['authorization']).toBe('Bearer xoxb-chat-token');
  });

  it('reuses a channel an earlier attempt created', async () => {
    slack.respond = (received) => {
      if (received.path.startsWith('/api/conversations.create')) return { status: 200, body: { ok: false, error: 'name_taken' } };
      if (received.path.startsWith('/api/conversations.list')) {
        return { status: 200, body: { ok: true, channels: [{ id: 'C0OLD0001', name: 'inc-20261204-barq-api-89b188f2' }], response_metadata: { next_cursor: '' } } };
      }
      return { status: 200, body: { ok: true, channel: 'C0OLD0001', ts: '1.2' } };
    };

    const result = await runActivity(() => openIncidentChannel(deps(slackConfig()), request));

    expect(result.channelId).toBe('C0OLD0001');
  });

  it('names the missing bot token', async () => {
    const run = runActivity(() => openIncidentChannel(deps(slackConfig(), {}), request));

    await expect(run).rejects.toMatchObject({ type: 'ConfigurationMissing', message: 'chat.provider is slack but SLACK_BOT_TOKEN is not set in the worker environment' });
  });
});

describe('postChatMessage', () => {
  it('posts to #incident-response on Slack', async () => {
    slack.respond = () => ({ status: 200, body: { ok: true, channel: 'C0IR', ts: '1.3' } });

    const result = await runActivity(() => postChatMessage(deps(slackConfig()), { ...request, room: 'incident-response', step: 'chat-declared' }));

    expect(result).toEqual({ posted: true, destination: '#incident-response' });
    expect(slack.requests[0]?.body).toMatchObject({ channel: '#incident-response' });
    expect(JSON.stringify(slack.requests[0]?.body)).toContain('Severity: P0 (critical)');
    expect(JSON.stringify(slack.requests[0]?.body)).not.toContain('Why you get this');
  });

  it('posts to the development inbox by default', async () => {
    slack.respond = () => ({ status: 201, body: {} });

    await runActivity(() => postChatMessage(deps(testConfig()), { ...request, room: 'status-updates', step: 'chat-status-1' }));

    expect(slack.requests[0]?.path).toBe('/dev/inbox/chat-status-updates');
    expect(slack.requests[0]?.headers['idempotency-key']).toBe(`${request.incidentId}/run-1/chat-status-1/status-updates`);
    expect(slack.requests[0]?.body).toMatchObject({ room: '#status-updates' });
  });

  it('posts nothing with provider none', async () => {
    const config = testConfig((draft) => {
      draft.chat.provider = 'none';
    });

    const result = await runActivity(() => postChatMessage(deps(config), { ...request, room: 'engineering', step: 'chat-engineering' }));

    expect(result).toEqual({ posted: false });
    expect(slack.requests).toEqual([]);
  });
});
