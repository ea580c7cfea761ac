import type { RecoveryPolicy, RecoveryRecord } from './recovery.js';

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

/** Roles an engineer can assign on an incident. */
export const ROLES = ['incident-commander', 'communications-lead'];
export type Role = 'incident-commander' | 'communications-lead';

export const RESOLUTION_TYPES = ['hotfix', 'rollback', 'scale', 'other'] as const;
export type ResolutionType = (typeof RESOLUTION_TYPES)[number];

/**
 * `resolved-pending`: the source reported every alert resolved and the
 * cool-down runs; a re-fire reopens the incident.
 */
export type IncidentStatus = 'open' | 'acknowledged' | 'resolved-pending' | 'resolving' | 'resolved';

/**
 * Event that ends an SLA stage: acknowledgement (with the stage's tasks
 * done), the stage's tasks alone, or resolution.
 */
export type StageEnd = 'acknowledged' | 'tasks' | 'resolved';

/**
 * Investigation work the workflow can do for a task: Kubernetes logs,
 * rollouts and pod usage of a deployment, the database's connectivity and
 * sessions, the Flowable engine, Redis's INFO.
 */
export const TASK_ACTIONS = [
  'collect-logs',
  'list-rollouts',
  'resource-usage',
  'check-database',
  'summarize-connections',
  'check-flowable',
  'inspect-redis',
] as const;
export type TaskAction = (typeof TASK_ACTIONS)[number];

/** Actions that read a Kubernetes deployment and so need a `target`. */
export const KUBERNETES_TASK_ACTIONS: readonly TaskAction[] = ['collect-logs', 'list-rollouts', 'resource-usage'];

/** A runbook task as the policy carries it. */
export interface TaskSpec {
  id: string;
  title: string;
  kind: 'automated' | 'manual';
  /** A role or a contact ID. */
  owner: string;
  /** Run by the workflow at declaration; the task is done when it succeeds and stays open for a person when it fails. */
  action?: TaskAction;
  /** Deployment key for the Kubernetes actions. */
  target?: string;
}

export const PUBLIC_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type PublicStatus = (typeof PUBLIC_STATUSES)[number];

/** An update on the public status page. Public text only: no hosts, people or error details. */
export interface PublicStatusUpdate {
  at: string;
  status: PublicStatus;
  message: string;
  /** Engineer who wrote the message; absent for the workflow's own updates. */
  by?: string;
}

/** The public status each incident status shows; `resolving` shows nothing new until it is resolved. */
export const PUBLIC_STATUS_OF: Record<IncidentStatus, PublicStatus | undefined> = {
  open: 'investigating',
  // An acknowledgement means someone is looking, not that the cause is
  // known; engineers post `identified` themselves.
  acknowledged: 'investigating',
  'resolved-pending': 'monitoring',
  resolving: undefined,
  resolved: 'resolved',
};

/** The workflow's public text for each status, used unless an engineer writes one. */
export const DEFAULT_PUBLIC_MESSAGE: Record<PublicStatus, string> = {
  investigating: 'We are investigating reports of a problem with this service.',
  identified: 'The cause has been identified and engineers are working on a fix.',
  monitoring: 'A fix is in place and we are monitoring the service.',
  resolved: 'The service is operating normally again.',
};

/** The result of a task's action, kept small enough for workflow history. */
export interface Finding {
  taskId: string;
  action: TaskAction;
  ok: boolean;
  at: string;
  /** One line, at most 500 characters. */
  summary: string;
  /** Log lines, rollouts or sessions, at most 8 KiB. */
  detail?: string;
}

/** One SLA stage, with its deadline counted from the declaration time. */
export interface StagePolicy {
  id: string;
  title: string;
  /** Temporal duration string (`15m`, `1h`), counted from declaration. */
  due: string;
  endsWhen: StageEnd;
  tasks: TaskSpec[];
}

/** A configured check as the workflow uses it: an ID and the activity that runs it. */
export interface CheckRef {
  id: string;
  kind: 'http' | 'redis' | 'command';
}

export interface EscalationLevel {
  /** Contact IDs, or `role:<role>` for whoever holds the role. */
  targets: string[];
  wait: string;
}

