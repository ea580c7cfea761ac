import { durationToMs } from '../shared/duration.js';
import {
  ROLES,
  SEVERITIES,
  type AlertOccurrence,
  type CarriedState,
  type ChangeSeverityRequest,
  type CheckResult,
  type Finding,
  type PublicStatusUpdate,
  type IncidentInput,
  type IncidentStatus,
  type IncidentView,
  type MaintenanceHold,
  type PageRecord,
  type ResolutionType,
  type Role,
  type Severity,
  type SeverityChange,
  type StageDeadline,
  type StagePolicy,
  type TaskState,
  type TaskView,
  type TimelineEntry,
} from '../shared/incident.js';
import type { RecoveryRecord } from '../shared/recovery.js';

/**
 * Timeline entries kept in the view. Older entries are dropped first, with a
 * count, so that a long or flapping incident keeps its history small.
 */
const MAX_TIMELINE_ENTRIES = 500;

/** Actor recorded for what the workflow does on its own. */
export const SYSTEM_ACTOR = 'system';

/**
 * The state of one incident and the rules for changing it. Plain code with no
 * Temporal calls, so the lifecycle reads as steps and this class can be read
 * on its own. Times come from `new Date()`, which is deterministic inside a
 * workflow.
 */
export class IncidentState {
  status: IncidentStatus;
  /** An engineer has acknowledged the incident; cleared when the acknowledgement lapses. */
  acknowledged: boolean;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  resolvedAt?: string;
  resolvedBy?: string;
  resolutionSummary?: string;
  resolutionType?: ResolutionType;
  roles: Partial<Record<Role, string>>;
  nextEscalationAt?: string;
  alertOccurrences: number;
  flaps: number;
  alertStatus: 'firing' | 'resolved';
  cooldownEndsAt?: string;
  confirmationRequested = false;
  initialChecksDone: boolean;
  followUpId?: string;
  pendingSeverityChange?: ChangeSeverityRequest;
  severityHistory: SeverityChange[];
  /** Maintenance window that delays every page until it ends or is ended early. */
  maintenance?: MaintenanceHold;
  /** Pages other than the ladder's that a maintenance window held; sent when it ends. */
  readonly heldPages: Array<{ contactId: string; step: string; reason: string }> = [];
  /** Alert counts of the last notification, so a change in them goes on the timeline. */
  private lastAlertCounts = { firing: -1, total: -1 };
  /** Severities an alert was flagged for, so each is flagged once. */
  private readonly flaggedSeverities = new Set<Severity>();

  /** Position on the escalation ladder. */
  readonly escalation = { level: 0, cycle: 0, exhausted: false };
  /** Changes whenever an engineer moves the ladder by hand, so the waiting level restarts. */
  escalationEpoch = 0;
  /** Changes with every engineer command; an acknowledgement lapses only without it. */
  progress = 0;
  /** Set when an acknowledgement lapsed and the current level must be paged again. */
  repageRequested = false;
  /** Counters that keep page steps, and so idempotency keys, unique within a run. */
  readonly stepCounters = { lapse: 0, manual: 0, confirmation: 0, chat: 0 };

  readonly deadlines: StageDeadline[];
  readonly tasks: TaskState[];
  readonly paged: PageRecord[];
  readonly initialChecks: CheckResult[];
  readonly verificationChecks: CheckResult[] = [];
  /** Requested recovery steps, carried across severity changes. */
  readonly recoveries: RecoveryRecord[];
  /** Results of the tasks' actions, carried across severity changes. */
  readonly findings: Finding[];
  /** Public status updates, carried across severity changes. */
  readonly publicUpdates: PublicStatusUpdate[];
  publicTitle?: string;
  /** Incident on Atlassian Statuspage that mirrors this one, once created. */
  statuspageIncidentId?: string;
  /** Incident channel opened in chat, once opened. */
  chatChannelId?: string;
  /** Status last posted to chat; undefined while the incident posts nothing to chat. */
  chatStatus?: IncidentStatus;
  /** The chat posts being sent, one after another. */
  chatChain: Promise<void> = Promise.resolve();
  /** IDs of the approved recovery steps, the running one first; they run one after another. */
  readonly recoveryQueue: string[] = [];
  /** The public updates being published, one after another. */
  publicStatusChain: Promise<void> = Promise.resolve();
  private readonly timeline: TimelineEntry[];
  private droppedTimelineEntries: number;

