import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { normalizeAlertmanager, normalizeGrafana, type AlertmanagerWebhook, type GrafanaWebhook } from '../../src/api/sources/alertmanager.js';
import { normalizeAzureMonitor, type AzureMonitorAlert } from '../../src/api/sources/azure-monitor.js';
import { normalizePagerDutyTrigger, pagerDutyDedupKey, type PagerDutyEvent } from '../../src/api/sources/pagerduty.js';
import { normalizePlainAlert } from '../../src/api/sources/plain-json.js';
import { SNAPSHOT_LIMIT_BYTES } from '../../src/api/sources/snapshot.js';
import { ApiError } from '../../src/api/errors.js';
import { testConfig } from '../helpers/config.js';

const integrations = testConfig().alerts.integrations;
const mapping = {
  alertmanager: integrations.alertmanager!.severity,
  grafana: integrations.grafana!.severity,
  azure: integrations.azureMonitor!.severity,
  pagerduty: integrations.pagerduty!.severity,
  json: integrations.json!.severity,
};

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/alerts/${name}.json`, import.meta.url), 'utf8')) as T;
}

function snapshotBytes(snapshot: unknown): number {
  return Buffer.byteLength(JSON.stringify(snapshot), 'utf8');
}

describe('alertmanager normaliser', () => {
  it('maps a critical group to P0 under its group key', () => {
    const payload = fixture<AlertmanagerWebhook>('alertmanager-firing');

    const alert = normalizeAlertmanager(payload, mapping.alertmanager, 'barq');

    expect(alert.severity).toBe('P0');
    expect(alert.service).toBe('barq-api');
    expect(alert.snapshot).toMatchObject({ source: 'alertmanager', status: 'firing', alertCount: 2, firingCount: 2 });
    expect(alert.dedupKey).toBe(payload.groupKey);
    expect(alert.incidentId).toMatch(/^alertmanager-[0-9a-f]{24}$/);
  });

  it('gives the resolved notification of a group the same incident', () => {
    const firing = normalizeAlertmanager(fixture('alertmanager-firing'), mapping.alertmanager, 'barq');

    const resolved = normalizeAlertmanager(fixture('alertmanager-resolved'), mapping.alertmanager, 'barq');

    expect(resolved.incidentId).toBe(firing.incidentId);
    expect(resolved.snapshot.status).toBe('resolved');
  });

  it('keeps a truncated group firing although every listed alert resolved', () => {
    const payload = fixture<AlertmanagerWebhook>('alertmanager-truncated-resolved');
    expect(payload.status).toBe('resolved');

    const alert = normalizeAlertmanager(payload, mapping.alertmanager, 'barq');

    expect(alert.snapshot.status).toBe('firing');
    expect(alert.snapshot.firingCount).toBe(payload.truncatedAlerts);
    expect(alert.opensIncident).toBe(false);
  });

  it('trusts a firing alert over a group status that says resolved', () => {
    const payload = fixture<AlertmanagerWebhook>('alertmanager-firing');

    const alert = normalizeAlertmanager({ ...payload, status: 'resolved' }, mapping.alertmanager, 'barq');

    expect(alert.snapshot.status).toBe('firing');
  });

  it('lets an explicit P-level label win over the value table', () => {
    const payload = fixture<AlertmanagerWebhook>('alertmanager-firing');
    const alerts = payload.alerts.map((entry) => ({ ...entry, labels: { ...entry.labels, priority: 'P2' } }));

    const alert = normalizeAlertmanager({ ...payload, alerts }, mapping.alertmanager, 'barq');

    expect(alert.severity).toBe('P2');
  });

  it('keeps the snapshot under its limit whatever the payload holds', () => {
    const payload = fixture<AlertmanagerWebhook>('alertmanager-firing');
    const huge = Object.fromEntries(Array.from({ length: 200 }, (_, index) => [`label_${index}_${'x'.repeat(100)}`, 'é\n'.repeat(2000)]));

    const alert = normalizeAlertmanager(
      {
        ...payload,
        receiver: '"'.repeat(512),
        externalURL: `http://example.invalid/${'\u0001'.repeat(2000)}`,
        groupLabels: huge,
        commonLabels: huge,
        commonAnnotations: huge,
        alerts: Array.from({ length: 1000 }, (_, index) => ({ ...payload.alerts[0]!, fingerprint: `${index}`.padStart(128, 'f') })),
      },
      mapping.alertmanager,
      'barq',
    );

    expect(snapshotBytes(alert.snapshot)).toBeLessThanOrEqual(SNAPSHOT_LIMIT_BYTES);
    expect(alert.snapshot.trimmed).toBe(true);
    expect(alert.snapshot.alertCount).toBe(1000);
  });

  it('marks nothing trimmed in an ordinary payload', () => {
    const alert = normalizeAlertmanager(fixture('alertmanager-firing'), mapping.alertmanager, 'barq');

    expect(alert.snapshot.trimmed).toBeUndefined();
    expect(alert.snapshot.commonAnnotations).toEqual(fixture<AlertmanagerWebhook>('alertmanager-firing').commonAnnotations);
  });
});