/** Post-incident follow-up settings carried by the incident for its child workflow. */
export interface FollowUpPolicy {
  reportDue: string;
  postMortemDue: string;
  reminderBefore: string;
  closeAfter: string;
  stakeholders: string[];
  escalateTo: string[];
  postMortemRequired: boolean;
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
  escalation: { levels: EscalationLevel[]; repeat: number };
  /** An acknowledgement with no progress for this long lapses and the current level is paged again. */
  acknowledgementLapse: string;
  /** Contact IDs paged when an SLA stage deadline passes unmet. */
  breachEscalation: string[];
  /** Business contacts informed at declaration and on a stage's breach (by stage ID). */
  business: { atDeclaration: string[]; onBreach: Record<string, string[]> };
  /** Resolve on its own once alerts stay resolved through the cool-down. */
  autoResolve: boolean;
  /** Time alerts must stay resolved before the incident resolves or requests confirmation. */
  cooldown: string;
  stages: StagePolicy[];
  checks: CheckRef[];
  /** Absent in incidents declared before the catalogue existed, or when none is configured. */
  recovery?: RecoveryPolicy;
  /** Absent in incidents declared before channels existed. */
  delivery?: DeliveryPolicy;
  /** Chat rooms this severity uses besides #incident-response; absent before chat existed. */
  chat?: { engineering: boolean; incidentChannel: boolean };
  followUp: FollowUpPolicy;
}