  constructor(readonly input: IncidentInput) {
    const { carried, policy } = input;
    const declaredAtMs = Date.parse(input.declaredAt);
    const dueAt = (stage: StagePolicy) => new Date(declaredAtMs + durationToMs(stage.due)).toISOString();

    this.status = carried?.status ?? 'open';
    this.acknowledged = carried?.acknowledged ?? false;
    this.cooldownEndsAt = carried?.cooldownEndsAt;
    this.confirmationRequested = carried?.confirmationRequested ?? false;
    this.acknowledgedAt = carried?.acknowledgedAt;
    this.acknowledgedBy = carried?.acknowledgedBy;
    this.roles = { ...(carried?.roles ?? {}) };
    this.alertOccurrences = carried?.alertOccurrences ?? 0;
    this.flaps = carried?.flaps ?? 0;
    this.alertStatus = carried?.alertStatus ?? input.alert.status;
    this.severityHistory = [...(carried?.severityHistory ?? [])];
    this.maintenance = input.maintenance;
    this.paged = [...(carried?.paged ?? [])];
    this.initialChecks = [...(carried?.initialChecks ?? [])];
    this.initialChecksDone = carried !== undefined;
    this.recoveries = (carried?.recoveries ?? []).map((record) => ({ ...record, verification: [...record.verification] }));
    this.findings = [...(carried?.findings ?? [])];
    this.publicUpdates = [...(carried?.publicUpdates ?? [])];
    this.publicTitle = carried?.publicTitle;
    this.statuspageIncidentId = carried?.statuspageIncidentId;
    this.chatChannelId = carried?.chatChannelId;
    this.chatStatus = carried?.chatStatus;
    if (carried?.chatCounter !== undefined) this.stepCounters.chat = carried.chatCounter;
    this.timeline = [...(carried?.timeline ?? [])];
    this.droppedTimelineEntries = carried?.droppedTimelineEntries ?? 0;

    // Deadlines are recomputed from the original declaration time with this
    // severity's durations; a stage already met keeps its time.
    this.deadlines = policy.stages.map((stage) => {
      const metAt = carried?.stageMetAt[stage.id];
      return { stageId: stage.id, title: stage.title, dueAt: dueAt(stage), ...(metAt === undefined ? {} : { metAt }) };
    });

    // Tasks come from this severity's stages; a task done before a severity
    // change stays done, and tasks this severity lacks are kept as they were.
    const carriedTasks = new Map((carried?.tasks ?? []).map((task) => [task.id, task]));
    this.tasks = policy.stages.flatMap((stage) =>
      stage.tasks.map((spec): TaskState => {
        const previous = carriedTasks.get(spec.id);
        carriedTasks.delete(spec.id);
        return {
          id: spec.id,
          title: spec.title,
          kind: spec.kind,
          stageId: stage.id,
          owner: spec.owner,
          dueAt: dueAt(stage),
          status: previous?.status ?? 'open',
          ...(previous?.completedAt === undefined ? {} : { completedAt: previous.completedAt }),
          ...(previous?.completedBy === undefined ? {} : { completedBy: previous.completedBy }),
          ...(previous?.note === undefined ? {} : { note: previous.note }),
        };
      }),
    );
    // Open tasks this severity does not have are no longer required.
    for (const task of carriedTasks.values()) {
      this.tasks.push(task.status === 'open' ? { ...task, status: 'skipped', note: `not part of ${input.severity}` } : task);
    }

    if (carried === undefined) {
      // Recorded here, before any signal handler runs, so it heads the timeline.
      this.record({
        type: 'declared',
        message: `${input.severity} incident declared for ${input.service}: ${input.summary}`,
      });
    }
  }

