import { ApplicationFailure } from '@temporalio/common';
import { AxiosError } from 'axios';

/** Failure type of a delivery that may succeed later: no response, 408, 429 or 5xx. */
export const DELIVERY_UNAVAILABLE = 'DeliveryUnavailable';

/** Failure type of a delivery that the provider rejected, so retrying will not help. */
export const DELIVERY_REJECTED = 'DeliveryRejected';

/** Maximum delay taken from a `Retry-After` header, in milliseconds (10 minutes). */
export const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

/** The `details[0]` of a `DeliveryUnavailable` failure. */
export interface DeliveryUnavailableDetails {
  provider: string;
  /** HTTP status, or null when no response arrived. */
  status: number | null;
  /** Delay requested by `Retry-After`, capped at 10 minutes, or null when the header is absent. */
  retryAfterMs: number | null;
}

/** The `details[0]` of a `DeliveryRejected` failure. */
export interface DeliveryRejectedDetails {
  provider: string;
  status: number;
  /** The provider's error code, such as Slack's `channel_not_found` or Twilio's `21211`, when it sent one. */
  errorCode?: string;
}

/**
 * Translates an error from a provider request into what Temporal should do
 * with it. No response, 408, 429 and 5xx become a retryable
 * `DeliveryUnavailable` failure whose `nextRetryDelay` follows `Retry-After`.
 * Other HTTP statuses become a non-retryable `DeliveryRejected` failure.
 * An `ApplicationFailure` and any error that did not come from axios are
 * returned unchanged.
 *
 * Messages name the provider and the status only. URLs are left out because
 * webhook URLs embed secrets, and provider error texts are left out because
 * they can quote the phone number. The axios error is not attached as
 * `cause` for the same reason: its message can carry the host.
 */
export function translateDeliveryError(error: unknown, provider: string, now: number = Date.now()): Error {
  if (error instanceof ApplicationFailure) return error;
  if (!(error instanceof AxiosError)) {
    return error instanceof Error ? error : new Error(String(error));
  }

  const response = error.response;
  if (response === undefined) {
    return deliveryUnavailable(provider, null, `${provider} did not respond (${describeTransportError(error)})`);
  }

  const status = response.status;
  if (isRetryableStatus(status)) {
    const delay = retryAfterMs(response.headers, now);
    return deliveryUnavailable(provider, status, `${provider} responded with HTTP ${status}`, delay);
  }
  return deliveryRejected(provider, status, providerErrorCode(response.data));
}

/**
 * Builds the retryable failure of one provider request. `reason` must not
 * contain a URL, token or phone number.
 */
export function deliveryUnavailable(provider: string, status: number | null, reason: string, retryAfter?: number): ApplicationFailure {
  const details: DeliveryUnavailableDetails = { provider, status, retryAfterMs: retryAfter ?? null };
  const wait = retryAfter === undefined ? '' : `; Retry-After asks for ${Math.ceil(retryAfter / 1000)} s`;

  return ApplicationFailure.create({
    type: DELIVERY_UNAVAILABLE,
    nonRetryable: false,
    message: `${reason}${wait}`,
    details: [details],
    // A zero delay is left to the retry policy's backoff.
    nextRetryDelay: retryAfter !== undefined && retryAfter > 0 ? retryAfter : undefined,
  });
}

/** Builds the non-retryable failure of a request that `provider` rejected. */
export function deliveryRejected(provider: string, status: number, errorCode?: string): ApplicationFailure {
  const details: DeliveryRejectedDetails = { provider, status, ...(errorCode === undefined ? {} : { errorCode }) };
  const code = errorCode === undefined ? '' : ` (${errorCode})`;

  return ApplicationFailure.create({
    type: DELIVERY_REJECTED,
    nonRetryable: true,
    message:
      `${provider} rejected the message with HTTP ${status}${code}; ` +
      `retrying will not help, so check the ${provider} credentials and target`,
    details: [details],
  });
}

/**
 * Reads `Retry-After` from response headers as milliseconds from `now`
 * (epoch milliseconds). The header contains either delay-seconds or an
 * HTTP-date (RFC 9110, section 10.2.3). A date in the past gives 0, and a
 * delay above 10 minutes is capped. Returns undefined when the header is
 * missing or invalid.
 */
export function retryAfterMs(headers: unknown, now: number): number | undefined {
  const value = headerValue(headers, 'retry-after');
  if (value === undefined) return undefined;

  const text = value.trim();
  let delay: number;
  if (/^\d+$/.test(text)) {
    delay = Number(text) * 1000;
  } else {
    const date = parseHttpDate(text);
    if (date === undefined) return undefined;
    delay = Math.max(0, date - now);
  }
  return Math.min(delay, MAX_RETRY_AFTER_MS);
}

/**
 * Extracts a provider's machine-readable error code from a response body:
 * Slack's webhook text (`channel_not_found`) or Web API `error`, Twilio's
 * numeric `code`, PagerDuty's `status` (`invalid event`). Only short codes
 * of letters, digits, underscores and spaces that start with a letter, or
 * integers, are taken, so a phone number, URL or token in a body never
 * reaches a message.
 */
export function providerErrorCode(body: unknown): string | undefined {
  if (typeof body === 'string') return safeCode(body);
  if (typeof body !== 'object' || body === null) return undefined;

  const fields = body as { error?: unknown; code?: unknown; status?: unknown };
  if (typeof fields.error === 'string') return safeCode(fields.error);
  if (typeof fields.code === 'number' && Number.isInteger(fields.code) && fields.code >= 0 && fields.code < 1_000_000) {
    return String(fields.code);
  }
  if (typeof fields.status === 'string') return safeCode(fields.status);
  return undefined;
}

/**
 * Parses the three HTTP-date forms of RFC 9110: IMF-fixdate, RFC 850 and
 * asctime. All start with a day name, which keeps Date.parse from taking
 * text such as "-5" as a year. asctime carries no zone but is GMT.
 */
function parseHttpDate(text: string): number | undefined {
  if (!/^[A-Za-z]{3,9},?\s/.test(text)) return undefined;

  const isAsctime = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/.test(text);
  const date = Date.parse(isAsctime ? `${text} GMT` : text);
  return Number.isNaN(date) ? undefined : date;
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function safeCode(text: string): string | undefined {
  const trimmed = text.trim();
  return /^[A-Za-z][A-Za-z0-9_ ]{0,63}$/.test(trimmed) ? trimmed : undefined;
}

function describeTransportError(error: AxiosError): string {
  if (error.code === AxiosError.ECONNABORTED || error.code === AxiosError.ETIMEDOUT) return 'timed out';
  return error.code ?? 'no response';
}

/** Reads one header from axios headers or a plain object, whatever the name's case. */
function headerValue(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;

  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  }
  return undefined;
}
