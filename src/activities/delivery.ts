import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { AxiosInstance } from 'axios';

import type { ChannelConfig } from '../config/contacts-schema.js';
import type { Config } from '../config/schema.js';
import type { DeliveryResult, PageRequest, PageResult } from '../shared/incident.js';
import { translateHttpError } from './http-errors.js';
import { onCallAt } from './oncall.js';
import { incidentLinks, pageText, pageTitle } from './page-text.js';
import { translateDeliveryError } from './providers/delivery-errors.js';
import type { DeliveryReceipt, OutgoingMessage } from './providers/message.js';
import { sendPagerDutyEvent } from './providers/pagerduty.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from './providers/signed-webhook.js';
import { postSlackMessage, sendSlackWebhook } from './providers/slack.js';
import { sendTeamsWebhook } from './providers/teams.js';
import { sendTwilioSms } from './providers/twilio.js';

export interface DeliveryDeps {
  config: Config;
  http: AxiosInstance;
  /** Base URL of the API that serves the development inbox. */
  devInboxUrl: string;
  /** Defaults to `process.env`, read at each call. */
  env?: NodeJS.ProcessEnv;
  /** Defaults to the current time; tests pin it to pick a rotation's shift. */
  now?: () => Date;
}

/** The JSON body a `dev-inbox` or unsigned `webhook` channel receives. */
export interface PagePayload {
  idempotencyKey: string;
  incidentId: string;
  contact: { id: string; name: string };
  severity: string;
  service: string;
  summary: string;
  stage: string;
  stageDueAt?: string;
  reason: string;
  title: string;
  text: string;
  links: { incident: string; temporalUi: string };
  sentAt: string;
}

/** The destination of a contact's page: its channels, and the person behind them when there is one. */
interface Recipient {
  contact: { id: string; name: string };
  channels: readonly ChannelConfig[];
  personId?: string;
  /** True when the person was resolved from a rotation. */
  onCall?: boolean;
}

/** PagerDuty events that mirror the incident's state. */
export interface MirrorRequest {
  incidentId: string;
  contactId: string;
  /** The person who was paged, for rotation contacts: their routing key is used even after the shift ended. */
  personId?: string;
  channelIndex: number;
  event: 'acknowledge' | 'resolve';
}

/**
 * Builds the idempotency key of a page from the incident (its ID and the
 * sending run's ID), the step that sends it and the recipient. A retry or a
 * replay of the same step reuses the key, and receivers drop a key they
 * have already seen.
 */
export function pageIdempotencyKey(request: Pick<PageRequest, 'incidentId' | 'runId' | 'step' | 'contactId'>): string {
  return `${request.incidentId}/${request.runId}/${request.step}/${request.contactId}`;
}

/**
 * Delivers one page through channel `channelIndex` of the contact. A
 * rotation contact is resolved to the person on call now, so addresses and
 * phone numbers are read only here and never enter workflow history. Every
 * failure carries the channel kind and the channel count in its details,
 * and a retryable one the receiver's Retry-After.
 */
export async function deliverPage(deps: DeliveryDeps, request: PageRequest): Promise<DeliveryResult> {
  const recipient = resolveRecipient(deps, request.contactId);
  const channelIndex = request.channelIndex ?? 0;
  const channel = recipient.channels[channelIndex];
  if (channel === undefined) {
    throw ApplicationFailure.create({
      type: 'UnknownChannel',
      nonRetryable: true,
      message: `contact ${request.contactId} has ${recipient.channels.length} channels, not ${channelIndex + 1}`,
      details: [{ channelCount: recipient.channels.length }],
    });
  }

  const idempotencyKey = pageIdempotencyKey(request);
  const logFields = { incidentId: request.incidentId, contactId: request.contactId, step: request.step, channel: channel.kind, channelIndex };
  try {
    const receipt = await sendThrough(deps, channel, recipient, request, idempotencyKey, 'trigger');
    log.info('page sent', { ...logFields, httpStatus: receipt.httpStatus, duplicate: receipt.duplicate });
    return {
      contactId: request.contactId,
      idempotencyKey,
      httpStatus: receipt.httpStatus,
      duplicate: receipt.duplicate,
      channel: channel.kind,
      channelIndex,
      channelCount: recipient.channels.length,
      ...(recipient.personId === undefined ? {} : { personId: recipient.personId }),
      ...(recipient.onCall === true ? { onCall: true } : {}),
    };
  } catch (error) {
    const failure = withChannel(error, channel.kind, recipient.channels.length);
    log.warn('page attempt failed', { ...logFields, error: failure.message });
    throw failure;
  }
}

/**
 * Pages a contact through its first channel that accepts the page. The
 * follow-up workflow and incidents recorded before channels existed use it;
 * Temporal retries the whole activity.
 */
