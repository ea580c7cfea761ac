import { Type, type Static } from '@sinclair/typebox';

import type { SeverityMappingConfig } from '../../config/alerts-schema.js';
import { StringEnum } from '../routes/schemas.js';
import {
  MAX_DEDUP_KEY_CHARS,
  MAX_SERVICE_CHARS,
  MAX_SUMMARY_CHARS,
  buildSnapshot,
  incidentIdFor,
  severityFromLabels,
  type NormalizedAlert,
} from './snapshot.js';

const Essentials = Type.Object({
  alertId: Type.String({ minLength: 1, maxLength: 1024 }),
  alertRule: Type.String({ minLength: 1, maxLength: 1024 }),
  severity: StringEnum(['Sev0', 'Sev1', 'Sev2', 'Sev3', 'Sev4']),
  signalType: Type.Optional(Type.String({ maxLength: 64 })),
  monitorCondition: StringEnum(['Fired', 'Resolved']),
  monitoringService: Type.Optional(Type.String({ maxLength: 256 })),
  alertTargetIDs: Type.Optional(Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 1000 })),
  configurationItems: Type.Optional(Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 1000 })),
  originAlertId: Type.Optional(Type.String({ maxLength: 2048 })),
  firedDateTime: Type.Optional(Type.String({ maxLength: 64 })),
  resolvedDateTime: Type.Optional(Type.String({ maxLength: 64 })),
  description: Type.Optional(Type.String()),
  essentialsVersion: Type.Optional(Type.String({ maxLength: 32 })),
  alertContextVersion: Type.Optional(Type.String({ maxLength: 32 })),
  investigationLink: Type.Optional(Type.String({ maxLength: 2048 })),
});

/**
 * Azure Monitor's common alert schema, as action groups post it for metric,
 * log search (Application Insights) and activity log alerts. Only
 * `essentials` is read; `alertContext` differs per signal type.
 */
export const AzureMonitorAlert = Type.Object(
  {
    schemaId: Type.Literal('azureMonitorCommonAlertSchema'),
    data: Type.Object({
      essentials: Essentials,
      alertContext: Type.Optional(Type.Union([Type.Object({}), Type.Null()])),
      customProperties: Type.Optional(Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()])),
    }),
  },
  { description: 'Azure Monitor common alert schema' },
);

export type AzureMonitorAlert = Static<typeof AzureMonitorAlert>;

/**
 * Normalises an Azure Monitor alert. Its `alertId` is the identity, because
 * Azure sends the same ID when the condition fires and when it resolves. The service is the `service` custom
 * property, else the name of the first target resource.
 */
export function normalizeAzureMonitor(payload: AzureMonitorAlert, mapping: SeverityMappingConfig, defaultService: string): NormalizedAlert {
  const { essentials } = payload.data;
  const custom = payload.data.customProperties ?? {};
  const targets = essentials.alertTargetIDs ?? [];
  // Custom properties come first, so one cannot override an essentials field.
  const labels: Record<string, string> = {
    ...custom,
    alertRule: essentials.alertRule,
    severity: essentials.severity,
    monitorCondition: essentials.monitorCondition,
    ...(essentials.signalType === undefined ? {} : { signalType: essentials.signalType }),
    ...(essentials.monitoringService === undefined ? {} : { monitoringService: essentials.monitoringService }),
  };
  const status = essentials.monitorCondition === 'Fired' ? 'firing' : 'resolved';
  const service = (custom['service'] ?? resourceName(targets[0]) ?? defaultService).slice(0, MAX_SERVICE_CHARS);
  const summary = (essentials.description !== undefined && essentials.description !== '' ? essentials.description : essentials.alertRule).slice(
    0,
    MAX_SUMMARY_CHARS,
  );

  return {
    incidentId: incidentIdFor('azure-monitor', essentials.alertId),
    dedupKey: essentials.alertId.slice(0, MAX_DEDUP_KEY_CHARS),
    severity: severityFromLabels(labels, mapping),
    service,
    summary,
    opensIncident: true,
    snapshot: buildSnapshot({
      source: 'azure-monitor',
      status,
      receiver: essentials.alertRule,
      groupLabels: {},
      commonLabels: labels,
      commonAnnotations: essentials.description === undefined ? {} : { description: essentials.description },
      externalUrl: essentials.investigationLink ?? '',
      alertCount: 1,
      firingCount: status === 'firing' ? 1 : 0,
      fingerprints: [essentials.alertId],
      targets,
    }),
  };
}

/** `/subscriptions/.../providers/microsoft.insights/components/barq-api` names `barq-api`. */
function resourceName(resourceId: string | undefined): string | undefined {
  const name = resourceId?.split('/').filter((part) => part !== '').at(-1);
  return name === undefined || name === '' ? undefined : name;
}