  /** True once resolution has begun or a severity change ends this run. */
  get stopping(): boolean {
    return this.resolutionRequested || this.pendingSeverityChange !== undefined;
  }

  get isResolved(): boolean {
    return this.status === 'resolved';
  }

  /** True once an engineer (or the cool-down) started resolution, including while verification runs. */
  get resolutionRequested(): boolean {
    return this.status === 'resolving' || this.status === 'resolved';
  }

  /** The first stage not met yet, or the phase after the last stage. */
  get currentStage(): string {
    if (this.status === 'resolved') return 'closed';
    if (this.status === 'resolving') return 'verification';
    const open = this.input.policy.stages.find((stage) => !this.isStageMet(stage));
    return open?.id ?? 'resolution';
  }

  isStageMet(stage: StagePolicy): boolean {
    if (this.resolutionRequested) return true;
    const tasksDone = stage.tasks.every((task) => this.task(task.id)?.status !== 'open');
    if (stage.endsWhen === 'acknowledged') return this.acknowledgedAt !== undefined && tasksDone;
    if (stage.endsWhen === 'tasks') return tasksDone;
    return false;
  }

  /** True while a maintenance window delays the incident's pages. */
  get pagesHeld(): boolean {
    return this.maintenance !== undefined && Date.now() < Date.parse(this.maintenance.endsAt);
  }

  /** Releases the pages held by a maintenance window; the ladder then pages if the incident is still open. */
  endMaintenance(reason: string): void {
    const hold = this.maintenance;
    if (hold === undefined) return;
    this.maintenance = undefined;
    this.record({ type: 'maintenance', actor: SYSTEM_ACTOR, message: `maintenance window ${hold.windowId} ${reason}; pages are no longer held` });
  }

  record(entry: Omit<TimelineEntry, 'at'>): void {
    this.timeline.push({ at: new Date().toISOString(), ...entry });
    if (this.timeline.length > MAX_TIMELINE_ENTRIES) {
      this.timeline.shift();
      this.droppedTimelineEntries += 1;
    }
  }

  /**
   * Applies an alert notification. Firing ones are counted; a firing one in
   * the cool-down reopens the incident as a flap. "All resolved" starts the
   * cool-down. Neither pages anyone.
   */
  recordAlert(occurrence: AlertOccurrence): void {
    const first = this.alertOccurrences === 0 && occurrence.status === 'firing';
    const changed = occurrence.status !== this.alertStatus;
    const countsChanged = occurrence.firingCount !== this.lastAlertCounts.firing || occurrence.alertCount !== this.lastAlertCounts.total;
    this.alertStatus = occurrence.status;
    this.lastAlertCounts = { firing: occurrence.firingCount, total: occurrence.alertCount };

    if (occurrence.status === 'firing') {
      this.alertOccurrences += 1;
      this.flagHigherSeverity(occurrence.severity);
      if (this.status === 'resolved-pending') {
        this.reopen();
        return;
      }
      if (first || changed || countsChanged) {
        this.record({ type: 'alert', message: `alert firing (${occurrence.firingCount} of ${occurrence.alertCount} alerts)` });
      }
      return;
    }

    if (this.status === 'open' || this.status === 'acknowledged') {
      const cooldownMs = durationToMs(this.input.policy.cooldown);
      this.status = 'resolved-pending';
      this.cooldownEndsAt = new Date(Date.now() + cooldownMs).toISOString();
      this.record({
        type: 'resolved-pending',
        message: `source reports every alert resolved; cool-down of ${this.input.policy.cooldown} started`,
      });
    }
  }

