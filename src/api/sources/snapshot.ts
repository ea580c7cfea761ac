import { createHash } from 'node:crypto';

import type { SeverityMappingConfig } from '../../config/alerts-schema.js';
import { SEVERITIES, type AlertSnapshot, type AlertSource, type Severity } from '../../shared/incident.js';

/**
 * Size limits of what an alert puts into workflow history, in UTF-8 bytes
 * of the JSON that Temporal stores. With them a snapshot stays under
 * SNAPSHOT_LIMIT_BYTES whatever the payload held; README "Alert sources"
 * documents them.
 */
export const SNAPSHOT_LIMITS = {
  labelsPerMap: 30,
  labelNameChars: 64,
  labelValueChars: 256,
  /** Each of groupLabels, commonLabels and commonAnnotations. */
  bytesPerMap: 3 * 1024,
  fingerprints: 50,
  fingerprintBytes: 2 * 1024,
  targets: 10,
  targetBytes: 2 * 1024,
  receiverChars: 256,
  externalUrlBytes: 1024,
} as const;

export const SNAPSHOT_LIMIT_BYTES = 16 * 1024;

/** Maximum lengths of the summary, service name and dedup key an incident takes from an alert. */
export const MAX_SUMMARY_CHARS = 300;
export const MAX_SERVICE_CHARS = 100;
export const MAX_DEDUP_KEY_CHARS = 1024;

/** One alert, or Alertmanager group, reduced to what opens or updates an incident. */
export interface NormalizedAlert {
  incidentId: string;
  dedupKey: string;
  severity: Severity;
  service: string;
  summary: string;
  snapshot: AlertSnapshot;
  /**
   * False for a firing notice that must not open an incident: an
   * Alertmanager group with status resolved while some alerts were left out
   * of its list. It still reaches a running incident.
   */
  opensIncident: boolean;
}

/** Service of an alert that names none; it is not on the public status page. */
export const UNKNOWN_SERVICE = 'unknown';

/**
 * Derives the incident ID from the source and its identity. Hashing keeps
 * the ID short and free of the label syntax a group key contains.
 */
export function incidentIdFor(source: AlertSource, identity: string): string {
  const digest = createHash('sha256').update(`${source}\n${identity}`).digest('hex');
  return `${source}-${digest.slice(0, 24)}`;
}

/** Maps an alert's labels to a severity: an explicit P0..P3 wins, then the value table, then the default. */
export function severityFromLabels(labels: Record<string, string>, mapping: SeverityMappingConfig): Severity {
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

export function highestSeverity(a: Severity, b: Severity): Severity {
  return SEVERITIES.indexOf(a) <= SEVERITIES.indexOf(b) ? a : b;
}

/** Builds a snapshot from untrimmed parts, cutting each to its limit and noting whether anything was cut. */
export function buildSnapshot(parts: AlertSnapshot): AlertSnapshot {
  const cut = { any: false };
  const snapshot: AlertSnapshot = {
    source: parts.source,
    status: parts.status,
    receiver: fitBytes(cutChars(parts.receiver, SNAPSHOT_LIMITS.receiverChars, cut), 512, cut),
    groupLabels: trimLabels(parts.groupLabels, cut),
    commonLabels: trimLabels(parts.commonLabels, cut),
    commonAnnotations: trimLabels(parts.commonAnnotations, cut),
    externalUrl: fitBytes(parts.externalUrl, SNAPSHOT_LIMITS.externalUrlBytes, cut),
    alertCount: parts.alertCount,
    firingCount: parts.firingCount,
    fingerprints: trimList(parts.fingerprints, SNAPSHOT_LIMITS.fingerprints, SNAPSHOT_LIMITS.fingerprintBytes, cut),
  };
  if (parts.targets !== undefined) {
    snapshot.targets = trimList(parts.targets, SNAPSHOT_LIMITS.targets, SNAPSHOT_LIMITS.targetBytes, cut);
  }
  if (cut.any) snapshot.trimmed = true;
  return snapshot;
}

/** Keeps whole entries, in order, while they fit the count and byte limits. */
function trimLabels(labels: Record<string, string>, cut: { any: boolean }): Record<string, string> {
  const kept: Record<string, string> = {};
  let bytes = 2;
  let count = 0;
  for (const [name, value] of Object.entries(labels)) {
    const entry: [string, string] = [
      cutChars(name, SNAPSHOT_LIMITS.labelNameChars, cut),
      cutChars(String(value), SNAPSHOT_LIMITS.labelValueChars, cut),
    ];
    const entryBytes = jsonBytes(entry[0]) + jsonBytes(entry[1]) + 2;
    if (count >= SNAPSHOT_LIMITS.labelsPerMap || bytes + entryBytes > SNAPSHOT_LIMITS.bytesPerMap) {
      cut.any = true;
      break;
    }
    kept[entry[0]] = entry[1];
    bytes += entryBytes;
    count += 1;
  }
  return kept;
}

function trimList(items: readonly string[], maxItems: number, maxBytes: number, cut: { any: boolean }): string[] {
  const kept: string[] = [];
  let bytes = 2;
  for (const item of items) {
    const itemBytes = jsonBytes(item) + 1;
    if (kept.length >= maxItems || bytes + itemBytes > maxBytes) {
      cut.any = true;
      break;
    }
    kept.push(item);
    bytes += itemBytes;
  }
  return kept;
}

function cutChars(text: string, maxChars: number, cut: { any: boolean }): string {
  if (text.length <= maxChars) return text;
  cut.any = true;
  return text.slice(0, maxChars);
}

/** Cuts `text` until its JSON form fits `maxBytes`; escapes and multi-byte characters count as stored. */
function fitBytes(text: string, maxBytes: number, cut: { any: boolean }): string {
  let fitted = text;
  while (jsonBytes(fitted) > maxBytes) {
    fitted = fitted.slice(0, Math.floor(fitted.length * 0.9));
    cut.any = true;
  }
  return fitted;
}

function jsonBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text), 'utf8');
}
