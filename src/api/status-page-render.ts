import type { Severity } from '../shared/incident.js';

/**
 * The public status page: its model, the JSON the API serves and one
 * self-contained HTML page. Both outputs copy only the fields declared
 * below, so an internal field that reaches a model object through a spread
 * still stays off the page.
 */

export type PublicIncidentStatus = 'investigating' | 'identified' | 'monitoring' | 'resolved';
export type IncidentImpact = 'critical' | 'major' | 'minor' | 'none';
export type ServiceStatus = 'operational' | 'degraded' | 'partial-outage' | 'major-outage';

/** One public update on an incident. */
export interface PublicUpdate {
  at: string;
  status: PublicIncidentStatus;
  message: string;
}

/** Public view of an incident. */
export interface PublicIncident {
  /** Opaque public ID, not the internal incident ID. */
  publicId: string;
  /** Public service name, such as "BARQ API". */
  service: string;
  /** Derived from the severity with `impactOfSeverity`. */
  impact: IncidentImpact;
  /** Public-safe one-line title. */
  title: string;
  status: PublicIncidentStatus;
  startedAt: string;
  resolvedAt?: string;
  /** Newest first. */
  updates: PublicUpdate[];
}

/** Everything the status page shows. */
export interface StatusPageModel {
  title: string;
  generatedAt: string;
  services: Array<{ name: string; status: ServiceStatus }>;
  /** Open incidents. */
  current: PublicIncident[];
  /** Resolved incidents. The page shows only those resolved within `RECENT_INCIDENT_DAYS` before `generatedAt`. */
  recent: PublicIncident[];
}

/** The JSON body of the public status endpoint. */
export interface StatusPageJson {
  page: { title: string; generatedAt: string; status: ServiceStatus; description: string };
  services: Array<{ name: string; status: ServiceStatus }>;
  incidents: { current: PublicIncident[]; recent: PublicIncident[] };
}

/** Days for which a resolved incident stays on the page. */
export const RECENT_INCIDENT_DAYS = 7;

/** Seconds between the browser's automatic reloads of the page. */
export const REFRESH_SECONDS = 60;

/** Service statuses from best to worst. */
const SERVICE_STATUS_ORDER: readonly ServiceStatus[] = ['operational', 'degraded', 'partial-outage', 'major-outage'];

const IMPACT_BY_SEVERITY: Record<Severity, IncidentImpact> = { P0: 'critical', P1: 'major', P2: 'minor', P3: 'none' };

const SERVICE_STATUS_BY_IMPACT: Record<IncidentImpact, ServiceStatus> = {
  critical: 'major-outage',
  major: 'partial-outage',
  minor: 'degraded',
  none: 'operational',
};

const SERVICE_STATUS_LABELS: Record<ServiceStatus, string> = {
  operational: 'Operational',
  degraded: 'Degraded performance',
  'partial-outage': 'Partial outage',
  'major-outage': 'Major outage',
};

const OVERALL_STATUS_LABELS: Record<ServiceStatus, string> = {
  operational: 'All systems operational',
  degraded: 'Degraded performance',
  'partial-outage': 'Partial outage',
  'major-outage': 'Major outage',
};

const INCIDENT_STATUS_LABELS: Record<PublicIncidentStatus, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
};

const IMPACT_LABELS: Record<IncidentImpact, string> = {
  critical: 'Critical impact',
  major: 'Major impact',
  minor: 'Minor impact',
  none: 'No impact',
};

// ---------------------------------------------------------------------------
// Status helpers

/** Maps an incident severity to its public impact: P0 critical, P1 major, P2 minor, P3 none. */
export function impactOfSeverity(severity: Severity): IncidentImpact {
  return IMPACT_BY_SEVERITY[severity];
}

/** Maps an open incident's impact to the status it gives its service. */
export function serviceStatusOfImpact(impact: IncidentImpact): ServiceStatus {
  return SERVICE_STATUS_BY_IMPACT[impact];
}