  /**
   * Flags, once per severity, an alert that now maps above the incident's
   * severity. Changing severity stays an engineer's decision, because the
   * new policy pages other people.
   */
  private flagHigherSeverity(severity: Severity | undefined): void {
    if (severity === undefined || this.flaggedSeverities.has(severity)) return;
    if (SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(this.input.severity)) return;
    this.flaggedSeverities.add(severity);
    this.record({
      type: 'alert',
      flagged: true,
      actor: SYSTEM_ACTOR,
      message: `alert now maps to ${severity}, above this ${this.input.severity} incident; change the severity if it is right`,
    });
  }

  acknowledge(actor: string, note?: string): void {
    this.acknowledged = true;
    this.acknowledgedAt = new Date().toISOString();
    this.acknowledgedBy = actor;
    if (this.status === 'open') this.status = 'acknowledged';
    this.nextEscalationAt = undefined;
    this.progress += 1;
    this.completeTask('acknowledge', actor);
    this.record({ type: 'acknowledged', actor, message: note === undefined ? 'acknowledged' : `acknowledged: ${note}` });
  }

  /** Drops an acknowledgement that saw no progress in time; the lifecycle pages again. */
  lapseAcknowledgement(): void {
    this.acknowledged = false;
    if (this.status === 'acknowledged') this.status = 'open';
    this.repageRequested = true;
    this.record({
      type: 'acknowledgement-lapsed',
      flagged: true,
      actor: SYSTEM_ACTOR,
      message: `no progress within ${this.input.policy.acknowledgementLapse} of the acknowledgement; paging again`,
    });
  }

  beginResolution(actor: string, summary: string, resolutionType: ResolutionType): void {
    if (!this.acknowledged && actor !== SYSTEM_ACTOR) {
      this.acknowledged = true;
      this.acknowledgedAt ??= new Date().toISOString();
      this.acknowledgedBy ??= actor;
      this.completeTask('acknowledge', actor);
      this.record({ type: 'acknowledged', actor, message: 'acknowledged by resolving' });
    }
    this.status = 'resolving';
    this.resolvedBy = actor;
    this.resolutionSummary = summary;
    this.resolutionType = resolutionType;
    this.nextEscalationAt = undefined;
    this.cooldownEndsAt = undefined;
    this.record({ type: 'resolving', actor, message: `resolution (${resolutionType}) requested: ${summary}` });
  }

  finishResolution(): void {
    this.status = 'resolved';
    this.resolvedAt = new Date().toISOString();
    for (const task of this.tasks) {
      if (task.status === 'open') task.status = 'skipped';
    }
    const failed = this.verificationChecks.filter((check) => !check.ok).length;
    const message =
      failed === 0
        ? 'resolved; every verification check passed'
        : `resolved with ${failed} failed verification check(s)`;
    this.record({ type: 'resolved', actor: this.resolvedBy, message, flagged: failed > 0 });
  }

  requestConfirmation(): void {
    this.confirmationRequested = true;
    this.record({
      type: 'confirmation-requested',
      actor: SYSTEM_ACTOR,
      flagged: true,
      message: `alerts stayed resolved for ${this.input.policy.cooldown}; a person must confirm with resolve`,
    });
  }

  /** Completes an open task; returns false when there is no such open task. */
  completeTask(taskId: string, actor: string, note?: string): boolean {
    const task = this.task(taskId);
    if (task?.status !== 'open') return false;

    task.status = 'done';
    task.completedAt = new Date().toISOString();
    task.completedBy = actor;
    if (note !== undefined) task.note = note;
    if (actor !== SYSTEM_ACTOR) this.progress += 1;
    const suffix = note === undefined ? '' : `: ${note}`;
    this.record({ type: 'task-completed', actor, taskId, message: `${task.title} done${suffix}` });
    return true;
  }

  task(taskId: string): TaskState | undefined {
    return this.tasks.find((candidate) => candidate.id === taskId);
  }

