import { createHash } from 'node:crypto';

import { log } from '@temporalio/activity';
import type { AxiosInstance, AxiosResponse } from 'axios';

import { deliveryRejected, deliveryUnavailable, providerErrorCode, retryAfterMs, translateDeliveryError } from './delivery-errors.js';
import { PROVIDER_REQUEST_TIMEOUT_MS, truncateText, type DeliveryReceipt, type OutgoingMessage } from './message.js';

/** Provider ID of incoming webhooks in receipts and failures. */
export const SLACK_WEBHOOK = 'slack-webhook';

/** Provider ID of the Web API in receipts and failures. */
export const SLACK_API = 'slack-api';

export const SLACK_API_BASE_URL = 'https://slack.com/api';

/** Location of the Web API and the bot token (`xoxb-…`) that calls it. */
export interface SlackApiTarget {
  /** `https://slack.com/api` in production, or a loopback server in tests. */
  baseUrl: string;
  token: string;
}

/** A Block Kit block, as far as this module builds them. */
export type SlackBlock = Record<string, unknown>;

/** Result of `createSlackChannel`. */
export type SlackChannelCreation =
  | { outcome: 'created'; channelId: string; name: string }
  /**
   * A channel with this name already exists, usually one that an earlier
   * attempt of the same activity created before its response was lost. Look
   * it up with `findSlackChannelByName` and reuse it.
   */
  | { outcome: 'name-taken'; name: string };

/** Result of `inviteToSlackChannel`. */
export type SlackInviteOutcome = 'invited' | 'already-in-channel' | 'nothing-to-invite';

/**
 * Web API error codes that describe a passing fault, so they are retried.
 * Slack's method reference describes `internal_error` as "likely due to a
 * transient issue". A `ratelimited` response comes with `Retry-After`.
 */
const RETRYABLE_API_ERRORS = new Set(['ratelimited', 'internal_error', 'service_unavailable', 'request_timeout']);

// Block Kit limits: header text 150 characters, section text 3000.
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const FALLBACK_TEXT_MAX = 3000;

/** Slack's maximum channel name length. */
const CHANNEL_NAME_MAX = 80;

/** Page size and page limit of `conversations.list`. 50 pages of 200 cover 10,000 channels. */
const LIST_PAGE_SIZE = 200;
const LIST_MAX_PAGES = 50;

/**
 * Posts a message to a Slack incoming webhook as `{text, blocks}`. Slack
 * returns 200 with the text `ok`, or an error code as text with a 4xx or
 * 5xx status.
 * Incoming webhooks take no idempotency key, so a retry after a lost
 * response can post twice. Runs inside an activity, whose logger it uses.
 */
export async function sendSlackWebhook(http: AxiosInstance, webhookUrl: string, message: OutgoingMessage): Promise<DeliveryReceipt> {
  const logFields = { provider: SLACK_WEBHOOK, incidentId: message.incidentId, idempotencyKey: message.idempotencyKey };

  try {
    const response = await http.post(
      webhookUrl,
      { text: slackFallbackText(message), blocks: slackBlocks(message) },
      { timeout: PROVIDER_REQUEST_TIMEOUT_MS, headers: jsonHeaders(), responseType: 'text' },
    );
    log.info('message delivered', { ...logFields, httpStatus: response.status });
    return { provider: SLACK_WEBHOOK, httpStatus: response.status, duplicate: false };
  } catch (error) {
    const failure = translateDeliveryError(error, SLACK_WEBHOOK);
    log.warn('delivery attempt failed', { ...logFields, error: failure.message });
    throw failure;
  }
}

/**
 * Posts a message with `chat.postMessage` to a channel ID, a `#name` or a
 * member ID (a direct message). The receipt's `providerReference` is the
 * message's `ts`. Runs inside an activity, whose logger it uses.
 *
 * NOTE: chat.postMessage takes no idempotency key, so a retry after a lost
 * response can post the message twice.
 */
export async function postSlackMessage(
  http: AxiosInstance,
  target: SlackApiTarget,
  channel: string,
  message: OutgoingMessage,
): Promise<DeliveryReceipt> {
  const logFields = { provider: SLACK_API, incidentId: message.incidentId, idempotencyKey: message.idempotencyKey, channel };

  try {
    const result = await callSlackApi<{ ts?: string }>(http, target, 'chat.postMessage', {
      channel,
      text: slackFallbackText(message),
      blocks: slackBlocks(message),
      unfurl_links: false,
    });
    if (!result.ok) throw deliveryRejected(SLACK_API, result.httpStatus, result.error);

    log.info('message delivered', { ...logFields, httpStatus: result.httpStatus });
    return {
      provider: SLACK_API,
      httpStatus: result.httpStatus,
      duplicate: false,
      ...(typeof result.body.ts === 'string' ? { providerReference: result.body.ts } : {}),
    };
  } catch (error) {
    const failure = translateDeliveryError(error, SLACK_API);
    log.warn('delivery attempt failed', { ...logFields, error: failure.message });
    throw failure;
  }
}

