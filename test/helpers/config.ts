import { loadConfig } from '../../src/config/load.js';
import { severityPolicy } from '../../src/config/policy.js';
import type { Config } from '../../src/config/schema.js';
import type { IncidentInput, Severity } from '../../src/shared/incident.js';

/** Loads a deep copy of the shipped configuration and lets `patch` edit it. */
export function testConfig(patch: (config: Config) => void = () => undefined): Config {
  const config = structuredClone(loadConfig({ env: {} }));
  patch(config);
  return config;
}

/** Builds an incident input as the Alertmanager route does. */
export function incidentInput(incidentId: string, severity: Severity, config = testConfig(), declaredAt = new Date()): IncidentInput {
  return {
    incidentId,
    source: 'alertmanager',
    dedupKey: `{}:{alertname="${incidentId}"}`,
    service: 'barq-api',
    summary: 'barq-api is not answering health checks',
    severity,
    declaredAt: declaredAt.toISOString(),
    policy: severityPolicy(config, severity),
    alert: {
      source: 'alertmanager',
      status: 'firing',
      receiver: 'barq-incident',
      groupLabels: { alertname: 'BarqApiDown' },
      commonLabels: { alertname: 'BarqApiDown', severity: 'critical' },
      commonAnnotations: { summary: 'barq-api is not answering health checks' },
      externalUrl: 'http://alertmanager.invalid',
      alertCount: 1,
      firingCount: 1,
      fingerprints: ['a1b2c3d4'],
    },
  };
}
