import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { AxiosInstance } from 'axios';

import { translateDeliveryError } from './delivery-errors.js';
import { PROVIDER_REQUEST_TIMEOUT_MS, truncateText, type DeliveryReceipt, type OutgoingMessage } from './message.js';

/** Provider ID of the Messages API in receipts and failures. */
export const TWILIO = 'twilio';

export const TWILIO_API_BASE_URL = 'https://api.twilio.com';

/** A Twilio account and the sender its messages come from. */
export interface TwilioAccount {
  /** `https://api.twilio.com` in production, or a loopback server in tests. */
  baseUrl: string;
  /** Account SID (`AC…`), also the basic-auth user. */
  accountSid: string;
  /** Auth token, the basic-auth password. */
  authToken: string;
  /** Sending number in E.164 form. Required unless `messagingServiceSid` is set. */
  from?: string;
  /** Messaging Service SID (`MG…`), sent in place of `from` when set. */
  messagingServiceSid?: string;
}

/** Twilio's maximum `Body` length. */
const BODY_MAX = 1600;

/** Maximum title length in an SMS, which keeps the message to a few segments. */
const SMS_TITLE_MAX = 200;

/**
 * Sends an SMS through the Messages API: POST
 * `{baseUrl}/2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded,
 * with HTTP basic auth. Twilio returns 201 with the message resource, and the
 * receipt's `providerReference` is its `sid`. The recipient's number is
 * never logged nor put in an error message. Runs inside an activity, whose
 * logger it uses.
 *
 * NOTE: the idempotency key goes in `I-Twilio-Idempotency-Token`. Twilio
 * documents that header on the webhooks it sends. It is not confirmed that
 * the Messages API drops a repeated token, so a retry after a lost response
 * may send a second SMS.
 */
export async function sendTwilioSms(http: AxiosInstance, account: TwilioAccount, to: string, message: OutgoingMessage): Promise<DeliveryReceipt> {
  const logFields = { provider: TWILIO, incidentId: message.incidentId, idempotencyKey: message.idempotencyKey };
  const url = `${account.baseUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(account.accountSid)}/Messages.json`;

  try {
    const form = new URLSearchParams({ To: to, ...senderField(account), Body: smsBody(message) });
    const response = await http.post<unknown>(url, form.toString(), {
      timeout: PROVIDER_REQUEST_TIMEOUT_MS,
      auth: { username: account.accountSid, password: account.authToken },
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'I-Twilio-Idempotency-Token': message.idempotencyKey,
      },
    });
    const sid = (response.data as { sid?: unknown } | null)?.sid;

    log.info('message delivered', { ...logFields, httpStatus: response.status });
    return { provider: TWILIO, httpStatus: response.status, duplicate: false, ...(typeof sid === 'string' ? { providerReference: sid } : {}) };
  } catch (error) {
    const failure = translateDeliveryError(error, TWILIO);
    log.warn('delivery attempt failed', { ...logFields, error: failure.message });
    throw failure;
  }
}

/**
 * Builds the SMS text: the title and a link to the incident, cut to
 * Twilio's 1600-character limit.
 */
export function smsBody(message: OutgoingMessage): string {
  const link = message.links.incident;
  const title = truncateText(message.title, SMS_TITLE_MAX);
  return truncateText(`${title}\n${link}`, BODY_MAX);
}

function senderField(account: TwilioAccount): { MessagingServiceSid: string } | { From: string } {
  if (account.messagingServiceSid !== undefined && account.messagingServiceSid !== '') {
    return { MessagingServiceSid: account.messagingServiceSid };
  }
  if (account.from !== undefined && account.from !== '') return { From: account.from };

  throw ApplicationFailure.create({
    type: 'InvalidDeliveryTarget',
    nonRetryable: true,
    message: 'the Twilio account has neither a sending number (From) nor a Messaging Service SID. Set providers.twilio.from.',
  });
}