/** Returns the worst of `statuses`, or `operational` for none. */
export function worstServiceStatus(statuses: Iterable<ServiceStatus>): ServiceStatus {
  let worst = 0;
  for (const status of statuses) worst = Math.max(worst, SERVICE_STATUS_ORDER.indexOf(status));
  return SERVICE_STATUS_ORDER[worst] ?? 'operational';
}

/** Computes a service's status from the worst open incident on it. Resolved incidents do not count. */
export function serviceStatus(serviceName: string, incidents: readonly PublicIncident[]): ServiceStatus {
  const open = incidents.filter((incident) => incident.service === serviceName && incident.status !== 'resolved');
  return worstServiceStatus(open.map((incident) => serviceStatusOfImpact(incident.impact)));
}

/**
 * Computes the page's overall status: the worst of the listed services and of
 * the open incidents, so an incident on a service missing from the list still
 * shows in the banner.
 */
export function overallStatus(model: Pick<StatusPageModel, 'services' | 'current'>): ServiceStatus {
  const open = model.current.filter((incident) => incident.status !== 'resolved');
  return worstServiceStatus([
    ...model.services.map((service) => service.status),
    ...open.map((incident) => serviceStatusOfImpact(incident.impact)),
  ]);
}

/** Returns the banner text for an overall status, such as "All systems operational". */
export function overallStatusLabel(status: ServiceStatus): string {
  return OVERALL_STATUS_LABELS[status];
}

/**
 * Selects the incidents resolved within `RECENT_INCIDENT_DAYS` before
 * `generatedAt`, newest resolution first. An incident without a valid
 * `resolvedAt` is left out because it is not resolved.
 */
export function recentIncidents(model: Pick<StatusPageModel, 'generatedAt' | 'recent'>): PublicIncident[] {
  const generatedMs = Date.parse(model.generatedAt);
  const windowStartMs = generatedMs - RECENT_INCIDENT_DAYS * 24 * 60 * 60 * 1000;
  const resolvedMs = (incident: PublicIncident) => Date.parse(incident.resolvedAt ?? '');

  return model.recent
    .filter((incident) => {
      const resolved = resolvedMs(incident);
      return Number.isFinite(resolved) && (Number.isNaN(generatedMs) || resolved >= windowStartMs);
    })
    .sort((a, b) => resolvedMs(b) - resolvedMs(a));
}

// ---------------------------------------------------------------------------
// JSON

/** Builds the JSON body that the API serves for the status page. */
export function statusPageJson(model: StatusPageModel): StatusPageJson {
  const status = overallStatus(model);
  return {
    page: { title: model.title, generatedAt: model.generatedAt, status, description: overallStatusLabel(status) },
    services: model.services.map((service) => ({ name: service.name, status: service.status })),
    incidents: {
      current: model.current.map(copyPublicIncident),
      recent: recentIncidents(model).map(copyPublicIncident),
    },
  };
}

/** Copies only the public fields, dropping anything else the object carries. */
function copyPublicIncident(incident: PublicIncident): PublicIncident {
  const copy: PublicIncident = {
    publicId: incident.publicId,
    service: incident.service,
    impact: incident.impact,
    title: incident.title,
    status: incident.status,
    startedAt: incident.startedAt,
    updates: newestFirst(incident.updates).map((update) => ({ at: update.at, status: update.status, message: update.message })),
  };
  if (incident.resolvedAt !== undefined) copy.resolvedAt = incident.resolvedAt;
  return copy;
}

/** Sorts updates newest first. The model promises this order, but sorting keeps a caller that breaks it from misleading readers. */
function newestFirst(updates: readonly PublicUpdate[]): PublicUpdate[] {
  return [...updates].sort((a, b) => (Date.parse(b.at) || 0) - (Date.parse(a.at) || 0));
}

// ---------------------------------------------------------------------------
// HTML

/** Escapes text for an HTML element body or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * Renders the status page as one HTML document with inline CSS and no
 * scripts or external assets. Every text value from the model is escaped.
 */
