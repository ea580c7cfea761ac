import { log } from '@temporalio/activity';
import type { AxiosInstance } from 'axios';

import type { Severity } from '../../shared/incident.js';
import { deliveryUnavailable, translateDeliveryError } from './delivery-errors.js';
import { PROVIDER_REQUEST_TIMEOUT_MS, type DeliveryReceipt, type OutgoingMessage } from './message.js';

/** Provider ID of Teams incoming webhooks in receipts and failures. */
export const TEAMS_WEBHOOK = 'teams-webhook';

/** Card accent colour per severity, as hex RGB without `#`: red, orange, amber, blue. */
export const TEAMS_THEME_COLORS: Record<Severity, string> = {
  P0: 'D13438',
  P1: 'F7630C',
  P2: 'FFB900',
  P3: '0078D4',
};

/** A legacy Office 365 connector card (`MessageCard`) with link buttons. */
export interface TeamsMessageCard {
  '@type': 'MessageCard';
  '@context': string;
  summary: string;
  themeColor: string;
  title: string;
  text: string;
  potentialAction: { '@type': 'OpenUri'; name: string; targets: { os: 'default'; uri: string }[] }[];
}

/**
 * Text that Teams connectors put in a 2xx body when they throttle a sender.
 * Microsoft's connector guide notes that connectors do not return HTTP 429.
 */
const THROTTLED_MARKER = 'HTTP error 429';

/**
 * Posts a message to a Microsoft Teams incoming webhook as a `MessageCard`.
 * Teams returns 200 with the text `1`. A throttled post also returns 2xx,
 * with the throttling error in the body, and is retried. Incoming webhooks
 * take no idempotency key, so a retry after a lost response can post twice.
 * Runs inside an activity, whose logger it uses.
 *
 * NOTE: Microsoft has deprecated the Office 365 connectors behind these
 * webhooks. Webhooks created with the Workflows app expect Adaptive Cards,
 * and this card format has not been tried against them.
 */
export async function sendTeamsWebhook(http: AxiosInstance, webhookUrl: string, message: OutgoingMessage): Promise<DeliveryReceipt> {
  const logFields = { provider: TEAMS_WEBHOOK, incidentId: message.incidentId, idempotencyKey: message.idempotencyKey };

  try {
    const response = await http.post<string>(webhookUrl, teamsMessageCard(message), {
      timeout: PROVIDER_REQUEST_TIMEOUT_MS,
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      responseType: 'text',
    });
    if (typeof response.data === 'string' && response.data.includes(THROTTLED_MARKER)) {
      throw deliveryUnavailable(TEAMS_WEBHOOK, 429, `${TEAMS_WEBHOOK} throttled the message`);
    }

    log.info('message delivered', { ...logFields, httpStatus: response.status });
    return { provider: TEAMS_WEBHOOK, httpStatus: response.status, duplicate: false };
  } catch (error) {
    const failure = translateDeliveryError(error, TEAMS_WEBHOOK);
    log.warn('delivery attempt failed', { ...logFields, error: failure.message });
    throw failure;
  }
}

/**
 * Builds the `MessageCard` of a message: title, text, a colour by severity
 * and `OpenUri` buttons to the incident and its Temporal workflow. Teams
 * renders card text as Markdown, which joins lines split by a single line
 * break, so each line break becomes a paragraph break.
 */
export function teamsMessageCard(message: OutgoingMessage): TeamsMessageCard {
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: message.title,
    themeColor: TEAMS_THEME_COLORS[message.severity],
    title: message.title,
    text: message.text.replace(/\r?\n/g, '\n\n'),
    potentialAction: [openUri('Open incident', message.links.incident), openUri('Open in Temporal UI', message.links.temporalUi)],
  };
}

function openUri(name: string, uri: string): TeamsMessageCard['potentialAction'][number] {
  return { '@type': 'OpenUri', name, targets: [{ os: 'default', uri }] };
}
