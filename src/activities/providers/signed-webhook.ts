import { createHmac, timingSafeEqual } from 'node:crypto';

import { log } from '@temporalio/activity';
import type { AxiosInstance } from 'axios';

import { translateDeliveryError } from './delivery-errors.js';
import { PROVIDER_REQUEST_TIMEOUT_MS, type DeliveryReceipt, type OutgoingMessage } from './message.js';

/** Provider ID of generic JSON webhooks in receipts and failures. */
export const SIGNED_WEBHOOK = 'webhook';

export const SIGNATURE_HEADER = 'X-Barq-Signature';
export const TIMESTAMP_HEADER = 'X-Barq-Timestamp';

/** Version tag of the signature scheme: HMAC-SHA256 over `<timestamp>.<body>`, hex-encoded. */
const SCHEME = 'v1';

/** Tolerance that receivers should allow between the timestamp and their clock, in seconds. */
export const RECOMMENDED_TOLERANCE_SECONDS = 300;

/** A generic webhook and the keys that sign its requests. */
export interface SignedWebhookTarget {
  url: string;
  /**
   * Signing keys, the current one first. During a rotation the key being
   * retired follows, and each key adds a signature. Empty: send unsigned.
   */
  secrets: readonly string[];
}

/**
 * Posts the message as JSON with `Idempotency-Key`, `X-Barq-Timestamp` and,
 * when the target has keys, `X-Barq-Signature` (see docs/webhook-signatures.md).
 * A receiver that responds with `{"duplicate": true}` had seen the key before.
 * Runs inside an activity, whose logger it uses.
 */
export async function sendSignedWebhook(
  http: AxiosInstance,
  target: SignedWebhookTarget,
  message: OutgoingMessage,
  now: number = Date.now(),
): Promise<DeliveryReceipt> {
  const logFields = { provider: SIGNED_WEBHOOK, incidentId: message.incidentId, idempotencyKey: message.idempotencyKey };
  const body = JSON.stringify(message);
  const timestamp = Math.floor(now / 1000);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Idempotency-Key': message.idempotencyKey,
    [TIMESTAMP_HEADER]: String(timestamp),
  };
  if (target.secrets.length > 0) headers[SIGNATURE_HEADER] = signWebhook(body, timestamp, target.secrets);

  try {
    // Axios sends a Buffer unchanged, so the receiver gets exactly the signed bytes.
    const response = await http.post<unknown>(target.url, Buffer.from(body, 'utf8'), { timeout: PROVIDER_REQUEST_TIMEOUT_MS, headers });
    const duplicate = (response.data as { duplicate?: unknown } | null)?.duplicate === true;

    log.info('message delivered', { ...logFields, httpStatus: response.status, duplicate, signed: target.secrets.length > 0 });
    return { provider: SIGNED_WEBHOOK, httpStatus: response.status, duplicate };
  } catch (error) {
    const failure = translateDeliveryError(error, SIGNED_WEBHOOK);
    log.warn('delivery attempt failed', { ...logFields, error: failure.message });
    throw failure;
  }
}

/**
 * Builds the `X-Barq-Signature` value: one `v1=<hex>` per key, in the order
 * given and joined by commas, where `<hex>` is the hex HMAC-SHA256 of
 * `<timestamp>.<body>` under that key. `timestamp` is in Unix seconds.
 */
export function signWebhook(body: string, timestamp: number, secrets: readonly string[]): string {
  return secrets.map((secret) => `${SCHEME}=${hmacHex(secret, timestamp, body)}`).join(',');
}

/**
 * Checks a request's signature header against one key. Returns true when
 * the timestamp is within `toleranceSeconds` of `now` (epoch milliseconds),
 * in either direction, and any `v1` signature in the header matches. The
 * comparison takes constant time. `timestamp` and `body` are signed as
 * received, so `body` must be the raw body before any JSON parsing.
 */
export function verifyWebhookSignature(
  header: string,
  timestamp: string | number,
  body: string,
  secret: string,
  toleranceSeconds: number = RECOMMENDED_TOLERANCE_SECONDS,
  now: number = Date.now(),
): boolean {
  const timestampText = String(timestamp).trim();
  if (!/^\d{1,12}$/.test(timestampText)) return false;

  const seconds = Number(timestampText);
  if (Math.abs(now / 1000 - seconds) > toleranceSeconds) return false;

  const expected = Buffer.from(hmacHex(secret, timestampText, body), 'hex');
  let matched = false;
  for (const entry of header.split(',')) {
    const [scheme, value] = entry.trim().split('=', 2);
    if (scheme !== SCHEME || value === undefined || !/^[0-9a-f]{64}$/i.test(value)) continue;

    // Every entry is compared, so the time taken does not reveal which one matched.
    if (timingSafeEqual(Buffer.from(value, 'hex'), expected)) matched = true;
  }
  return matched;
}

function hmacHex(secret: string, timestamp: number | string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}
