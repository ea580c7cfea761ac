import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineUpdate,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';

import type { Activities } from '../activities/index.js';
import { durationToMs } from '../shared/duration.js';
import type {
  ActionItem,
  AddActionItemsRequest,
  FollowUpDeadline,
  FollowUpInput,
  FollowUpStatus,
  FollowUpView,
  SubmitPostMortemRequest,
  SubmitReportRequest,
} from '../shared/follow-up.js';
import { INVALID_REQUEST, INVALID_TRANSITION, type TimelineEntry, type TimelineType } from '../shared/incident.js';
import { failureMessage } from './incident-activities.js';
import { draftIncidentReport } from './incident-report.js';

/** The owner or another engineer submits the incident report. Rejected once a report is in or the follow-up is closed. */
export const submitReportUpdate = defineUpdate<FollowUpView, [SubmitReportRequest]>('submitReport');

/** An engineer links the post-mortem document. Rejected once a post-mortem is in or the follow-up is closed. */
export const submitPostMortemUpdate = defineUpdate<FollowUpView, [SubmitPostMortemRequest]>('submitPostMortem');

/**
 * An engineer appends action items, up to 50 items in total. Rejected once the follow-up is closed.
 * NOTE: the follow-up completes as soon as the last required document is in, so action items must come before it.
 */
export const addActionItemsUpdate = defineUpdate<FollowUpView, [AddActionItemsRequest]>('addActionItems');

/** The follow-up as the API shows it. */
export const followUpViewQuery = defineQuery<FollowUpView>('followUpView');

/** Limits that keep one follow-up's workflow history small. */
const MAX_REPORT_LENGTH = 20_000;
const MAX_ACTION_ITEMS = 50;
const MAX_ACTION_ITEM_TITLE_LENGTH = 500;
const MAX_ACTION_ITEM_OWNER_LENGTH = 200;
const MAX_LINK_LENGTH = 2_000;

/** Failure type raised when the follow-up is started with an input it cannot run. */
const INVALID_FOLLOW_UP_INPUT = 'InvalidFollowUpInput';

// A page or status update is retried with backoff for 30 minutes. After that
// the failure goes on the timeline, flagged, and the follow-up carries on.
const notificationActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '30m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m' },
});

// Timeline entry types the follow-up records.
const ENTRY_TYPE = {
  started: 'follow-up-started',
  submitted: 'document-submitted',
  statusUpdate: 'status-update',
  deadlineMissed: 'follow-up-deadline-missed',
  finished: 'follow-up-finished',
} as const satisfies Record<string, TimelineType>;

type FollowUpItem = 'report' | 'postMortem';

/** Label and step name of each document, used in messages, page steps and stage IDs. */
const ITEMS: Record<FollowUpItem, { label: string; step: string }> = {
  report: { label: 'incident report', step: 'report' },
  postMortem: { label: 'post-mortem', step: 'post-mortem' },
};

/** Deadlines as epoch milliseconds, computed once from the input. */
interface FollowUpSchedule {
  reportDueMs: number;
  postMortemDueMs: number;
  reminderBeforeMs: number;
  closeAtMs: number;
}

/**
 * Tracks one incident's report, post-mortem and action items after
 * resolution, reminds the owner before each deadline and escalates a missed
 * one. Completes once every required document is in, or closes incomplete
 * `policy.closeAfter` after resolution. Returns the final view.
 */