  addNote(actor: string, text: string): void {
    this.progress += 1;
    this.record({ type: 'note', actor, message: text });
  }

  assignRole(actor: string, role: Role, contactId: string): void {
    this.roles[role] = contactId;
    this.progress += 1;
    this.record({ type: 'role-assigned', actor, contactId, message: `${contactId} is ${role}` });
  }

  /**
   * Marks every stage met that has become met since the last call, at the
   * current time. Called after each change, so a later stage met early
   * (its tasks done while an earlier stage still runs) keeps the right time.
   */
  trackStages(): void {
    this.input.policy.stages.forEach((stage, index) => {
      const deadline = this.deadlines[index];
      if (deadline === undefined || deadline.metAt !== undefined || deadline.breachedAt !== undefined) return;
      if (this.isStageMet(stage)) this.markStageMet(stage.id);
    });
  }

  private markStageMet(stageId: string): void {
    const deadline = this.deadlineFor(stageId);
    deadline.metAt = new Date().toISOString();
    this.record({ type: 'stage-met', stageId, message: `${deadline.title} met before its deadline ${deadline.dueAt}` });
  }

  markStageBreached(stageId: string): void {
    const deadline = this.deadlineFor(stageId);
    deadline.breachedAt = new Date().toISOString();
    this.record({
      type: 'stage-breached',
      stageId,
      flagged: true,
      message: `${deadline.title} deadline ${deadline.dueAt} passed with the stage unmet`,
    });
  }

  addCheckResult(phase: 'initial' | 'verification', result: CheckResult): void {
    (phase === 'initial' ? this.initialChecks : this.verificationChecks).push(result);
    const detail = result.status === undefined ? '' : ` HTTP ${result.status},`;
    if (result.ok) {
      this.record({
        type: 'check',
        checkId: result.checkId,
        message: `${phase} check ${result.checkId} passed:${detail} ${result.latencyMs} ms`,
      });
      return;
    }
    this.record({
      type: 'check-failed',
      checkId: result.checkId,
      flagged: true,
      message: `${phase} check ${result.checkId} failed:${detail} ${result.error ?? 'unexpected result'}`,
    });
  }

  /** Marks the initial checks done and completes the health-check task with their outcome. */
  finishInitialChecks(): void {
    this.initialChecksDone = true;
    const failed = this.initialChecks.filter((check) => !check.ok).map((check) => check.checkId);
    const note = failed.length === 0 ? 'all checks passed' : `failed: ${failed.join(', ')}`;
    this.completeTask('health-check', SYSTEM_ACTOR, note);
  }

  /** Adds a page in state `sending` and returns it for later updates. */
  startPage(contactId: string, step: string): PageRecord {
    const page: PageRecord = { contactId, step, requestedAt: new Date().toISOString(), state: 'sending' };
    this.paged.push(page);
    return page;
  }

  /** Everything a severity change carries into the next run. */
  carry(): CarriedState {
    return {
      status: this.carriedStatus(),
      acknowledged: this.acknowledged,
      alertStatus: this.alertStatus,
      cooldownEndsAt: this.cooldownEndsAt,
      confirmationRequested: this.confirmationRequested,
      acknowledgedAt: this.acknowledgedAt,
      acknowledgedBy: this.acknowledgedBy,
      roles: { ...this.roles },
      tasks: this.tasks.map((task) => ({ ...task })),
      timeline: [...this.timeline],
      droppedTimelineEntries: this.droppedTimelineEntries,
      alertOccurrences: this.alertOccurrences,
      flaps: this.flaps,
      paged: this.paged.map((page) => ({ ...page })),
      severityHistory: [...this.severityHistory],
      initialChecks: [...this.initialChecks],
      stageMetAt: Object.fromEntries(
        this.deadlines.flatMap((deadline) => (deadline.metAt === undefined ? [] : [[deadline.stageId, deadline.metAt]])),
      ),
      ...(this.recoveries.length === 0 ? {} : { recoveries: this.recoveries.map((record) => ({ ...record })) }),
      ...(this.findings.length === 0 ? {} : { findings: [...this.findings] }),
      ...(this.publicUpdates.length === 0 ? {} : { publicUpdates: [...this.publicUpdates] }),
      ...(this.publicTitle === undefined ? {} : { publicTitle: this.publicTitle }),
      ...(this.statuspageIncidentId === undefined ? {} : { statuspageIncidentId: this.statuspageIncidentId }),
      ...(this.chatStatus === undefined ? {} : { chatStatus: this.chatStatus, chatCounter: this.stepCounters.chat }),
      ...(this.chatChannelId === undefined ? {} : { chatChannelId: this.chatChannelId }),
    };
  }