/** Integrations that send alerts, each with its own webhook route and payload format. */
export const ALERT_SOURCES = ['alertmanager', 'grafana', 'azure-monitor', 'pagerduty', 'json'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

/**
 * The part of an alert kept in workflow history. Every field is trimmed to
 * the sizes in `src/api/sources/snapshot.ts`, so a snapshot stays under
 * 16 KiB whatever the payload held.
 */
export interface AlertSnapshot {
  source: AlertSource;
  status: 'firing' | 'resolved';
  /** Sender: the Alertmanager or Grafana receiver, the Azure alert rule, the PagerDuty event source. */
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalUrl: string;
  alertCount: number;
  firingCount: number;
  /** Per-alert identities: Alertmanager fingerprints, the Azure alert ID. */
  fingerprints: string[];
  /** Resources the alert is about (Azure `alertTargetIDs`); absent for sources without them. */
  targets?: string[];
  /** True when labels, annotations or lists were cut to fit the snapshot's limits. */
  trimmed?: boolean;
}

/** A maintenance window that matched the alert which declared the incident. */
export interface MaintenanceHold {
  windowId: string;
  /** ISO 8601 end of the window; pages resume then if the incident is still open. */
  endsAt: string;
  reason: string;
  author: string;
}

export interface IncidentInput {
  /** Equals the workflow ID. */
  incidentId: string;
  source: AlertSource;
  /** The source's grouping key, trimmed. */
  dedupKey: string;
  service: string;
  summary: string;
  severity: Severity;
  /** ISO 8601 time the incident was declared; SLA deadlines count from here. */
  declaredAt: string;
  policy: SeverityPolicy;
  alert: AlertSnapshot;
  /** Window the declaring alert matched, if any; no one is paged until it ends. */
  maintenance?: MaintenanceHold;
  /** State carried from the previous severity's run after a severity change. */
  carried?: CarriedState;
}

/** State a severity change carries into the next workflow run. */
export interface CarriedState {
  status: 'open' | 'acknowledged' | 'resolved-pending';
  acknowledged: boolean;
  alertStatus: 'firing' | 'resolved';
  cooldownEndsAt?: string;
  confirmationRequested: boolean;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  roles: Partial<Record<Role, string>>;
  tasks: TaskState[];
  timeline: TimelineEntry[];
  droppedTimelineEntries: number;
  alertOccurrences: number;
  flaps: number;
  paged: PageRecord[];
  severityHistory: SeverityChange[];
  initialChecks: CheckResult[];
  /** When each stage was met, by stage ID, so a stage met before the change keeps its time. */
  stageMetAt: Record<string, string>;
  /** Absent when carried by a run from before the recovery catalogue. */
  recoveries?: RecoveryRecord[];
  findings?: Finding[];
  publicUpdates?: PublicStatusUpdate[];
  publicTitle?: string;
  statuspageIncidentId?: string;
  chatStatus?: IncidentStatus;
  chatCounter?: number;
  chatChannelId?: string;
}

export interface AlertOccurrence {
  status: 'firing' | 'resolved';
  /** The severity the alert maps to; absent in occurrences recorded before it was sent. */
  severity?: Severity;
  receivedAt: string;
  alertCount: number;
  firingCount: number;
}

export interface MaintenanceEnded {
  windowId: string;
  /** Engineer who ended the window. */
  actor: string;
}

/** Fields every engineer command carries. */
interface Command {
  /** Identity taken from the caller's credential by the API. */
  actor: string;
}

export interface AcknowledgeRequest extends Command {
  note?: string;
}

export interface ResolveRequest extends Command {
  summary: string;
  resolutionType: ResolutionType;
}

export interface EscalateRequest extends Command {
  reason: string;
  /** A contact to page; without one the next escalation level is paged. */
  contactId?: string;
}

export interface ChangeSeverityRequest extends Command {
  severity: Severity;
  reason: string;
  /** The new severity's policy, built by the API from the configuration. */
  policy: SeverityPolicy;
}

export interface AddNoteRequest extends Command {
  text: string;
}

export interface PostStatusUpdateRequest extends Command {
  message: string;
  /** Defaults to the status that matches the incident's. */
  status?: PublicStatus;
  /** Replaces the public title. */
  title?: string;
}

export interface AssignRoleRequest extends Command {
  role: Role;
  contactId: string;
}

export interface CompleteTaskRequest extends Command {
  taskId: string;
  note?: string;
}

export interface CheckResult {
  checkId: string;
  kind: CheckRef['kind'];
  ok: boolean;
  /** HTTP status for HTTP checks. */
  status?: number;
  /** Start of the response body, at most 200 characters, when an HTTP check's expected text is missing. */
  bodyExcerpt?: string;
  /** Exit code of a command check's process; absent when a signal ended it or it never started. */
  exitCode?: number;
  /** Last 20 lines, at most 4 KiB, of a command check's stdout and stderr, interleaved as they arrived. */
  outputTail?: string;
  latencyMs: number;
  /** Reason the check failed, without credentials. */
  error?: string;
  checkedAt: string;
}

export interface PageRequest {
  incidentId: string;
  /**
   * Run ID of the workflow run that sends the page. A retry or replay keeps
   * it. An incident reopened under the same ID, or continued into another
   * severity, runs as a new run, so its pages get new keys.
   */
  runId: string;
  contactId: string;
  /** Step of the incident that sends the page; part of the idempotency key. */
  step: string;
  severity: Severity;
  service: string;
  summary: string;
  stage: string;
  /** Reason shown to the person, such as "declared" or "not acknowledged in 5m". */
  reason: string;
  /** Deadline of the current stage, shown in the page text. */
  stageDueAt?: string;
  /** Position in the contact's channels; absent for the first. */
  channelIndex?: number;
}

export interface PageResult {
  contactId: string;
  idempotencyKey: string;
  httpStatus: number;
  /** True when the receiver reported that it had already seen this key. */
  duplicate: boolean;
}

/** A page delivered through one channel of the contact. */
export interface DeliveryResult extends PageResult {
  /** Channel kind, such as `pagerduty` or `sms`. */
  channel: string;
  channelIndex: number;
  channelCount: number;
  /** Person on call when the contact is a rotation, or the contact's person. */
  personId?: string;
  /** True when `personId` was on call in a rotation at paging time. */
  onCall?: boolean;
}

/** The runbook's chat rooms, and the incident's own channel. */
export type ChatRoom = 'incident-response' | 'status-updates' | 'engineering' | 'incident-channel';

/** Delivery settings a workflow carries; incidents declared before them use `DEFAULT_DELIVERY`. */
export interface DeliveryPolicy {
  attemptsPerChannel: number;
  roundPause: string;
  giveUpAfter: string;
}

export const DEFAULT_DELIVERY: DeliveryPolicy = { attemptsPerChannel: 4, roundPause: '1m', giveUpAfter: '30m' };

export type TimelineType =
  | 'declared'
  | 'alert'
  | 'flap'
  | 'page-sent'
  | 'page-failed'
  | 'page-retry'
  | 'page-fallback'
  | 'escalated'
  | 'business-notified'
  | 'check'
  | 'check-failed'
  | 'stage-met'
  | 'stage-breached'
  | 'task-completed'
  | 'acknowledged'
  | 'acknowledgement-lapsed'
  | 'note'
  | 'role-assigned'
  | 'severity-changed'
  | 'resolved-pending'
  | 'reopened'
  | 'confirmation-requested'
  | 'resolving'
  | 'resolved'
  | 'follow-up-started'
  | 'document-submitted'
  | 'status-update'
  | 'follow-up-deadline-missed'
  | 'follow-up-finished'
  | 'timeline-truncated'
  | 'recovery-requested'
  | 'recovery-approved'
  | 'recovery-rejected'
  | 'recovery-approval-overdue'
  | 'recovery-started'
  | 'recovery-succeeded'
  | 'recovery-failed'
  | 'recovery-cancelled'
  | 'finding'
  | 'finding-failed'
  | 'chat-message'
  | 'maintenance'
  | 'page-held';

export interface TimelineEntry {
  at: string;
  type: TimelineType;
  message: string;
  /** Engineer identity, or `system` for what the workflow did on its own. */
  actor?: string;
  contactId?: string;
  checkId?: string;
  stageId?: string;
  taskId?: string;
  /** Recovery request the entry belongs to. */
  recoveryId?: string;
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

export interface TaskState {
  id: string;
  title: string;
  kind: 'automated' | 'manual';
  stageId: string;
  /** Role or contact ID responsible for the task. */
  owner: string;
  dueAt: string;
  status: 'open' | 'done' | 'failed' | 'skipped';
  completedAt?: string;
  completedBy?: string;
  note?: string;
}

export interface TaskView extends TaskState {
  /** Still open after its deadline, as of the workflow's current time. */
  overdue: boolean;
  /** Contact that holds the owner role, when the owner is a role and someone holds it. */
  assignee?: string;
}

export interface PageRecord {
  contactId: string;
  step: string;
  requestedAt: string;
  state: 'sending' | 'delivered' | 'failed';
  deliveredAt?: string;
  /** Channel kind that delivered the page. */
  channel?: string;
  /** Position of that channel in the contact's channels. */
  channelIndex?: number;
  /** Person on call who got the page, for rotation contacts. */
  personId?: string;
}

export interface SeverityChange {
  from: Severity;
  to: Severity;
  at: string;
  by: string;
  reason: string;
}

/** Incident as the `view` query and the API return it. */
export interface IncidentView {
  id: string;
  severity: Severity;
  status: IncidentStatus;
  acknowledged: boolean;
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
  resolutionType?: ResolutionType;
  deadlines: StageDeadline[];
  tasks: TaskView[];
  roles: Partial<Record<Role, string>>;
  paged: PageRecord[];
  escalation: { level: number; cycle: number; exhausted: boolean };
  nextEscalationAt?: string;
  alertOccurrences: number;
  flaps: number;
  alertStatus: 'firing' | 'resolved';
  /** End of the cool-down while the status is `resolved-pending`. */
  cooldownEndsAt?: string;
  /** The maintenance window holding this incident's pages, while it does. */
  maintenance?: MaintenanceHold;
  /** The declaring alert as kept in history: labels, annotations, links; absent in old views. */
  alert?: AlertSnapshot;
  /** True once the cool-down ended and a person must confirm the resolution. */
  confirmationRequested: boolean;
  severityHistory: SeverityChange[];
  followUpId?: string;
  checks: { initial: CheckResult[]; verification: CheckResult[] };
  /** Requested recovery steps, oldest first. */
  recoveries: RecoveryRecord[];
  /** Results of the tasks' investigation actions. */
  findings: Finding[];
  /** Updates on the public status page, oldest first. */
  publicUpdates: PublicStatusUpdate[];
  /** Public one-line title an engineer set; the status page shows a generic one without it. */
  publicTitle?: string;
  timeline: TimelineEntry[];
}

/** Failure types the workflow raises to callers of its updates. */
export const INVALID_TRANSITION = 'InvalidTransition';
export const UNKNOWN_TASK = 'UnknownTask';
export const INVALID_REQUEST = 'InvalidRequest';