export async function postIncidentFollowUp(input: FollowUpInput): Promise<FollowUpView> {
  const state = new FollowUpState(input, parseSchedule(input));
  const sideTasks: Array<Promise<void>> = [];

  setHandler(followUpViewQuery, () => state.view());

  setHandler(
    submitReportUpdate,
    (request) => {
      state.submitReport(request.actor, request.report);
      publishProgress(state);
      return state.view();
    },
    { validator: (request: SubmitReportRequest) => validateReportRequest(state, request) },
  );

  setHandler(
    submitPostMortemUpdate,
    (request) => {
      state.submitPostMortem(request.actor, request.link);
      publishProgress(state);
      return state.view();
    },
    { validator: (request: SubmitPostMortemRequest) => validatePostMortemRequest(state, request) },
  );

  setHandler(
    addActionItemsUpdate,
    (request) => {
      state.addActionItems(request.actor, request.items);
      return state.view();
    },
    { validator: (request: AddActionItemsRequest) => validateActionItemsRequest(state, request) },
  );

  log.info('follow-up started', { followUpId: input.followUpId, incidentId: input.incidentId });
  publishProgress(state);

  for (const contactId of input.policy.stakeholders) {
    const reason = `${input.severity} incident resolved: ${input.summary}`;
    sideTasks.push(sendPage(state, contactId, 'follow-up-stakeholder', reason, `notify stakeholder ${contactId}`));
  }
  if (input.resolutionPublished !== true) sideTasks.push(publishResolvedStatus(state));

  const watchers = [watchDeadline(state, 'report', sideTasks), watchDeadline(state, 'postMortem', sideTasks)];

  const finished = await waitUntil(
    () => !state.isOpen,
    state.schedule.closeAtMs,
    `close follow-up (${input.policy.closeAfter} after resolution)`,
  );
  if (!finished) state.closeIncomplete();
  publishProgress(state);

  await Promise.all(watchers);
  await Promise.all(sideTasks);
  await condition(allHandlersFinished);
  log.info('follow-up finished', { followUpId: input.followUpId, incidentId: input.incidentId, status: state.status });
  return state.view();
}

/**
 * Reminds the owner before an item's deadline and escalates once the
 * deadline passes with the item missing. An item that is not required gets
 * neither.
 */
async function watchDeadline(state: FollowUpState, item: FollowUpItem, sideTasks: Array<Promise<void>>): Promise<void> {
  const { input, schedule } = state;
  const deadline = state.deadlines[item];
  if (!deadline.required) return;

  const { label, step } = ITEMS[item];
  const { policy } = input;
  const due = item === 'report' ? policy.reportDue : policy.postMortemDue;
  const dueMs = Date.parse(deadline.dueAt);
  const settled = () => state.isSubmitted(item) || !state.isOpen;

  const reminderAtMs = dueMs - schedule.reminderBeforeMs;
  if (await waitUntil(settled, reminderAtMs, `${label} reminder (${policy.reminderBefore} before its deadline)`)) return;

  // A reminder whose time came only at the deadline itself (reminderBefore
  // of 0) would arrive together with the escalation, so it is skipped.
  if (Date.now() < dueMs) {
    state.markReminded(item);
    const reason = `${label} for incident ${input.incidentId} is due at ${deadline.dueAt}`;
    sideTasks.push(sendPage(state, input.ownerContactId, `${step}-reminder`, reason, `remind owner ${input.ownerContactId}`));
    publishProgress(state);
  }

  if (await waitUntil(settled, dueMs, `${label} deadline (${due} after resolution)`)) return;

  state.markMissed(item);
  for (const contactId of policy.escalateTo) {
    const reason = `${label} for incident ${input.incidentId} is overdue: it was due at ${deadline.dueAt} from ${input.ownerContactId}`;
    state.record({ type: 'escalated', contactId, message: `${label} overdue, notifying ${contactId}` });
    sideTasks.push(sendPage(state, contactId, `${step}-escalation`, reason, `escalate overdue ${label} to ${contactId}`));
  }
  publishProgress(state);
}

/**
 * Waits until `done` returns true or the workflow clock reaches `atMs`, and
 * returns `done()`. Returns at once when `atMs` has already passed, because a
 * timer needs a positive duration.
 */
async function waitUntil(done: () => boolean, atMs: number, summary: string): Promise<boolean> {
  const remainingMs = atMs - Date.now();
  if (done() || remainingMs <= 0) return done();
  return condition(done, remainingMs, { summary });
}

/** Pages one contact and records the outcome. A failed page is recorded flagged instead of failing the workflow. */
async function sendPage(state: FollowUpState, contactId: string, step: string, reason: string, summary: string): Promise<void> {
  const { input } = state;
  try {
    const result = await notificationActivities.pageContact.executeWithOptions({ summary }, [
      {
        incidentId: input.incidentId,
        runId: workflowInfo().runId,
        contactId,
        step,
        severity: input.severity,
        service: input.service,
        summary: input.summary,
        stage: 'follow-up',
        reason,
      },
    ]);
    const note = result.duplicate ? ' (receiver had it already)' : '';
    state.record({ type: 'page-sent', contactId, message: `paged ${contactId} (${step}): ${reason}${note}` });
  } catch (error) {
    const cause = failureMessage(error);
    log.warn('page failed', { followUpId: input.followUpId, incidentId: input.incidentId, contactId, step, error: cause });
    state.record({ type: 'page-failed', contactId, flagged: true, message: `page to ${contactId} (${step}) failed: ${cause}` });
  }
}

