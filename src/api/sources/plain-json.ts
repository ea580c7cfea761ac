import { Type, type Static } from '@sinclair/typebox';

import type { SeverityMappingConfig } from '../../config/alerts-schema.js';
import { StringEnum } from '../routes/schemas.js';
import { SEVERITIES, type Severity } from '../../shared/incident.js';
import { ApiError } from '../errors.js';
import { MAX_DEDUP_KEY_CHARS, buildSnapshot, incidentIdFor, severityFromLabels, type NormalizedAlert } from './snapshot.js';

const Labels = Type.Record(Type.String({ maxLength: 128 }), Type.String({ maxLength: 1024 }), { maxProperties: 100 });

/**
 * BARQ's own alert format for scripts and tools without an integration:
 * one alert, identified by `key`.
 */
export const PlainAlert = Type.Object(
  {
    /** Identity of the problem; a repeat with the same key lands on the same incident. */
    key: Type.String({ minLength: 1, maxLength: 256 }),
    status: StringEnum(['firing', 'resolved']),
    /** Needed when firing. */
    summary: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    /** P0..P3, or a value of the json integration's severity table; without it, the table's labels and default decide. */
    severity: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    service: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,100}$' })),
    /** The tool that sent the alert. */
    source: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    labels: Type.Optional(Labels),
    annotations: Type.Optional(Labels),
    url: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 2048 })),
  },
  { additionalProperties: false, description: 'a plain JSON alert' },
);

export type PlainAlert = Static<typeof PlainAlert>;

export function normalizePlainAlert(alert: PlainAlert, mapping: SeverityMappingConfig, defaultService: string): NormalizedAlert {
  if (alert.status === 'firing' && alert.summary === undefined) {
    throw new ApiError('INVALID_BODY', 'body.summary is missing; a firing alert needs a summary', { field: 'body.summary' });
  }
  const labels = alert.labels ?? {};
  const severity = alert.severity === undefined ? severityFromLabels(labels, mapping) : explicitSeverity(alert.severity, mapping);

  return {
    incidentId: incidentIdFor('json', alert.key),
    dedupKey: alert.key.slice(0, MAX_DEDUP_KEY_CHARS),
    severity,
    service: alert.service ?? labels['service']?.slice(0, 100) ?? defaultService,
    summary: (alert.summary ?? `${alert.key} resolved`).slice(0, 300),
    opensIncident: true,
    snapshot: buildSnapshot({
      source: 'json',
      status: alert.status,
      receiver: alert.source ?? '',
      groupLabels: {},
      commonLabels: labels,
      commonAnnotations: alert.annotations ?? {},
      externalUrl: alert.url ?? '',
      alertCount: 1,
      firingCount: alert.status === 'firing' ? 1 : 0,
      fingerprints: [],
    }),
  };
}

/** Maps a severity the sender named. It must be in the integration's table, so a typo never becomes the default. */
function explicitSeverity(value: string, mapping: SeverityMappingConfig): Severity {
  const upper = value.toUpperCase();
  if ((SEVERITIES as readonly string[]).includes(upper)) return upper as Severity;
  const mapped = mapping.values[value.toLowerCase()];
  if (mapped !== undefined) return mapped;
  const accepted = [...SEVERITIES, ...Object.keys(mapping.values)].join(', ');
  throw new ApiError('INVALID_BODY', `body.severity is ${JSON.stringify(value)}; expected one of ${accepted}`, {
    field: 'body.severity',
    allowedValues: [...SEVERITIES, ...Object.keys(mapping.values)],
  });
}
