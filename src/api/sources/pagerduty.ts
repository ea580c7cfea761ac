import { randomUUID } from 'node:crypto';

import { Type, type Static } from '@sinclair/typebox';

import type { SeverityMappingConfig } from '../../config/alerts-schema.js';
import { StringEnum } from '../routes/schemas.js';
import { ApiError } from '../errors.js';
import {
  MAX_DEDUP_KEY_CHARS,
  MAX_SERVICE_CHARS,
  MAX_SUMMARY_CHARS,
  buildSnapshot,
  incidentIdFor,
  severityFromLabels,
  type NormalizedAlert,
} from './snapshot.js';

const EventPayload = Type.Object({
  summary: Type.String({ minLength: 1, maxLength: 1024 }),
  source: Type.String({ minLength: 1, maxLength: 255 }),
  severity: StringEnum(['critical', 'error', 'warning', 'info']),
  timestamp: Type.Optional(Type.String({ maxLength: 64 })),
  component: Type.Optional(Type.String({ maxLength: 255 })),
  group: Type.Optional(Type.String({ maxLength: 255 })),
  class: Type.Optional(Type.String({ maxLength: 255 })),
  custom_details: Type.Optional(Type.Unknown()),
});

const Link = Type.Object({ href: Type.String({ minLength: 1, maxLength: 2048 }), text: Type.Optional(Type.String({ maxLength: 1024 })) });

/**
 * An event in the format of PagerDuty's Events API v2. `trigger` needs a
 * payload; `acknowledge` and `resolve` need the `dedup_key` of a trigger.
 */
export const PagerDutyEvent = Type.Object(
  {
    routing_key: Type.String({ minLength: 1, maxLength: 64 }),
    event_action: StringEnum(['trigger', 'acknowledge', 'resolve']),
    dedup_key: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    payload: Type.Optional(EventPayload),
    client: Type.Optional(Type.String({ maxLength: 1024 })),
    client_url: Type.Optional(Type.String({ maxLength: 2048 })),
    links: Type.Optional(Type.Array(Link, { maxItems: 50 })),
    images: Type.Optional(Type.Array(Type.Object({ src: Type.String({ maxLength: 2048 }) }), { maxItems: 50 })),
  },
  { description: 'PagerDuty Events API v2 event' },
);

export type PagerDutyEvent = Static<typeof PagerDutyEvent>;

/** PagerDuty's response to an accepted event, plus the ID of the incident it landed on. */
export const PagerDutyAccepted = Type.Object({
  status: Type.Literal('success'),
  message: Type.String(),
  dedup_key: Type.String(),
  /** Null when an acknowledge or resolve found no running incident to change. */
  incident_id: Type.Union([Type.String(), Type.Null()]),
});

/** Returns the incident ID that an acknowledge or resolve with this dedup key addresses. */
export function pagerDutyIncidentId(dedupKey: string): string {
  return incidentIdFor('pagerduty', dedupKey);
}

/**
 * Checks what the schema cannot express per action and returns the event's
 * dedup key: its own, or a new one for a trigger without one.
 */
export function pagerDutyDedupKey(event: PagerDutyEvent): string {
  if (event.event_action === 'trigger') {
    if (event.payload === undefined) throw missing('body.payload', 'a trigger event needs a payload with summary, source and severity');
    return event.dedup_key ?? randomUUID().replaceAll('-', '');
  }
  if (event.dedup_key === undefined) throw missing('body.dedup_key', `an ${event.event_action} event needs the dedup_key of its trigger`);
  return event.dedup_key;
}

export function normalizePagerDutyTrigger(
  event: PagerDutyEvent & { payload: NonNullable<PagerDutyEvent['payload']> },
  dedupKey: string,
  mapping: SeverityMappingConfig,
  defaultService: string,
): NormalizedAlert {
  const { payload } = event;
  const details = stringFields(payload.custom_details);
  const labels: Record<string, string> = {
    ...details,
    severity: payload.severity,
    source: payload.source,
    ...(payload.component === undefined ? {} : { component: payload.component }),
    ...(payload.group === undefined ? {} : { group: payload.group }),
    ...(payload.class === undefined ? {} : { class: payload.class }),
  };
  // An explicit P0..P3 in custom_details wins over the payload's severity.
  const severity = severityFromLabels({ ...labels, ...pickExplicit(details, mapping) }, mapping);
  const service = (details['service'] ?? payload.component ?? defaultService).slice(0, MAX_SERVICE_CHARS);

  return {
    incidentId: pagerDutyIncidentId(dedupKey),
    dedupKey: dedupKey.slice(0, MAX_DEDUP_KEY_CHARS),
    severity,
    service,
    summary: payload.summary.slice(0, MAX_SUMMARY_CHARS),
    opensIncident: true,
    snapshot: buildSnapshot({
      source: 'pagerduty',
      status: 'firing',
      receiver: event.client ?? payload.source,
      groupLabels: {},
      commonLabels: labels,
      commonAnnotations: {},
      externalUrl: event.client_url ?? event.links?.[0]?.href ?? '',
      alertCount: 1,
      firingCount: 1,
      fingerprints: [dedupKey],
    }),
  };
}

/** Builds the workflow's "all resolved" notification from a resolve event. */
export function normalizePagerDutyResolve(dedupKey: string, mapping: SeverityMappingConfig, defaultService: string): NormalizedAlert {
  return {
    incidentId: pagerDutyIncidentId(dedupKey),
    dedupKey: dedupKey.slice(0, MAX_DEDUP_KEY_CHARS),
    severity: mapping.default,
    service: defaultService,
    summary: 'resolved by a PagerDuty event',
    opensIncident: true,
    snapshot: buildSnapshot({
      source: 'pagerduty',
      status: 'resolved',
      receiver: '',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalUrl: '',
      alertCount: 1,
      firingCount: 0,
      fingerprints: [dedupKey],
    }),
  };
}

/** Returns the string fields of `custom_details`, which act as labels (PagerDuty allows any JSON there). */
function stringFields(details: unknown): Record<string, string> {
  if (typeof details !== 'object' || details === null || Array.isArray(details)) return {};
  return Object.fromEntries(Object.entries(details).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

function pickExplicit(details: Record<string, string>, mapping: SeverityMappingConfig): Record<string, string> {
  return Object.fromEntries(
    mapping.labels.flatMap((label) => {
      const value = details[label];
      return value !== undefined && /^P[0-3]$/i.test(value) ? [[label, value]] : [];
    }),
  );
}

function missing(field: string, reason: string): ApiError {
  return new ApiError('INVALID_BODY', `${field} is missing; ${reason}`, { field });
}
