import { createHash } from 'node:crypto';

import { Type, type Static } from '@sinclair/typebox';

import type { Config } from '../config/schema.js';
import { SEVERITIES, type AlertSnapshot, type Severity } from '../shared/incident.js';

const Labels = Type.Record(Type.String(), Type.String());

const AlertStatus = Type.Union([Type.Literal('firing'), Type.Literal('resolved')]);

const Alert = Type.Object({
  status: AlertStatus,
  labels: Labels,
  annotations: Type.Optional(Labels),
  startsAt: Type.Optional(Type.String()),
  endsAt: Type.Optional(Type.String()),
  generatorURL: Type.Optional(Type.String()),
  fingerprint: Type.Optional(Type.String({ maxLength: 128 })),
});

/** Alertmanager webhook payload, version 4. Unknown fields are accepted and ignored. */
export const AlertmanagerWebhook = Type.Object({
  version: Type.Literal('4'),
  groupKey: Type.String({ minLength: 1, maxLength: 4096 }),
  truncatedAlerts: Type.Optional(Type.Integer({ minimum: 0 })),
  status: AlertStatus,
  receiver: Type.Optional(Type.String({ maxLength: 512 })),
  groupLabels: Type.Optional(Labels),
  commonLabels: Type.Optional(Labels),
  commonAnnotations: Type.Optional(Labels),
  externalURL: Type.Optional(Type.String({ maxLength: 2048 })),
  alerts: Type.Array(Alert, { minItems: 1, maxItems: 1000 }),
});

export type AlertmanagerWebhook = Static<typeof AlertmanagerWebhook>;

// Limits for what an alert may put into workflow history.
const MAX_LABELS = 30;
const MAX_LABEL_VALUE = 256;
const MAX_FINGERPRINTS = 50;
const MAX_SUMMARY = 300;
const MAX_SERVICE = 100;

/** One alert group, reduced to what opens or updates an incident. */
export interface NormalizedAlertGroup {
  incidentId: string;
  dedupKey: string;
  severity: Severity;
  service: string;
  summary: string;
  snapshot: AlertSnapshot;
}

/**
 * Derives the incident ID from the source and its grouping key. Hashing keeps
 * the ID short and free of the label syntax a group key contains.
 */
export function incidentIdFor(source: string, dedupKey: string): string {
  const digest = createHash('sha256').update(`${source}\n${dedupKey}`).digest('hex');
  return `${source}-${digest.slice(0, 24)}`;
}

export function normalizeAlertmanager(payload: AlertmanagerWebhook, config: Config): NormalizedAlertGroup {
  const commonLabels = payload.commonLabels ?? {};
  const commonAnnotations = payload.commonAnnotations ?? {};
  const firing = payload.alerts.filter((alert) => alert.status === 'firing');
  const deciding = firing.length > 0 ? firing : payload.alerts;
  const first = deciding[0];

  const severity = deciding
    .map((alert) => severityFromLabels({ ...commonLabels, ...alert.labels }, config))
    .reduce(highestSeverity);

  const service = (commonLabels['service'] ?? first?.labels['service'] ?? config.service.name).slice(0, MAX_SERVICE);
  const summary = (
    commonAnnotations['summary'] ??
    first?.annotations?.['summary'] ??
    commonLabels['alertname'] ??
    first?.labels['alertname'] ??
    'Alertmanager alert group'
  ).slice(0, MAX_SUMMARY);

  // Alertmanager lists at most max_alerts alerts; truncated ones are still
  // firing, so the group counts them as firing.
  const truncated = payload.truncatedAlerts ?? 0;
  const snapshot: AlertSnapshot = {
    source: 'alertmanager',
    status: payload.status,
    receiver: (payload.receiver ?? '').slice(0, MAX_LABEL_VALUE),
    groupLabels: trimLabels(payload.groupLabels ?? {}),
    commonLabels: trimLabels(commonLabels),
    commonAnnotations: trimLabels(commonAnnotations),
    externalUrl: (payload.externalURL ?? '').slice(0, 2048),
    alertCount: payload.alerts.length + truncated,
    firingCount: firing.length + truncated,
    fingerprints: payload.alerts
      .map((alert) => alert.fingerprint)
      .filter((fingerprint): fingerprint is string => fingerprint !== undefined)
      .slice(0, MAX_FINGERPRINTS),
  };

  const dedupKey = payload.groupKey.slice(0, 1024);
  return {
    incidentId: incidentIdFor('alertmanager', payload.groupKey),
    dedupKey,
    severity,
    service,
    summary,
    snapshot,
  };
}

/** Maps alert labels to a severity: an explicit P0..P3 wins, then the value table, then the default. */
export function severityFromLabels(labels: Record<string, string>, config: Config): Severity {
  const mapping = config.severityMapping;
  for (const label of mapping.labels) {
    const value = labels[label]?.toUpperCase();
    if (value !== undefined && (SEVERITIES as readonly string[]).includes(value)) return value as Severity;
  }
  for (const label of mapping.labels) {
    const value = labels[label]?.toLowerCase();
    const mapped = value === undefined ? undefined : mapping.values[value];
    if (mapped !== undefined) return mapped;
  }
  return mapping.default;
}

function highestSeverity(a: Severity, b: Severity): Severity {
  return SEVERITIES.indexOf(a) <= SEVERITIES.indexOf(b) ? a : b;
}

function trimLabels(labels: Record<string, string>): Record<string, string> {
  const entries = Object.entries(labels)
    .slice(0, MAX_LABELS)
    .map(([name, value]): [string, string] => [name.slice(0, 128), value.slice(0, MAX_LABEL_VALUE)]);
  return Object.fromEntries(entries);
}