/** Publishes a `resolved` status update to the public status page. A failure is recorded flagged. */
async function publishResolvedStatus(state: FollowUpState): Promise<void> {
  const { input } = state;
  const step = 'follow-up-resolved';
  try {
    await notificationActivities.publishStatusUpdate.executeWithOptions({ summary: 'publish status update: resolved' }, [
      {
        incidentId: input.incidentId,
        runId: workflowInfo().runId,
        step,
        service: input.service,
        severity: input.severity,
        status: 'resolved',
        message: `${input.service} is operating normally. The incident is resolved.`,
      },
    ]);
    state.record({ type: ENTRY_TYPE.statusUpdate, message: 'status page updated: resolved' });
  } catch (error) {
    const cause = failureMessage(error);
    log.warn('status update failed', { followUpId: input.followUpId, incidentId: input.incidentId, step, error: cause });
    state.record({ type: ENTRY_TYPE.statusUpdate, flagged: true, message: `status page update failed: ${cause}` });
  }
}

/** Shows the status, what is outstanding and the next deadline in the Temporal UI. */
function publishProgress(state: FollowUpState): void {
  if (state.status === 'complete') {
    setCurrentDetails('**complete**: every required document is in.');
    return;
  }

  const outstanding = state.outstandingItems();
  if (state.status === 'closed-incomplete') {
    const missing = outstanding.map((item) => ITEMS[item].label).join(', ');
    setCurrentDetails(`**closed-incomplete**: closed with ${missing} missing.`);
    return;
  }

  const items = outstanding.map((item) => {
    const deadline = state.deadlines[item];
    const overdue = deadline.escalatedAt === undefined ? '' : ', overdue';
    return `${ITEMS[item].label} (due ${deadline.dueAt}${overdue})`;
  });
  const nowMs = Date.now();
  const upcoming = outstanding
    .map((item) => ({ item, dueMs: Date.parse(state.deadlines[item].dueAt) }))
    .filter(({ dueMs }) => dueMs > nowMs)
    .sort((first, second) => first.dueMs - second.dueMs)[0];
  const next =
    upcoming === undefined
      ? 'No deadline ahead.'
      : `Next deadline: ${ITEMS[upcoming.item].label} at ${state.deadlines[upcoming.item].dueAt}.`;
  const closeAt = new Date(state.schedule.closeAtMs).toISOString();
  setCurrentDetails(`**open**. Outstanding: ${items.join(', ')}. ${next} Closes incomplete at ${closeAt}.`);
}

/**
 * The follow-up's state and the rules for changing it. Plain code with no
 * Temporal calls apart from the workflow clock (`Date.now()`), which is
 * deterministic inside a workflow.
 */
class FollowUpState {
  status: FollowUpStatus = 'open';
  report?: { text: string; by: string; at: string };
  postMortem?: { link: string; by: string; at: string };
  readonly actionItems: ActionItem[] = [];
  readonly deadlines: Record<FollowUpItem, FollowUpDeadline>;
  readonly draftReport: string;
  private readonly timeline: TimelineEntry[] = [];

  constructor(
    readonly input: FollowUpInput,
    readonly schedule: FollowUpSchedule,
  ) {
    this.deadlines = {
      report: { dueAt: new Date(schedule.reportDueMs).toISOString(), required: true },
      postMortem: { dueAt: new Date(schedule.postMortemDueMs).toISOString(), required: input.policy.postMortemRequired },
    };
    this.draftReport = draftIncidentReport(input);

    const postMortem = input.policy.postMortemRequired
      ? `post-mortem due ${this.deadlines.postMortem.dueAt}`
      : 'post-mortem optional';
    this.record({
      type: ENTRY_TYPE.started,
      contactId: input.ownerContactId,
      message: `follow-up started for ${input.ownerContactId}: incident report due ${this.deadlines.report.dueAt}, ${postMortem}`,
    });
  }

  get isOpen(): boolean {
    return this.status === 'open';
  }

  isSubmitted(item: FollowUpItem): boolean {
    return (item === 'report' ? this.report : this.postMortem) !== undefined;
  }