/**
 * Creates a public channel with `conversations.create`. When the name is
 * taken, returns the `name-taken` outcome instead of failing, so the caller
 * can reuse the channel that an earlier attempt created.
 */
export async function createSlackChannel(http: AxiosInstance, target: SlackApiTarget, name: string): Promise<SlackChannelCreation> {
  return logSlackFailures('conversations.create', { channelName: name }, async () => {
    const result = await callSlackApi<{ channel?: { id?: unknown; name?: unknown } }>(http, target, 'conversations.create', { name });
    if (!result.ok) {
      if (result.error !== 'name_taken') throw deliveryRejected(SLACK_API, result.httpStatus, result.error);
      log.info('slack channel name taken', { channelName: name });
      return { outcome: 'name-taken', name };
    }

    const channel = result.body.channel;
    if (typeof channel?.id !== 'string') throw deliveryRejected(SLACK_API, result.httpStatus, 'missing_channel_id');
    log.info('slack channel created', { channelId: channel.id, channelName: name });
    return { outcome: 'created', channelId: channel.id, name: typeof channel.name === 'string' ? channel.name : name };
  });
}

/**
 * Finds a channel's ID by its exact name with `conversations.list`, paging
 * through public and private channels that the bot can see. Returns
 * undefined when no channel has the name. Archived channels are skipped.
 */
export async function findSlackChannelByName(http: AxiosInstance, target: SlackApiTarget, name: string): Promise<string | undefined> {
  return logSlackFailures('conversations.list', { channelName: name }, async () => {
    let cursor = '';
    for (let page = 0; page < LIST_MAX_PAGES; page++) {
      const query = {
        types: 'public_channel,private_channel',
        exclude_archived: 'true',
        limit: String(LIST_PAGE_SIZE),
        ...(cursor === '' ? {} : { cursor }),
      };
      const result = await callSlackApi<{
        channels?: { id?: unknown; name?: unknown }[];
        response_metadata?: { next_cursor?: unknown };
      }>(http, target, 'conversations.list', query, 'GET');
      if (!result.ok) throw deliveryRejected(SLACK_API, result.httpStatus, result.error);

      const match = (result.body.channels ?? []).find((channel) => channel.name === name);
      if (typeof match?.id === 'string') return match.id;

      const next = result.body.response_metadata?.next_cursor;
      if (typeof next !== 'string' || next === '') return undefined;
      cursor = next;
    }

    // TODO(slack-channels): a workspace with more than 10,000 visible channels is not searched to the end.
    log.warn('slack channel search stopped at the page limit', { channelName: name, pages: LIST_MAX_PAGES });
    return undefined;
  });
}

/**
 * Invites members to a channel with `conversations.invite`, all IDs in one
 * comma-separated `users`. A member who is already in the channel counts
 * as success.
 *
 * Slack's documentation does not say whether the other members were added
 * when one of several is already in the channel, so that error is
 * followed by one invite per member.
 */
export async function inviteToSlackChannel(
  http: AxiosInstance,
  target: SlackApiTarget,
  channelId: string,
  userIds: readonly string[],
): Promise<SlackInviteOutcome> {
  if (userIds.length === 0) return 'nothing-to-invite';

  return logSlackFailures('conversations.invite', { channelId, members: userIds.length }, async () => {
    const outcome = await inviteOnce(http, target, channelId, userIds);
    if (outcome === 'invited' || userIds.length === 1) return outcome;

    let invitedAny = false;
    for (const userId of userIds) {
      if ((await inviteOnce(http, target, channelId, [userId])) === 'invited') invitedAny = true;
    }
    return invitedAny ? 'invited' : 'already-in-channel';
  });
}

/**
 * Builds a channel name such as `inc-20261204-barq-api-0123abcd` from the
 * UTC date, the service and a short incident ID. Slack channel names hold
 * at most 80 lower-case letters, digits, hyphens and underscores, so the
 * service is folded to those characters and shortened to fit.
 *
 * The short ID is the first 8 characters of the incident ID's last
 * hyphen-separated segment (the digest in `alertmanager-<digest>`). When that
 * segment is shorter, the first 8 hex digits of the ID's SHA-256 are used.
 */
export function incidentChannelName(date: Date, service: string, incidentId: string): string {
  const day = date.toISOString().slice(0, 10).replaceAll('-', '');
  const shortId = shortIncidentId(incidentId);
  const fixedLength = `inc-${day}--${shortId}`.length;
  const serviceName = slugify(service).slice(0, CHANNEL_NAME_MAX - fixedLength).replace(/-+$/, '') || 'service';
  return `inc-${day}-${serviceName}-${shortId}`;
}

