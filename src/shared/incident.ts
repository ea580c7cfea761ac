/**
 * Types shared by the workflows, the activities and the API. This module must
 * stay free of Node built-ins and I/O because workflow code imports it.
 */

export const SEVERITIES = ['P0', 'P1', 'P2', 'P3'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Workflow type that runs an incident of each severity. */
export const WORKFLOW_TYPE_BY_SEVERITY: Record<Severity, string> = {
  P0: 'p0CriticalIncident',
  P1: 'p1HighIncident',
  P2: 'p2MediumIncident',
  P3: 'p3LowIncident',
};

export type IncidentStatus = 'open' | 'acknowledged' | 'resolving' | 'resolved';

/** Event that ends an SLA stage: the stage is met once the incident reaches it. */
export type StageEnd = 'acknowledged' | 'resolved';

/** One SLA stage, with its deadline counted from the declaration time. */
export interface StagePolicy {
  id: string;
  title: string;
  /** Temporal duration string (`15m`, `1h`), counted from declaration. */
  due: string;
  endsWhen: StageEnd;
}

/** A configured check as the workflow sees it: an ID and the activity that runs it. */
export interface CheckRef {
  id: string;
  kind: 'http' | 'redis';
}

/**
 * Everything the workflow needs from the configuration, copied into its input
 * at declaration so that a running incident keeps the rules it started with.
 * Contacts travel as IDs: addresses are resolved inside activities.
 */
export interface SeverityPolicy {
  severity: Severity;
  /** Whether declaration pages the first escalation level at all. */
  page: boolean;
  /** Time each escalation level has to acknowledge before the next one is paged. */
  acknowledgeTimeout: string;
  /** Contact IDs paged in order until someone acknowledges. */
  escalation: string[];
  /** Contact IDs paged when an SLA stage deadline passes unmet. */
  breachEscalation: string[];
  stages: StagePolicy[];
  checks: CheckRef[];
}

/** The part of an alert kept in workflow history, trimmed to fixed sizes. */
export interface AlertSnapshot {
  source: 'alertmanager';
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalUrl: string;
  alertCount: number;
  firingCount: number;
  fingerprints: string[];
}

export interface IncidentInput {
  /** Equals the workflow ID. */
  incidentId: string;
  source: 'alertmanager';
  /** The source's grouping key, trimmed. */
  dedupKey: string;
  service: string;
  summary: string;
  severity: Severity;
  /** ISO 8601 time the incident was declared; SLA deadlines count from here. */
  declaredAt: string;
  policy: SeverityPolicy;
  alert: AlertSnapshot;
}

export interface AlertOccurrence {
  status: 'firing' | 'resolved';
  receivedAt: string;
  alertCount: number;
  firingCount: number;
}

export interface AcknowledgeRequest {
  /** Identity taken from the caller's credential by the API. */
  actor: string;
  note?: string;
}

export interface ResolveRequest {
  actor: string;
  summary?: string;
}

export interface CheckResult {
  checkId: string;
  kind: CheckRef['kind'];
  ok: boolean;
  /** HTTP status for HTTP checks. */
  status?: number;
  latencyMs: number;
  /** Why the check failed, without credentials. */
  error?: string;
  checkedAt: string;
}

export interface PageRequest {
  incidentId: string;
  /**
   * First run ID of the incident's workflow chain. An alert that fires again
   * after resolution opens a new incident under the same incident ID, and
   * this keeps its pages apart from the earlier incident's.
   */
  firstRunId: string;
  contactId: string;
  /** Step of the incident that sends the page; part of the idempotency key. */
  step: string;
  severity: Severity;
  service: string;
  summary: string;
  stage: string;
  /** Reason shown to the person, such as "declared" or "not acknowledged in 5m". */
  reason: string;
}

export interface PageResult {
  contactId: string;
  idempotencyKey: string;
  httpStatus: number;
  /** True when the receiver reported that it had already seen this key. */
  duplicate: boolean;
}

export type TimelineType =
  | 'declared'
  | 'alert'
  | 'page-sent'
  | 'page-failed'
  | 'escalated'
  | 'check'
  | 'check-failed'
  | 'stage-met'
  | 'stage-breached'
  | 'acknowledged'
  | 'resolving'
  | 'resolved'
  | 'timeline-truncated';

export interface TimelineEntry {
  at: string;
  type: TimelineType;
  message: string;
  actor?: string;
  contactId?: string;
  checkId?: string;
  stageId?: string;
  /** Marks an entry a person must look at, such as a failed verification check. */
  flagged?: boolean;
}

export interface StageDeadline {
  stageId: string;
  title: string;
  dueAt: string;
  metAt?: string;
  breachedAt?: string;
}

export interface PageRecord {
  contactId: string;
  step: string;
  requestedAt: string;
  state: 'sending' | 'delivered' | 'failed';
  deliveredAt?: string;
}

/** What the `view` query and the API return for one incident. */
export interface IncidentView {
  id: string;
  severity: Severity;
  status: IncidentStatus;
  stage: string;
  service: string;
  summary: string;
  source: string;
  declaredAt: string;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  resolvedAt?: string;
  resolvedBy?: string;
  resolutionSummary?: string;
  deadlines: StageDeadline[];
  paged: PageRecord[];
  nextEscalationAt?: string;
  /** Firing notifications received for this incident, the one that opened it included. */
  alertOccurrences: number;
  alertStatus: 'firing' | 'resolved';
  checks: { initial: CheckResult[]; verification: CheckResult[] };
  timeline: TimelineEntry[];
}

/** Failure types the workflow raises to callers of its updates. */
export const INVALID_TRANSITION = 'InvalidTransition';
