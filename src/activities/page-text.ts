import type { Config } from '../config/schema.js';
import type { PageRequest } from '../shared/incident.js';

const IMPACT: Record<PageRequest['severity'], string> = {
  P0: 'critical',
  P1: 'high',
  P2: 'medium',
  P3: 'low',
};

/** Links to an incident in the API and in the Temporal Web UI. */
export interface IncidentLinks {
  incident: string;
  temporalUi: string;
}

/** Builds the links to an incident in the API and the Temporal UI. */
export function incidentLinks(config: Config, incidentId: string): IncidentLinks {
  const { temporal, api } = config;
  return {
    incident: new URL(`/incidents/${encodeURIComponent(incidentId)}`, api.publicUrl).toString(),
    temporalUi: new URL(
      `/namespaces/${encodeURIComponent(temporal.namespace)}/workflows/${encodeURIComponent(incidentId)}`,
      temporal.uiUrl,
    ).toString(),
  };
}

/** Builds the one-line title of a page: severity, service and what is wrong. */
export function pageTitle(request: Pick<PageRequest, 'severity' | 'service' | 'summary'>): string {
  return `${request.severity} ${request.service}: ${request.summary}`;
}

/**
 * Builds the text people read in a page or a chat post: what is affected, the
 * severity, the stage and its deadline, why they get it, and both links.
 */
export function pageText(request: PageRequest, links: IncidentLinks): string {
  const due = request.stageDueAt === undefined ? '' : `, due ${formatTime(request.stageDueAt)}`;
  return [
    `Affected: ${request.service}`,
    `Severity: ${request.severity} (${IMPACT[request.severity]})`,
    `Stage: ${request.stage}${due}`,
    `Why you get this: ${request.reason}`,
    `Incident: ${links.incident}`,
    `Temporal UI: ${links.temporalUi}`,
  ].join('\n');
}

/** Builds the text of a chat post: what happened first, then the same facts as a page. */
export function chatText(request: PageRequest, links: IncidentLinks): string {
  const due = request.stageDueAt === undefined ? '' : `, due ${formatTime(request.stageDueAt)}`;
  return [
    request.reason,
    `Affected: ${request.service}`,
    `Severity: ${request.severity} (${IMPACT[request.severity]})`,
    `Stage: ${request.stage}${due}`,
    `Incident: ${links.incident}`,
    `Temporal UI: ${links.temporalUi}`,
  ].join('\n');
}

/** Builds the short text of an SMS: title, stage deadline and the incident link. */
export function smsText(request: PageRequest, links: IncidentLinks): string {
  const due = request.stageDueAt === undefined ? '' : ` Due ${formatTime(request.stageDueAt)}.`;
  return `${pageTitle(request)}.${due} ${request.reason}. ${links.incident}`;
}

/** `2026-12-04 14:15 UTC`: unambiguous for readers in any time zone. */
function formatTime(iso: string): string {
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return iso;
  return `${time.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
