import type { Severity } from '../../shared/incident.js';

/**
 * The provider-neutral message that every sender in this folder takes. Each
 * sender renders it in its provider's format.
 */
export interface OutgoingMessage {
  /** `<incident>/<run>/<step>/<recipient>`; sent where the provider supports one. */
  idempotencyKey: string;
  incidentId: string;
  severity: Severity;
  /** One line, e.g. "P0 barq-api: health checks failing". */
  title: string;
  /** A few lines: what is affected, stage and its deadline, why you get this. */
  text: string;
  links: { incident: string; temporalUi: string };
  /** For providers that mirror the incident's state (PagerDuty). */
  event: 'trigger' | 'acknowledge' | 'resolve' | 'notify';
}

/** Record of one message that a provider accepted. */
export interface DeliveryReceipt {
  /** Sender ID, such as `slack-api` or `twilio`. */
  provider: string;
  httpStatus: number;
  /** True when the receiver reported that it had already seen the idempotency key. */
  duplicate: boolean;
  /** The provider's ID of what it created: Slack message `ts`, PagerDuty `dedup_key`, Twilio message SID. */
  providerReference?: string;
}

/** Timeout of every provider request, in milliseconds. */
export const PROVIDER_REQUEST_TIMEOUT_MS = 10_000;

/**
 * Cuts `text` to at most `maxLength` UTF-16 code units (JavaScript's string
 * length) and ends a cut text with an ellipsis. A cut never splits a
 * surrogate pair.
 */
export function truncateText(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;

  let head = text.slice(0, Math.max(0, maxLength - 1));
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  return `${head}…`;
}