describe('grafana normaliser', () => {
  it('maps a warning to P2 and scopes the group key by organisation', () => {
    const payload = fixture<GrafanaWebhook>('grafana-firing');

    const alert = normalizeGrafana(payload, mapping.grafana, 'barq');
    const otherOrg = normalizeGrafana({ ...payload, orgId: 2 }, mapping.grafana, 'barq');

    expect(alert.severity).toBe('P2');
    expect(alert.service).toBe('barq-payments');
    expect(alert.snapshot.source).toBe('grafana');
    expect(otherOrg.incidentId).not.toBe(alert.incidentId);
  });

  it('resolves on the resolved notification of the same group', () => {
    const firing = normalizeGrafana(fixture('grafana-firing'), mapping.grafana, 'barq');

    const resolved = normalizeGrafana(fixture('grafana-resolved'), mapping.grafana, 'barq');

    expect(resolved.incidentId).toBe(firing.incidentId);
    expect(resolved.snapshot.status).toBe('resolved');
  });
});

describe('azure monitor normaliser', () => {
  it('maps Sev1 to P1 by alert ID', () => {
    const payload = fixture<AzureMonitorAlert>('azure-monitor-fired');

    const alert = normalizeAzureMonitor(payload, mapping.azure, 'barq');

    expect(alert.severity).toBe('P1');
    expect(alert.service).toBe('barq-payments');
    expect(alert.dedupKey).toBe(payload.data.essentials.alertId);
    expect(alert.snapshot.targets).toEqual(payload.data.essentials.alertTargetIDs);
    expect(alert.snapshot.status).toBe('firing');
  });

  it('names the service after the target resource when no custom property does', () => {
    const payload = fixture<AzureMonitorAlert>('azure-monitor-fired');

    const alert = normalizeAzureMonitor({ ...payload, data: { ...payload.data, customProperties: null } }, mapping.azure, 'barq');

    expect(alert.service).toBe('psql-barq-payments-prod');
  });

  it('gives the resolved alert the same incident', () => {
    const fired = normalizeAzureMonitor(fixture('azure-monitor-fired'), mapping.azure, 'barq');

    const resolved = normalizeAzureMonitor(fixture('azure-monitor-resolved'), mapping.azure, 'barq');

    expect(resolved.incidentId).toBe(fired.incidentId);
    expect(resolved.snapshot.status).toBe('resolved');
  });
});

describe('pagerduty events normaliser', () => {
  it('maps critical to P0 under the event dedup key', () => {
    const event = fixture<PagerDutyEvent>('pagerduty-trigger');

    const dedupKey = pagerDutyDedupKey(event);
    const alert = normalizePagerDutyTrigger({ ...event, payload: event.payload! }, dedupKey, mapping.pagerduty, 'barq');

    expect(dedupKey).toBe(event.dedup_key);
    expect(alert.severity).toBe('P0');
    expect(alert.service).toBe('barq-api');
    expect(alert.summary).toBe(event.payload!.summary);
  });

  it('gives a trigger without a dedup key a new one each time', () => {
    const { dedup_key: _key, ...event } = fixture<PagerDutyEvent>('pagerduty-trigger');

    const first = pagerDutyDedupKey(event);
    const second = pagerDutyDedupKey(event);

    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(second).not.toBe(first);
  });

  it('refuses a resolve without a dedup key, naming the field', () => {
    const event: PagerDutyEvent = { routing_key: 'k'.repeat(32), event_action: 'resolve' };

    const attempt = () => pagerDutyDedupKey(event);

    expect(attempt).toThrow(ApiError);
    expect(attempt).toThrow(/body\.dedup_key is missing/);
  });
});

describe('plain json normaliser', () => {
  it('takes an explicit severity and the key as identity', () => {
    const alert = normalizePlainAlert(
      { key: 'nightly-backup', status: 'firing', summary: 'nightly backup failed', severity: 'high', service: 'barq-db' },
      mapping.json,
      'barq',
    );

    expect(alert.severity).toBe('P1');
    expect(alert.service).toBe('barq-db');
    expect(alert.incidentId).toMatch(/^json-[0-9a-f]{24}$/);
  });

  it('refuses a severity the integration does not know, listing those it does', () => {
    const attempt = () => normalizePlainAlert({ key: 'k', status: 'firing', summary: 's', severity: 'urgent' }, mapping.json, 'barq');

    expect(attempt).toThrow(/body\.severity is "urgent"; expected one of P0, P1, P2, P3, critical/);
  });
});
