import { createHash } from 'node:crypto';

import type { Client } from '@temporalio/client';

import type { Config } from '../config/schema.js';
import { WORKFLOW_TYPE_BY_SEVERITY, type IncidentView } from '../shared/incident.js';
import { viewQuery } from '../workflows/incident-messages.js';
import { RECENT_INCIDENT_DAYS, impactOfSeverity, serviceStatus, type PublicIncident, type StatusPageModel } from './status-page-render.js';

/** Incidents read for one page; the page is for people, not an archive. */
const MAX_INCIDENTS = 100;
/** How long a built page is served before Temporal is asked again. */
const CACHE_MS = 10_000;

/**
 * Builds the public status page from Temporal: running incidents and those
 * resolved in the last days, each through its `view`. Only public fields
 * leave this module; the internal ID becomes an opaque hash.
 */
export class StatusPageModelSource {
  private cached?: { at: number; model: StatusPageModel };

  constructor(
    private readonly client: Client,
    private readonly config: Config,
  ) {}

  async model(now = new Date()): Promise<StatusPageModel> {
    if (this.cached !== undefined && now.getTime() - this.cached.at < CACHE_MS) return this.cached.model;

    const since = new Date(now.getTime() - RECENT_INCIDENT_DAYS * 24 * 60 * 60 * 1000).toISOString();
    const types = Object.values(WORKFLOW_TYPE_BY_SEVERITY)
      .map((type) => `'${type}'`)
      .join(', ');
    const query = `WorkflowType IN (${types}) AND (ExecutionStatus = 'Running' OR (ExecutionStatus = 'Completed' AND CloseTime > '${since}'))`;

    const views: IncidentView[] = [];
    for await (const execution of this.client.workflow.list({ query, pageSize: MAX_INCIDENTS })) {
      if (views.length >= MAX_INCIDENTS) break;
      const handle = this.client.workflow.getHandle(execution.workflowId, execution.runId);
      const view = execution.status.name === 'RUNNING' ? await handle.query(viewQuery) : ((await handle.result()) as IncidentView);
      views.push(view);
    }

    const incidents = views.flatMap((view) => {
      const incident = this.publicIncident(view);
      return incident === undefined ? [] : [incident];
    });
    const current = incidents.filter((incident) => incident.status !== 'resolved');
    const recent = incidents.filter((incident) => incident.status === 'resolved');
    const model: StatusPageModel = {
      title: this.config.statusPage.title,
      generatedAt: now.toISOString(),
      services: Object.values(this.config.statusPage.services).map((name) => ({ name, status: serviceStatus(name, current) })),
      current,
      recent,
    };
    this.cached = { at: now.getTime(), model };
    return model;
  }

  /** Copies the public fields of an incident; one without public updates or a public service name is not on the page. */
  private publicIncident(view: IncidentView): PublicIncident | undefined {
    const updates = view.publicUpdates ?? [];
    const latest = updates.at(-1);
    // Only services with a public name are shown, so an internal name never
    // reaches the page; P3 incidents have no public impact.
    const service = this.config.statusPage.services[view.service];
    if (latest === undefined || service === undefined || view.severity === 'P3') return undefined;
    return {
      publicId: createHash('sha256').update(`${view.id}@${view.declaredAt}`).digest('hex').slice(0, 12),
      service,
      impact: impactOfSeverity(view.severity),
      title: view.publicTitle ?? `${service}: service disruption`,
      status: latest.status,
      startedAt: view.declaredAt,
      ...(view.resolvedAt === undefined ? {} : { resolvedAt: view.resolvedAt }),
      updates: [...updates].reverse().map((update) => ({ at: update.at, status: update.status, message: update.message })),
    };
  }
}