export function renderStatusPageHtml(model: StatusPageModel): string {
  const status = overallStatus(model);
  const title = escapeHtml(model.title);

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${REFRESH_SECONDS}">
<title>${title}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<main>
<header><h1>${title}</h1></header>
<section class="banner status-${status}" role="status">
<p>${escapeHtml(overallStatusLabel(status))}</p>
</section>
${renderServices(model.services)}
${renderCurrentIncidents(model.current)}
${renderRecentIncidents(recentIncidents(model))}
<footer>
<p>Generated ${renderTime(model.generatedAt)}. This page reloads every ${REFRESH_SECONDS} seconds.</p>
</footer>
</main>
</body>
</html>
`;
}

function renderServices(services: StatusPageModel['services']): string {
  const items = services.map(
    (service) => `<li class="service">
<span class="service-name">${escapeHtml(service.name)}</span>
<span class="badge status-${escapeHtml(service.status)}">${labelOf(SERVICE_STATUS_LABELS, service.status)}</span>
</li>`,
  );
  const list = items.length === 0 ? '<p class="empty">No services are listed.</p>' : `<ul class="services">\n${items.join('\n')}\n</ul>`;
  return `<section aria-labelledby="services-heading">
<h2 id="services-heading">Services</h2>
${list}
</section>`;
}

function renderCurrentIncidents(incidents: readonly PublicIncident[]): string {
  const body = incidents.length === 0 ? '<p class="empty">No open incidents.</p>' : incidents.map(renderCurrentIncident).join('\n');
  return `<section aria-labelledby="current-heading" class="current">
<h2 id="current-heading">Current incidents</h2>
${body}
</section>`;
}

function renderCurrentIncident(incident: PublicIncident): string {
  const [latest, ...earlier] = newestFirst(incident.updates);
  const latestHtml =
    latest === undefined
      ? '<p class="update-message">No update has been posted yet.</p>'
      : `<p class="update-message">${escapeHtml(latest.message)}</p>
<p class="update-time">${labelOf(INCIDENT_STATUS_LABELS, latest.status)}, posted ${renderTime(latest.at)}</p>`;
  const history = earlier.length === 0 ? '' : `<h4>Earlier updates</h4>\n${renderUpdateList(earlier)}`;

  return `<article class="incident impact-${escapeHtml(incident.impact)}" data-public-id="${escapeHtml(incident.publicId)}">
<h3 class="incident-title">${escapeHtml(incident.title)}</h3>
<p class="incident-meta"><span class="badge incident-status">${labelOf(INCIDENT_STATUS_LABELS, incident.status)}</span>
<span>${escapeHtml(incident.service)}</span> · <span>${labelOf(IMPACT_LABELS, incident.impact)}</span> · <span>Started ${renderTime(incident.startedAt)}</span></p>
<div class="latest">
${latestHtml}
</div>
${history}
</article>`;
}

function renderRecentIncidents(incidents: readonly PublicIncident[]): string {
  const body =
    incidents.length === 0
      ? `<p class="empty">No incidents resolved in the last ${RECENT_INCIDENT_DAYS} days.</p>`
      : incidents.map(renderRecentIncident).join('\n');
  return `<section aria-labelledby="recent-heading" class="recent">
<h2 id="recent-heading">Resolved in the last ${RECENT_INCIDENT_DAYS} days</h2>
${body}
</section>`;
}

function renderRecentIncident(incident: PublicIncident): string {
  const resolved = incident.resolvedAt === undefined ? '' : `, resolved ${renderTime(incident.resolvedAt)}`;
  return `<article class="incident resolved impact-${escapeHtml(incident.impact)}" data-public-id="${escapeHtml(incident.publicId)}">
<h3 class="incident-title">${escapeHtml(incident.title)}</h3>
<p class="incident-meta"><span class="badge incident-status">${labelOf(INCIDENT_STATUS_LABELS, incident.status)}</span>
<span>${escapeHtml(incident.service)}</span> · <span>Started ${renderTime(incident.startedAt)}${resolved}</span></p>
${renderUpdateList(newestFirst(incident.updates))}
</article>`;
}

function renderUpdateList(updates: readonly PublicUpdate[]): string {
  const items = updates.map(
    (update) => `<li><p class="update-heading"><strong>${labelOf(INCIDENT_STATUS_LABELS, update.status)}</strong> · ${renderTime(update.at)}</p>
<p class="update-message">${escapeHtml(update.message)}</p></li>`,
  );
  return `<ol class="updates">\n${items.join('\n')}\n</ol>`;
}

/**
 * Looks up the display label of a status. The types rule out unknown values,
 * but a model parsed from JSON is not checked, so an unknown value is shown
 * escaped in place of a label.
 */
function labelOf<K extends string>(labels: Record<K, string>, value: K): string {
  return Object.hasOwn(labels, value) ? labels[value] : escapeHtml(String(value));
}

/** Renders a timestamp as a `<time>` element in UTC to the minute. An unparsable value is shown as given. */
function renderTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return `<time>${escapeHtml(iso)}</time>`;
  const text = `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<time datetime="${escapeHtml(date.toISOString())}">${text}</time>`;
}

const PAGE_CSS = `
:root { color-scheme: light; --text: #1f2328; --muted: #59636e; --border: #d1d9e0; --surface: #f6f8fa;
  --green: #1a7f37; --yellow: #9a6700; --orange: #bc4c00; --red: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--text); background: #fff; }
main { max-width: 46rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.75rem; }
h3 { font-size: 1.05rem; margin: 0 0 0.25rem; }
h4 { font-size: 0.95rem; margin: 1rem 0 0.25rem; color: var(--muted); }
p { margin: 0.25rem 0; }
.banner { border-radius: 0.5rem; padding: 1rem; color: #fff; font-size: 1.15rem; font-weight: 600; }
.banner.status-operational { background: var(--green); }
.banner.status-degraded { background: var(--yellow); }
.banner.status-partial-outage { background: var(--orange); }
.banner.status-major-outage { background: var(--red); }
.services { list-style: none; margin: 0; padding: 0; border: 1px solid var(--border); border-radius: 0.5rem; }
.service { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 0.5rem; padding: 0.75rem 1rem; }
.service + .service { border-top: 1px solid var(--border); }
.service-name { font-weight: 600; overflow-wrap: anywhere; }
.badge { display: inline-block; border-radius: 1rem; padding: 0 0.6rem; font-size: 0.875rem; font-weight: 600;
  border: 1px solid currentColor; }
.badge.status-operational { color: var(--green); }
.badge.status-degraded { color: var(--yellow); }
.badge.status-partial-outage { color: var(--orange); }
.badge.status-major-outage { color: var(--red); }
.incident { border: 1px solid var(--border); border-left-width: 0.4rem; border-radius: 0.5rem; padding: 0.75rem 1rem;
  margin-bottom: 1rem; overflow-wrap: anywhere; }
.incident.impact-critical { border-left-color: var(--red); }
.incident.impact-major { border-left-color: var(--orange); }
.incident.impact-minor { border-left-color: var(--yellow); }
.incident.impact-none, .incident.resolved { border-left-color: var(--green); }
.incident-meta { color: var(--muted); font-size: 0.9rem; }
.incident-status { color: var(--text); margin-right: 0.25rem; }
.latest { background: var(--surface); border-radius: 0.375rem; padding: 0.5rem 0.75rem; margin-top: 0.5rem; }
.update-message { white-space: pre-line; }
time { white-space: nowrap; }
.update-time, .update-heading, footer { color: var(--muted); font-size: 0.875rem; }
.updates { list-style: none; margin: 0.5rem 0 0; padding: 0 0 0 0.75rem; border-left: 2px solid var(--border); }
.updates li + li { margin-top: 0.5rem; }
.empty { color: var(--muted); }
footer { margin-top: 2rem; border-top: 1px solid var(--border); padding-top: 0.75rem; }
`;
