import { durationToMs } from '../shared/duration.js';
import type {
  AlertOccurrence,
  CheckResult,
  IncidentInput,
  IncidentStatus,
  IncidentView,
  PageRecord,
  StageDeadline,
  StagePolicy,
  TimelineEntry,
} from '../shared/incident.js';

/**
 * Timeline entries kept in the view. Older entries are dropped first, with a
 * count, so that a long or flapping incident keeps its history small.
 */
const MAX_TIMELINE_ENTRIES = 500;

/**
 * The state of one incident and the rules for changing it. Plain code with no
 * Temporal calls, so the lifecycle reads as steps and this class can be read
 * on its own. Times come from `new Date()`, which is deterministic inside a
 * workflow.
 */
export class IncidentState {
  status: IncidentStatus = 'open';
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  resolvedAt?: string;
  resolvedBy?: string;
  resolutionSummary?: string;
  nextEscalationAt?: string;
  alertOccurrences = 0;
  alertStatus: 'firing' | 'resolved';
  initialChecksDone = false;

  readonly deadlines: StageDeadline[];
  readonly paged: PageRecord[] = [];
  readonly initialChecks: CheckResult[] = [];
  readonly verificationChecks: CheckResult[] = [];
  private readonly timeline: TimelineEntry[] = [];
  private droppedTimelineEntries = 0;

  constructor(readonly input: IncidentInput) {
    const declaredAtMs = Date.parse(input.declaredAt);
    this.alertStatus = input.alert.status;
    this.deadlines = input.policy.stages.map((stage) => ({
      stageId: stage.id,
      title: stage.title,
      dueAt: new Date(declaredAtMs + durationToMs(stage.due)).toISOString(),
    }));
    // Recorded here, before any signal handler runs, so it heads the timeline.
    this.record({
      type: 'declared',
      message: `${input.severity} incident declared for ${input.service}: ${input.summary}`,
    });
  }

  get isAcknowledged(): boolean {
    return this.status !== 'open';
  }

  get isResolved(): boolean {
    return this.status === 'resolved';
  }

  /** True once an engineer has asked to resolve, including while verification runs. */
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
    // TODO(runbook-tasks): investigation should end when its runbook tasks are
    // done; until tasks exist, only acknowledgement or resolution ends a stage.
    if (stage.endsWhen === 'acknowledged') return this.isAcknowledged && this.initialChecksDone;
    return this.resolutionRequested;
  }

  record(entry: Omit<TimelineEntry, 'at'>): void {
    this.timeline.push({ at: new Date().toISOString(), ...entry });
    if (this.timeline.length > MAX_TIMELINE_ENTRIES) {
      this.timeline.shift();
      this.droppedTimelineEntries += 1;
    }
  }

  /** Counts a firing occurrence; only the first alert and a change of alert status go on the timeline. */
  recordAlert(occurrence: AlertOccurrence): void {
    const first = this.alertOccurrences === 0;
    if (occurrence.status === 'firing') this.alertOccurrences += 1;
    if (occurrence.status === this.alertStatus && !first) return;

    this.alertStatus = occurrence.status;
    const message =
      occurrence.status === 'firing'
        ? `alert firing (${occurrence.firingCount} of ${occurrence.alertCount} alerts)`
        : 'source reports every alert resolved; the incident stays open until an engineer resolves it';
    this.record({ type: 'alert', message });
  }

  acknowledge(actor: string, note?: string): void {
    this.status = 'acknowledged';
    this.acknowledgedAt = new Date().toISOString();
    this.acknowledgedBy = actor;
    this.nextEscalationAt = undefined;
    this.record({ type: 'acknowledged', actor, message: note === undefined ? 'acknowledged' : `acknowledged: ${note}` });
  }

  beginResolution(actor: string, summary?: string): void {
    if (this.acknowledgedAt === undefined) {
      this.acknowledgedAt = new Date().toISOString();
      this.acknowledgedBy = actor;
    }
    this.status = 'resolving';
    this.resolvedBy = actor;
    this.resolutionSummary = summary;
    this.nextEscalationAt = undefined;
    this.record({ type: 'resolving', actor, message: 'resolution requested; running verification checks' });
  }

  finishResolution(): void {
    this.status = 'resolved';
    this.resolvedAt = new Date().toISOString();
    const failed = this.verificationChecks.filter((check) => !check.ok).length;
    const message =
      failed === 0
        ? 'resolved; every verification check passed'
        : `resolved with ${failed} failed verification check(s)`;
    this.record({ type: 'resolved', actor: this.resolvedBy, message, flagged: failed > 0 });
  }

  markStageMet(stageId: string): void {
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

  /** Adds a page in state `sending` and returns it for later updates. */
  startPage(contactId: string, step: string): PageRecord {
    const page: PageRecord = { contactId, step, requestedAt: new Date().toISOString(), state: 'sending' };
    this.paged.push(page);
    return page;
  }

  view(): IncidentView {
    const { input } = this;
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
      deadlines: this.deadlines.map((deadline) => ({ ...deadline })),
      paged: this.paged.map((page) => ({ ...page })),
      nextEscalationAt: this.nextEscalationAt,
      alertOccurrences: this.alertOccurrences,
      alertStatus: this.alertStatus,
      checks: { initial: [...this.initialChecks], verification: [...this.verificationChecks] },
      timeline,
    };
  }

  private deadlineFor(stageId: string): StageDeadline {
    const deadline = this.deadlines.find((candidate) => candidate.stageId === stageId);
    if (deadline === undefined) throw new Error(`unknown stage ${stageId}`);
    return deadline;
  }
}