  /** Returns the required items that are still missing. */
  outstandingItems(): FollowUpItem[] {
    const items: FollowUpItem[] = ['report', 'postMortem'];
    return items.filter((item) => this.deadlines[item].required && !this.isSubmitted(item));
  }

  submitReport(actor: string, text: string): void {
    const at = new Date().toISOString();
    this.report = { text, by: actor, at };
    this.markMet('report', at);
    this.record({ type: ENTRY_TYPE.submitted, actor, message: `incident report submitted (${text.length} characters)` });
    this.completeIfDone();
  }

  submitPostMortem(actor: string, link: string): void {
    const at = new Date().toISOString();
    this.postMortem = { link, by: actor, at };
    this.markMet('postMortem', at);
    this.record({ type: ENTRY_TYPE.submitted, actor, message: `post-mortem linked: ${link}` });
    this.completeIfDone();
  }

  addActionItems(actor: string, items: AddActionItemsRequest['items']): void {
    const addedAt = new Date().toISOString();
    for (const item of items) {
      this.actionItems.push({ title: item.title, owner: item.owner, dueDate: item.dueDate, addedBy: actor, addedAt });
    }
    const titles = items.map((item) => item.title).join('; ');
    this.record({ type: ENTRY_TYPE.submitted, actor, message: `${items.length} action item(s) added: ${titles}` });
  }

  markReminded(item: FollowUpItem): void {
    this.deadlines[item].remindedAt = new Date().toISOString();
  }

  /** Records a deadline that passed with its item missing. The caller sends the escalation pages. */
  markMissed(item: FollowUpItem): void {
    const deadline = this.deadlines[item];
    deadline.escalatedAt = new Date().toISOString();
    log.warn('follow-up deadline missed', { followUpId: this.input.followUpId, item, dueAt: deadline.dueAt });
    this.record({
      type: ENTRY_TYPE.deadlineMissed,
      stageId: ITEMS[item].step,
      flagged: true,
      message: `${ITEMS[item].label} deadline ${deadline.dueAt} passed without a submission`,
    });
  }

  closeIncomplete(): void {
    this.status = 'closed-incomplete';
    const missing = this.outstandingItems().map((item) => ITEMS[item].label).join(' and ');
    this.record({
      type: ENTRY_TYPE.finished,
      flagged: true,
      message: `follow-up closed incomplete after ${this.input.policy.closeAfter}: ${missing} missing`,
    });
  }

  /** Adds a timeline entry. The actor defaults to `system`, which marks what the workflow did on its own. */
  record(entry: Omit<TimelineEntry, 'at'>): void {
    this.timeline.push({ at: new Date().toISOString(), actor: 'system', ...entry });
  }

  view(): FollowUpView {
    const { input } = this;
    return {
      id: input.followUpId,
      incidentId: input.incidentId,
      severity: input.severity,
      status: this.status,
      ownerContactId: input.ownerContactId,
      draftReport: this.draftReport,
      report: this.report === undefined ? undefined : { ...this.report },
      postMortem: this.postMortem === undefined ? undefined : { ...this.postMortem },
      actionItems: this.actionItems.map((item) => ({ ...item })),
      deadlines: { report: { ...this.deadlines.report }, postMortem: { ...this.deadlines.postMortem } },
      timeline: this.timeline.map((entry) => ({ ...entry })),
    };
  }

  /** Sets `metAt` only for a submission on or before the deadline, so a late submission leaves it unset. */
  private markMet(item: FollowUpItem, at: string): void {
    const deadline = this.deadlines[item];
    if (Date.parse(at) <= Date.parse(deadline.dueAt)) deadline.metAt = at;
  }

  private completeIfDone(): void {
    if (!this.isOpen || this.outstandingItems().length > 0) return;
    this.status = 'complete';
    this.record({ type: ENTRY_TYPE.finished, message: 'follow-up complete: every required document is in' });
  }
}

/**
 * Computes the deadlines from `resolvedAt` and the policy. Raises a
 * non-retryable failure for an unparsable time or duration, because the
 * workflow could never run with it.
 */