  view(): IncidentView {
    const { input } = this;
    const now = Date.now();
    const timeline =
      this.droppedTimelineEntries === 0
        ? [...this.timeline]
        : [
            {
              at: input.declaredAt,
              type: 'timeline-truncated' as const,
              message: `${this.droppedTimelineEntries} older timeline entries were dropped`,
            },
            ...this.timeline,
          ];

    return {
      id: input.incidentId,
      severity: input.severity,
      status: this.status,
      acknowledged: this.acknowledged,
      stage: this.currentStage,
      service: input.service,
      summary: input.summary,
      source: input.source,
      declaredAt: input.declaredAt,
      acknowledgedAt: this.acknowledgedAt,
      acknowledgedBy: this.acknowledgedBy,
      resolvedAt: this.resolvedAt,
      resolvedBy: this.resolvedBy,
      resolutionSummary: this.resolutionSummary,
      resolutionType: this.resolutionType,
      deadlines: this.deadlines.map((deadline) => ({ ...deadline })),
      tasks: this.tasks.map((task) => this.taskView(task, now)),
      roles: { ...this.roles },
      paged: this.paged.map((page) => ({ ...page })),
      escalation: { ...this.escalation },
      nextEscalationAt: this.nextEscalationAt,
      alertOccurrences: this.alertOccurrences,
      flaps: this.flaps,
      alertStatus: this.alertStatus,
      cooldownEndsAt: this.cooldownEndsAt,
      ...(this.maintenance === undefined ? {} : { maintenance: { ...this.maintenance } }),
      alert: input.alert,
      confirmationRequested: this.confirmationRequested,
      severityHistory: [...this.severityHistory],
      followUpId: this.followUpId,
      checks: { initial: [...this.initialChecks], verification: [...this.verificationChecks] },
      recoveries: this.recoveries.map((record) => ({ ...record, verification: [...record.verification] })),
      findings: [...this.findings],
      publicUpdates: [...this.publicUpdates],
      publicTitle: this.publicTitle,
      timeline,
    };
  }

  private carriedStatus(): CarriedState['status'] {
    if (this.status === 'resolved-pending') return 'resolved-pending';
    return this.acknowledged ? 'acknowledged' : 'open';
  }

  private reopen(): void {
    this.status = this.acknowledged ? 'acknowledged' : 'open';
    this.flaps += 1;
    this.cooldownEndsAt = undefined;
    this.confirmationRequested = false;
    this.record({
      type: 'flap',
      flagged: true,
      message: `alert fired again during the cool-down; incident reopened without a page (flap ${this.flaps})`,
    });
  }

  private taskView(task: TaskState, now: number): TaskView {
    const assignee = (ROLES as readonly string[]).includes(task.owner) ? this.roles[task.owner as Role] : undefined;
    return {
      ...task,
      overdue: task.status === 'open' && now > Date.parse(task.dueAt),
      ...(assignee === undefined ? {} : { assignee }),
    };
  }

  private deadlineFor(stageId: string): StageDeadline {
    const deadline = this.deadlines.find((candidate) => candidate.stageId === stageId);
    if (deadline === undefined) throw new Error(`unknown stage ${stageId}`);
    return deadline;
  }
}