export async function pageContact(deps: DeliveryDeps, request: PageRequest): Promise<PageResult> {
  const recipient = resolveRecipient(deps, request.contactId);
  let lastError: unknown;
  for (let channelIndex = 0; channelIndex < recipient.channels.length; channelIndex += 1) {
    try {
      const { contactId, idempotencyKey, httpStatus, duplicate } = await deliverPage(deps, { ...request, channelIndex });
      return { contactId, idempotencyKey, httpStatus, duplicate };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

/** Mirrors an acknowledgement or a resolution to PagerDuty, with the incident's dedup_key. */
export async function mirrorToPagerDuty(deps: DeliveryDeps, request: MirrorRequest): Promise<{ httpStatus: number }> {
  const recipient =
    request.personId === undefined ? resolveRecipient(deps, request.contactId) : personRecipient(deps, request.contactId, request.personId);
  const channel = recipient.channels[request.channelIndex];
  if (channel?.kind !== 'pagerduty') {
    throw ApplicationFailure.create({
      type: 'UnknownChannel',
      nonRetryable: true,
      message: `channel ${request.channelIndex + 1} of ${request.contactId} is not a PagerDuty channel`,
    });
  }
  const pageRequest: PageRequest = {
    incidentId: request.incidentId,
    runId: '',
    contactId: request.contactId,
    step: request.event,
    severity: 'P3',
    service: '',
    summary: '',
    stage: '',
    reason: request.event,
  };
  try {
    const receipt = await sendThrough(deps, channel, recipient, pageRequest, `${request.incidentId}/${request.event}`, request.event);
    log.info('pagerduty mirrored', { incidentId: request.incidentId, contactId: request.contactId, event: request.event });
    return { httpStatus: receipt.httpStatus };
  } catch (error) {
    throw withChannel(error, channel.kind, recipient.channels.length);
  }
}

function resolveRecipient(deps: DeliveryDeps, contactId: string): Recipient {
  const contact = deps.config.contacts.find((candidate) => candidate.id === contactId);
  if (contact === undefined) {
    throw ApplicationFailure.create({ type: 'UnknownContact', nonRetryable: true, message: `no contact with ID ${contactId} in the configuration` });
  }
  const summary = { id: contact.id, name: contact.name };
  if (contact.channels !== undefined) return { contact: summary, channels: contact.channels };
  if (contact.webhook !== undefined) {
    const channel: ChannelConfig = contact.webhook === 'dev-inbox' ? { kind: 'dev-inbox' } : { kind: 'webhook', url: contact.webhook };
    return { contact: summary, channels: [channel] };
  }
  if (contact.person !== undefined) return personRecipient(deps, contactId, contact.person);
  if (contact.rotation !== undefined) {
    const rotation = deps.config.oncall?.rotations.find((candidate) => candidate.id === contact.rotation);
    if (rotation === undefined) {
      throw ApplicationFailure.create({ type: 'UnknownRotation', nonRetryable: true, message: `contact ${contactId} names rotation ${contact.rotation}, which oncall.rotations lacks` });
    }
    const shift = onCallAt(rotation, deps.now?.() ?? new Date());
    return { ...personRecipient(deps, contactId, shift.personId), onCall: true };
  }
  throw ApplicationFailure.create({ type: 'ConfigurationMissing', nonRetryable: true, message: `contact ${contactId} has no webhook, channels, person or rotation` });
}

function personRecipient(deps: DeliveryDeps, contactId: string, personId: string): Recipient {
  const contact = deps.config.contacts.find((candidate) => candidate.id === contactId);
  const person = deps.config.people?.find((candidate) => candidate.id === personId);
  if (person === undefined) {
    throw ApplicationFailure.create({ type: 'UnknownPerson', nonRetryable: true, message: `no person with ID ${personId} in people` });
  }
  return { contact: { id: contactId, name: contact?.name ?? contactId }, channels: person.channels, personId };
}

async function sendThrough(
  deps: DeliveryDeps,
  channel: ChannelConfig,
  recipient: Recipient,
  request: PageRequest,
  idempotencyKey: string,
  event: OutgoingMessage['event'],
): Promise<DeliveryReceipt> {
  const links = incidentLinks(deps.config, request.incidentId);
  const message: OutgoingMessage = {
    idempotencyKey,
    incidentId: request.incidentId,
    severity: request.severity,
    title: pageTitle(request),
    text: pageText(request, links),
    links,
    event,
  };

  switch (channel.kind) {
    case 'dev-inbox':
      return postPayload(deps, new URL(`/dev/inbox/${encodeURIComponent(recipient.contact.id)}`, deps.devInboxUrl).toString(), recipient, request, message, []);
    case 'webhook': {
      // A configured key that is missing fails the channel: sending unsigned would look like a forgery to the receiver.
      const secrets = [secretFrom(deps, channel.secretEnv, true), secretFrom(deps, channel.previousSecretEnv, false)].filter(
        (secret): secret is string => secret !== undefined,
      );
      return postPayload(deps, channel.url, recipient, request, message, secrets);
    }
    case 'slack': {
      const token = requiredSecret(deps, 'SLACK_BOT_TOKEN');
      const baseUrl = deps.config.providers?.slack?.apiUrl ?? 'https://slack.com/api';
      return postSlackMessage(deps.http, { baseUrl, token }, channel.channel, message);
    }
    case 'slack-webhook':
      return sendSlackWebhook(deps.http, requiredSecret(deps, channel.urlEnv), message);
    case 'teams':
      return sendTeamsWebhook(deps.http, requiredSecret(deps, channel.urlEnv), message);
    case 'pagerduty': {
      const baseUrl = deps.config.providers?.pagerduty?.eventsUrl ?? 'https://events.pagerduty.com';
      return sendPagerDutyEvent(deps.http, { baseUrl, routingKey: requiredSecret(deps, channel.routingKeyEnv) }, message);
    }
    case 'sms': {
      const twilio = deps.config.providers?.twilio;
      if (twilio === undefined) throw missing('providers.twilio (apiUrl and from) is not configured; sms channels need it');
      const account = {
        baseUrl: twilio.apiUrl,
        accountSid: requiredSecret(deps, 'TWILIO_ACCOUNT_SID'),
        authToken: requiredSecret(deps, 'TWILIO_AUTH_TOKEN'),
        from: twilio.from,
      };
      return sendTwilioSms(deps.http, account, channel.phone, message);
    }
  }
}

/**
 * Posts the page as JSON with an `Idempotency-Key` header, signed with each
 * of `secrets` (docs/webhook-signatures.md); the body is the same signed or not.
 */
async function postPayload(
  deps: DeliveryDeps,
  url: string,
  recipient: Recipient,
  request: PageRequest,
  message: OutgoingMessage,
  secrets: readonly string[],
): Promise<DeliveryReceipt> {
  const payload: PagePayload = {
    idempotencyKey: message.idempotencyKey,
    incidentId: request.incidentId,
    contact: recipient.contact,
    severity: request.severity,
    service: request.service,
    summary: request.summary,
    stage: request.stage,
    ...(request.stageDueAt === undefined ? {} : { stageDueAt: request.stageDueAt }),
    reason: request.reason,
    title: message.title,
    text: message.text,
    links: message.links,
    sentAt: new Date().toISOString(),
  };
  const body = JSON.stringify(payload);
  const timestamp = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'Idempotency-Key': message.idempotencyKey,
    'Content-Type': 'application/json',
    [TIMESTAMP_HEADER]: String(timestamp),
  };
  if (secrets.length > 0) headers[SIGNATURE_HEADER] = signWebhook(body, timestamp, secrets);
  try {
    const response = await deps.http.post(url, body, { timeout: 10_000, headers, transformRequest: [(data: unknown) => data] });
    return { provider: 'webhook', httpStatus: response.status, duplicate: isDuplicateAnswer(response.data) };
  } catch (error) {
    throw translateDeliveryError(error, `page receiver of ${recipient.contact.id}`);
  }
}

function secretFrom(deps: DeliveryDeps, name: string | undefined, required: boolean): string | undefined {
  if (name === undefined) return undefined;
  const value = (deps.env ?? process.env)[name];
  if (value === undefined || value === '') {
    if (required) throw missing(`${name} is not set in the worker environment`);
    return undefined;
  }
  return value;
}

function requiredSecret(deps: DeliveryDeps, name: string): string {
  return secretFrom(deps, name, true) as string;
}

function missing(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'ConfigurationMissing', nonRetryable: true, message });
}

/** Adds the channel to a failure's details, keeping whether it is retryable and its delay. */
function withChannel(error: unknown, channel: string, channelCount: number): Error {
  if (error instanceof ApplicationFailure) {
    const details = (error.details?.[0] ?? {}) as Record<string, unknown>;
    return ApplicationFailure.create({
      type: error.type ?? 'DeliveryFailed',
      nonRetryable: error.nonRetryable ?? false,
      message: error.message,
      details: [{ ...details, channel, channelCount }],
      ...retryDelayOf(error),
    });
  }
  const translated = translateHttpError(error, channel);
  return ApplicationFailure.create({
    type: 'DeliveryUnavailable',
    nonRetryable: translated instanceof ApplicationFailure ? (translated.nonRetryable ?? false) : false,
    message: translated.message,
    details: [{ channel, channelCount }],
  });
}

/** Keeps a Retry-After delay for the callers that let Temporal retry the activity. */
function retryDelayOf(error: ApplicationFailure): { nextRetryDelay?: number } {
  const delay: unknown = error.nextRetryDelay;
  return typeof delay === 'number' ? { nextRetryDelay: delay } : {};
}

function isDuplicateAnswer(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { duplicate?: unknown }).duplicate === true;
}