function parseSchedule(input: FollowUpInput): FollowUpSchedule {
  const resolvedAtMs = Date.parse(input.resolvedAt);
  if (Number.isNaN(resolvedAtMs)) {
    throw ApplicationFailure.create({
      type: INVALID_FOLLOW_UP_INPUT,
      nonRetryable: true,
      message: `resolvedAt is ${JSON.stringify(input.resolvedAt)}, expected an ISO 8601 time`,
    });
  }

  const { policy } = input;
  const toMs = (field: 'reportDue' | 'postMortemDue' | 'reminderBefore' | 'closeAfter'): number => {
    try {
      return durationToMs(policy[field]);
    } catch (error) {
      throw ApplicationFailure.create({
        type: INVALID_FOLLOW_UP_INPUT,
        nonRetryable: true,
        message: `policy.${field}: ${failureMessage(error)}`,
      });
    }
  };

  return {
    reportDueMs: resolvedAtMs + toMs('reportDue'),
    postMortemDueMs: resolvedAtMs + toMs('postMortemDue'),
    reminderBeforeMs: toMs('reminderBefore'),
    closeAtMs: resolvedAtMs + toMs('closeAfter'),
  };
}

function validateReportRequest(state: FollowUpState, request: SubmitReportRequest): void {
  requireOpen(state, 'submit the incident report');
  if (state.report !== undefined) {
    throw invalidTransition(state, 'submit the incident report', `it was already submitted by ${state.report.by} at ${state.report.at}`);
  }
  requireText('actor', request.actor, 'the identity of the engineer');
  requireText('report', request.report, 'the incident report as Markdown', MAX_REPORT_LENGTH);
}

function validatePostMortemRequest(state: FollowUpState, request: SubmitPostMortemRequest): void {
  requireOpen(state, 'submit the post-mortem');
  if (state.postMortem !== undefined) {
    throw invalidTransition(state, 'submit the post-mortem', `it was already linked by ${state.postMortem.by} at ${state.postMortem.at}`);
  }
  requireText('actor', request.actor, 'the identity of the engineer');
  requireText('link', request.link, 'an http or https URL', MAX_LINK_LENGTH);
  if (!isHttpUrl(request.link)) {
    throw invalidRequest('link', `link is ${JSON.stringify(request.link)}, expected an http or https URL`);
  }
}

function validateActionItemsRequest(state: FollowUpState, request: AddActionItemsRequest): void {
  requireOpen(state, 'add action items');
  requireText('actor', request.actor, 'the identity of the engineer');

  const { items } = request;
  if (!Array.isArray(items) || items.length === 0) {
    throw invalidRequest('items', 'items is empty, expected at least one action item');
  }
  const total = state.actionItems.length + items.length;
  if (total > MAX_ACTION_ITEMS) {
    throw invalidRequest(
      'items',
      `adding ${items.length} action items would make ${total}, expected at most ${MAX_ACTION_ITEMS} per follow-up`,
    );
  }

  for (const [index, item] of items.entries()) {
    requireText(`items[${index}].title`, item.title, 'a short title', MAX_ACTION_ITEM_TITLE_LENGTH);
    requireText(`items[${index}].owner`, item.owner, 'a contact ID or engineer identity', MAX_ACTION_ITEM_OWNER_LENGTH);
    if (item.dueDate !== undefined && (typeof item.dueDate !== 'string' || Number.isNaN(Date.parse(item.dueDate)))) {
      throw invalidRequest(
        `items[${index}].dueDate`,
        `items[${index}].dueDate is ${JSON.stringify(item.dueDate)}, expected an ISO 8601 date such as 2025-06-30`,
      );
    }
  }
}

function requireOpen(state: FollowUpState, command: string): void {
  if (!state.isOpen) throw invalidTransition(state, command, `the follow-up is ${state.status}`);
}

/** Raises InvalidRequest unless `value` is a string with visible text of at most `maxLength` characters. */
function requireText(field: string, value: unknown, expected: string, maxLength?: number): void {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw invalidRequest(field, `${field} is ${JSON.stringify(value)}, expected ${expected}`);
  }
  if (maxLength !== undefined && value.length > maxLength) {
    throw invalidRequest(field, `${field} has ${value.length} characters, expected at most ${maxLength}`);
  }
}

function isHttpUrl(link: string): boolean {
  try {
    const url = new URL(link);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}

function invalidRequest(field: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: INVALID_REQUEST, nonRetryable: true, message, details: [{ field }] });
}

function invalidTransition(state: FollowUpState, command: string, reason: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: INVALID_TRANSITION,
    nonRetryable: true,
    message: `cannot ${command} for follow-up ${state.input.followUpId}: ${reason}`,
    details: [{ status: state.status }],
  });
}