/**
 * Builds the Block Kit blocks of a message: the title as a header, the text
 * as a section, and buttons to the incident and its Temporal workflow.
 */
export function slackBlocks(message: OutgoingMessage): SlackBlock[] {
  const blocks: SlackBlock[] = [{ type: 'header', text: { type: 'plain_text', text: truncateText(message.title, HEADER_MAX) } }];
  if (message.text.trim() !== '') {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: escapeToFit(message.text, SECTION_MAX) } });
  }
  blocks.push({
    type: 'actions',
    elements: [
      linkButton('Open incident', message.links.incident, 'open-incident'),
      linkButton('Open in Temporal UI', message.links.temporalUi, 'open-temporal-ui'),
    ],
  });
  return blocks;
}

/** Builds the top-level `text`, which Slack shows in notifications and where blocks cannot be shown. */
function slackFallbackText(message: OutgoingMessage): string {
  return escapeToFit(`${message.title}\n${message.text}`.trim(), FALLBACK_TEXT_MAX);
}

type SlackCallResult<T> = { ok: true; httpStatus: number; body: T } | { ok: false; httpStatus: number; error: string };

/**
 * Calls one Web API method and lets axios errors propagate for translation.
 * An `ok: false` response with a retryable code becomes a retryable
 * failure. Any other `ok: false` is returned for the caller to handle or
 * reject.
 */
async function callSlackApi<T>(
  http: AxiosInstance,
  target: SlackApiTarget,
  method: string,
  args: Record<string, unknown>,
  httpMethod: 'GET' | 'POST' = 'POST',
): Promise<SlackCallResult<T>> {
  const url = `${target.baseUrl.replace(/\/+$/, '')}/${method}`;
  const headers = { Authorization: `Bearer ${target.token}`, ...(httpMethod === 'POST' ? jsonHeaders() : {}) };
  const response: AxiosResponse<unknown> =
    httpMethod === 'POST'
      ? await http.post(url, args, { timeout: PROVIDER_REQUEST_TIMEOUT_MS, headers })
      : await http.get(url, { params: args, timeout: PROVIDER_REQUEST_TIMEOUT_MS, headers });

  const body = response.data;
  if (typeof body !== 'object' || body === null || typeof (body as { ok?: unknown }).ok !== 'boolean') {
    throw deliveryRejected(SLACK_API, response.status, 'not_a_web_api_response');
  }
  if ((body as { ok: boolean }).ok) return { ok: true, httpStatus: response.status, body: body as T };

  const error = providerErrorCode(body) ?? 'unknown_error';
  if (RETRYABLE_API_ERRORS.has(error)) {
    const delay = retryAfterMs(response.headers, Date.now());
    throw deliveryUnavailable(SLACK_API, response.status, `${SLACK_API} ${method} returned ${error}`, delay);
  }
  return { ok: false, httpStatus: response.status, error };
}

/** Runs Web API calls, and logs and rethrows any error translated for Temporal. */
async function logSlackFailures<T>(method: string, logFields: Record<string, unknown>, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const failure = translateDeliveryError(error, SLACK_API);
    log.warn('slack call failed', { ...logFields, method, error: failure.message });
    throw failure;
  }
}

async function inviteOnce(
  http: AxiosInstance,
  target: SlackApiTarget,
  channelId: string,
  userIds: readonly string[],
): Promise<'invited' | 'already-in-channel'> {
  const result = await callSlackApi(http, target, 'conversations.invite', { channel: channelId, users: userIds.join(',') });
  if (result.ok) return 'invited';
  if (result.error === 'already_in_channel') {
    log.info('slack members already in channel', { channelId, members: userIds.length });
    return 'already-in-channel';
  }
  throw deliveryRejected(SLACK_API, result.httpStatus, result.error);
}

function jsonHeaders(): Record<string, string> {
  return { 'Content-Type': 'application/json; charset=utf-8' };
}

function linkButton(label: string, url: string, actionId: string): SlackBlock {
  return { type: 'button', text: { type: 'plain_text', text: label }, url, action_id: actionId };
}

/** Escapes the three characters that Slack's mrkdwn reserves: `&`, `<` and `>`. */
function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Escapes `text` for mrkdwn and cuts it before escaping, so a cut never splits an entity. */
function escapeToFit(text: string, maxLength: number): string {
  let limit = maxLength;
  let escaped = escapeMrkdwn(truncateText(text, limit));
  while (escaped.length > maxLength) {
    limit -= escaped.length - maxLength;
    escaped = escapeMrkdwn(truncateText(text, limit));
  }
  return escaped;
}

function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
}

function shortIncidentId(incidentId: string): string {
  const lastSegment = slugify(incidentId.split('-').at(-1) ?? '');
  if (lastSegment.length >= 8) return lastSegment.slice(0, 8);
  return createHash('sha256').update(incidentId).digest('hex').slice(0, 8);
}
