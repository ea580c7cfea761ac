import type { FollowUpPolicy, ResolutionType, Severity, TimelineEntry } from './incident.js';

/** Input of the post-incident follow-up workflow, started by the incident at resolution. */
export interface FollowUpInput {
  followUpId: string;
  incidentId: string;
  /** Run of the incident workflow that resolved; page keys derive from the follow-up's own run. */
  incidentRunId: string;
  severity: Severity;
  service: string;
  summary: string;
  declaredAt: string;
  resolvedAt: string;
  resolution: { by: string; summary: string; type: ResolutionType };
  /** Contact ID that owns the report: the incident commander, else the primary on-call. */
  ownerContactId: string;
  /** The incident's timeline at resolution, for the report draft. */
  timeline: TimelineEntry[];
  policy: FollowUpPolicy;
  /** True when the incident published its resolution on the status page itself, so the follow-up does not repeat it. */
  resolutionPublished?: boolean;
}

export interface ActionItem {
  title: string;
  /** Contact ID or engineer identity responsible for it. */
  owner: string;
  /** ISO 8601 date the item is due, if known. */
  dueDate?: string;
  addedBy: string;
  addedAt: string;
}

export interface SubmitReportRequest {
  actor: string;
  /** The incident report, Markdown. */
  report: string;
}

export interface SubmitPostMortemRequest {
  actor: string;
  /** Link to the post-mortem document (http or https). */
  link: string;
}

export interface AddActionItemsRequest {
  actor: string;
  items: Array<{ title: string; owner: string; dueDate?: string }>;
}

export interface FollowUpDeadline {
  dueAt: string;
  required: boolean;
  remindedAt?: string;
  escalatedAt?: string;
  metAt?: string;
}

export type FollowUpStatus = 'open' | 'complete' | 'closed-incomplete';

/** Follow-up as its `followUpView` query and the API return it. */
export interface FollowUpView {
  id: string;
  incidentId: string;
  severity: Severity;
  status: FollowUpStatus;
  ownerContactId: string;
  draftReport: string;
  report?: { text: string; by: string; at: string };
  postMortem?: { link: string; by: string; at: string };
  actionItems: ActionItem[];
  deadlines: { report: FollowUpDeadline; postMortem: FollowUpDeadline };
  timeline: TimelineEntry[];
}

/** Workflow ID of the follow-up for one incident run: unique, so the incident's ID frees up. */
export function followUpIdFor(incidentId: string, incidentRunId: string): string {
  return `${incidentId}-follow-up-${incidentRunId}`;
}
