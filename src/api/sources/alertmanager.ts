import { Type, type Static, type TProperties } from '@sinclair/typebox';

import type { SeverityMappingConfig } from '../../config/alerts-schema.js';
import { StringEnum } from '../routes/schemas.js';
import type { AlertSource } from '../../shared/incident.js';
import {
  MAX_DEDUP_KEY_CHARS,
  MAX_SERVICE_CHARS,
  MAX_SUMMARY_CHARS,
  buildSnapshot,
  highestSeverity,
  incidentIdFor,
  severityFromLabels,
  type NormalizedAlert,
} from './snapshot.js';

const Labels = Type.Record(Type.String(), Type.String());

const AlertStatus = StringEnum(['firing', 'resolved']);

const alertFields = {
  status: AlertStatus,
  labels: Labels,
  annotations: Type.Optional(Labels),
  startsAt: Type.Optional(Type.String()),
  endsAt: Type.Optional(Type.String()),
  generatorURL: Type.Optional(Type.String()),
  fingerprint: Type.Optional(Type.String({ maxLength: 128 })),
};

const groupFields = {
  groupKey: Type.String({ minLength: 1, maxLength: 4096 }),
  /** Alerts of the group left out of `alerts` by the receiver's max_alerts; they count as firing. */
  truncatedAlerts: Type.Optional(Type.Integer({ minimum: 0 })),
  status: AlertStatus,
  receiver: Type.Optional(Type.String({ maxLength: 512 })),
  groupLabels: Type.Optional(Labels),
  commonLabels: Type.Optional(Labels),
  commonAnnotations: Type.Optional(Labels),
  externalURL: Type.Optional(Type.String({ maxLength: 2048 })),
};

function groupSchema<Extra extends TProperties, AlertExtra extends TProperties>(
  version: string,
  extra: Extra,
  alertExtra: AlertExtra,
  description: string,
) {
  const alert = Type.Object({ ...alertFields, ...alertExtra });
  return Type.Object(
    { version: Type.Literal(version), ...groupFields, ...extra, alerts: Type.Array(alert, { minItems: 1, maxItems: 1000 }) },
    { description },
  );
}

/** Alertmanager webhook payload, version 4. Unknown fields are accepted and ignored. */
export const AlertmanagerWebhook = groupSchema('4', {}, {}, 'Prometheus Alertmanager webhook payload, version 4');

/** Grafana-managed alerting webhook payload, version 1: Alertmanager's shape plus Grafana's fields. */
export const GrafanaWebhook = groupSchema(
  '1',
  {
    orgId: Type.Optional(Type.Integer({ minimum: 0 })),
    title: Type.Optional(Type.String({ maxLength: 4096 })),
    state: Type.Optional(Type.String({ maxLength: 64 })),
    message: Type.Optional(Type.String()),
  },
  {
    silenceURL: Type.Optional(Type.String()),
    dashboardURL: Type.Optional(Type.String()),
    panelURL: Type.Optional(Type.String()),
    imageURL: Type.Optional(Type.String()),
    valueString: Type.Optional(Type.String()),
    values: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Number()), Type.Null()])),
  },
  'Grafana-managed alerting webhook payload, version 1',
);

export type AlertmanagerWebhook = Static<typeof AlertmanagerWebhook>;
export type GrafanaWebhook = Static<typeof GrafanaWebhook>;
type AnyGroup = AlertmanagerWebhook | GrafanaWebhook;

interface GroupContext {
  source: Extract<AlertSource, 'alertmanager' | 'grafana'>;
  /** Identity of the group at its source; the incident ID derives from it. */
  identity: string;
  defaultService: string;
  mapping: SeverityMappingConfig;
}

export function normalizeAlertmanager(payload: AlertmanagerWebhook, mapping: SeverityMappingConfig, defaultService: string): NormalizedAlert {
  return normalizeGroup(payload, { source: 'alertmanager', identity: payload.groupKey, defaultService, mapping });
}

/** Grafana group keys are per organisation, so the org ID is part of the identity. */
export function normalizeGrafana(payload: GrafanaWebhook, mapping: SeverityMappingConfig, defaultService: string): NormalizedAlert {
  const identity = `${payload.orgId ?? 1}/${payload.groupKey}`;
  const normalized = normalizeGroup(payload, { source: 'grafana', identity, defaultService, mapping });
  // The title counts alerts ("[FIRING:2] ..."), so it is the last resort: it goes stale.
  const named = normalized.snapshot.commonAnnotations['summary'] !== undefined || normalized.snapshot.commonLabels['alertname'] !== undefined;
  if (payload.title !== undefined && !named) {
    normalized.summary = payload.title.slice(0, MAX_SUMMARY_CHARS);
  }
  return normalized;
}

/**
 * Normalises a group. It fires while any listed alert fires or any alert
 * was left out of the list (`truncatedAlerts`), because an alert not seen
 * to resolve may still be firing. The group's own `status` does not
 * override that.
 */
function normalizeGroup(payload: AnyGroup, context: GroupContext): NormalizedAlert {
  const commonLabels = payload.commonLabels ?? {};
  const commonAnnotations = payload.commonAnnotations ?? {};
  const truncated = payload.truncatedAlerts ?? 0;
  const firing = payload.alerts.filter((alert) => alert.status === 'firing');
  const status = firing.length > 0 || truncated > 0 ? 'firing' : 'resolved';
  // A group with status resolved and alerts left out keeps a running
  // incident open, but is no reason to open one.
  const opensIncident = firing.length > 0 || payload.status === 'firing';
  const deciding = firing.length > 0 ? firing : payload.alerts;
  const first = deciding[0];

  const severity = deciding
    .map((alert) => severityFromLabels({ ...commonLabels, ...alert.labels }, context.mapping))
    .reduce(highestSeverity);
  const service = (commonLabels['service'] ?? first?.labels['service'] ?? context.defaultService).slice(0, MAX_SERVICE_CHARS);
  const summary = (
    commonAnnotations['summary'] ??
    first?.annotations?.['summary'] ??
    commonLabels['alertname'] ??
    first?.labels['alertname'] ??
    `${context.source} alert group`
  ).slice(0, MAX_SUMMARY_CHARS);

  const snapshot = buildSnapshot({
    source: context.source,
    status,
    receiver: payload.receiver ?? '',
    groupLabels: payload.groupLabels ?? {},
    commonLabels,
    commonAnnotations,
    externalUrl: payload.externalURL ?? '',
    alertCount: payload.alerts.length + truncated,
    firingCount: firing.length + truncated,
    fingerprints: payload.alerts.flatMap((alert) => (alert.fingerprint === undefined ? [] : [alert.fingerprint])),
  });

  return {
    incidentId: incidentIdFor(context.source, context.identity),
    dedupKey: context.identity.slice(0, MAX_DEDUP_KEY_CHARS),
    severity,
    service,
    summary,
    snapshot,
    opensIncident,
  };
}
