import { createHash } from 'node:crypto';

import { log } from '@temporalio/activity';
import type { AxiosInstance } from 'axios';

import type { Severity } from '../../shared/incident.js';
import { translateDeliveryError } from './delivery-errors.js';
import { PROVIDER_REQUEST_TIMEOUT_MS, truncateText, type DeliveryReceipt, type OutgoingMessage } from './message.js';

/** Provider ID of the Events API in receipts and failures. */
export const PAGERDUTY = 'pagerduty';

export const PAGERDUTY_EVENTS_BASE_URL = 'https://events.pagerduty.com';

/** Location of the Events API v2 and the integration's routing key. */
export interface PagerDutyTarget {
  /** `https://events.pagerduty.com` in production, or a loopback server in tests. */
  baseUrl: string;
  /** The integration key of an Events API v2 integration on a PagerDuty service. */
  routingKey: string;
  /** `payload.source`: the affected system. Defaults to `barq-incident`. */
  source?: string;
}

/** PagerDuty event severity per incident severity. */
export const PAGERDUTY_SEVERITIES: Record<Severity, 'critical' | 'error' | 'warning' | 'info'> = {
  P0: 'critical',
  P1: 'error',
  P2: 'warning',
  P3: 'info',
};

// Events API v2 limits: dedup_key 255 characters, payload.summary 1024.
const DEDUP_KEY_MAX = 255;
const SUMMARY_MAX = 1024;

/** The Events API v2 body of an alert event. */
export interface PagerDutyEvent {
  routing_key: string;
  event_action: 'trigger' | 'acknowledge' | 'resolve';
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: 'critical' | 'error' | 'warning' | 'info';
    custom_details: Record<string, string>;
  };
  links?: { href: string; text: string }[];
  client?: string;
  client_url?: string;
}

/**
 * Sends an alert event to `{baseUrl}/v2/enqueue`. The message's `event`
 * becomes the `event_action`. PagerDuty has no plain notification, so
 * `notify` is sent as `trigger`, which adds a log entry to the open alert
 * with the same `dedup_key`. Once that alert is resolved, a trigger opens a
 * new alert, and so does a `notify`. PagerDuty returns 202 with
 * `{status: "success", dedup_key}`, and the receipt's `providerReference` is
 * that key. The `dedup_key` also makes a retried trigger land on the same
 * alert. Runs inside an activity, whose logger it uses.
 */
export async function sendPagerDutyEvent(http: AxiosInstance, target: PagerDutyTarget, message: OutgoingMessage): Promise<DeliveryReceipt> {
  const event = pagerDutyEvent(target, message);
  const logFields = { provider: PAGERDUTY, incidentId: message.incidentId, idempotencyKey: message.idempotencyKey, action: event.event_action };

  try {
    const response = await http.post<unknown>(`${target.baseUrl.replace(/\/+$/, '')}/v2/enqueue`, event, {
      timeout: PROVIDER_REQUEST_TIMEOUT_MS,
      headers: { 'Content-Type': 'application/json' },
    });
    const returnedKey = (response.data as { dedup_key?: unknown } | null)?.dedup_key;

    log.info('message delivered', { ...logFields, httpStatus: response.status });
    return {
      provider: PAGERDUTY,
      httpStatus: response.status,
      duplicate: false,
      providerReference: typeof returnedKey === 'string' ? returnedKey : event.dedup_key,
    };
  } catch (error) {
    const failure = translateDeliveryError(error, PAGERDUTY);
    log.warn('delivery attempt failed', { ...logFields, error: failure.message });
    throw failure;
  }
}

/**
 * Builds the Events API v2 body of a message. Only a trigger carries a
 * payload and links. Acknowledge and resolve name the alert by `dedup_key`.
 */
export function pagerDutyEvent(target: PagerDutyTarget, message: OutgoingMessage): PagerDutyEvent {
  const action = message.event === 'notify' ? 'trigger' : message.event;
  const event: PagerDutyEvent = { routing_key: target.routingKey, event_action: action, dedup_key: pagerDutyDedupKey(message.incidentId) };
  if (action !== 'trigger') return event;

  return {
    ...event,
    payload: {
      summary: truncateText(message.title, SUMMARY_MAX),
      source: target.source ?? 'barq-incident',
      severity: PAGERDUTY_SEVERITIES[message.severity],
      custom_details: { incidentId: message.incidentId, severity: message.severity, details: message.text },
    },
    links: [
      { href: message.links.incident, text: 'Incident' },
      { href: message.links.temporalUi, text: 'Temporal workflow' },
    ],
    client: 'BARQ incident response',
    client_url: message.links.incident,
  };
}

/**
 * Derives the one `dedup_key` of an incident. An ID longer than PagerDuty's
 * 255-character limit keeps its first 190 characters and gains a SHA-256 of
 * the whole ID, so two long IDs with the same start still differ.
 */
export function pagerDutyDedupKey(incidentId: string): string {
  if (incidentId.length <= DEDUP_KEY_MAX) return incidentId;

  const digest = createHash('sha256').update(incidentId).digest('hex');
  return `${incidentId.slice(0, DEDUP_KEY_MAX - digest.length - 1)}-${digest}`;
}
