import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';

import type { Activities } from '../activities/index.js';
import type { ChatRoom, IncidentStatus, PageRequest } from '../shared/incident.js';
import { failureMessage } from './incident-activities.js';
import type { SideTasks } from './incident-escalation.js';
import type { IncidentState } from './incident-state.js';

// Chat posts are retried with backoff for 30 minutes, like pages; a 4xx
// from the chat provider is a non-retryable failure and is flagged.
const chatActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '30m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m' },
});

const STATUS_TEXT: Record<string, string> = {
  open: 'open again: nobody holds it',
  acknowledged: 'acknowledged',
  'resolved-pending': 'alerts resolved; waiting out the cool-down',
  resolved: 'resolved',
};

/**
 * Announces a new incident in the runbook's rooms: `#incident-response`
 * always, `#engineering` and an incident channel of its own when the
 * severity's policy enables them.
 */
export function announceInChat(state: IncidentState, sideTasks: SideTasks): void {
  const { chat } = state.input.policy;
  state.chatStatus = state.status;
  post(state, sideTasks, 'incident-response', 'chat-declared', `${state.input.severity} incident declared`);
  if (chat?.engineering === true) post(state, sideTasks, 'engineering', 'chat-engineering', `${state.input.severity} incident declared`);
  if (chat?.incidentChannel !== true) return;

  const responders = [...new Set(state.input.policy.escalation.levels.flatMap((level) => level.targets))].filter(
    (target) => !target.startsWith('role:'),
  );
  state.chatChain = state.chatChain.then(async () => {
    try {
      const opened = await chatActivities.openIncidentChannel.executeWithOptions({ summary: 'open the incident channel' }, [
        { ...requestFor(state, 'chat-channel', 'incident channel opened'), declaredAt: state.input.declaredAt, responders },
      ]);
      if (opened.channelId !== undefined) state.chatChannelId = opened.channelId;
      state.record({ type: 'chat-message', message: `incident channel ${opened.name ?? '(none)'} opened, ${opened.invited ?? 0} responders invited` });
    } catch (error) {
      recordFailure(state, 'open the incident channel', error);
    }
  });
  sideTasks.push(state.chatChain);
}

/** Posts a status change to `#incident-response` and the incident channel. */
export function trackChatStatus(state: IncidentState, sideTasks: SideTasks): void {
  if (state.chatStatus === undefined || state.status === 'resolving' || state.status === state.chatStatus) return;
  postStatus(state, sideTasks, state.status);
}

/** Posts the resolution while the incident resolves, before its run is marked resolved. */
export function announceResolutionInChat(state: IncidentState, sideTasks: SideTasks): void {
  if (state.chatStatus === undefined || state.chatStatus === 'resolved') return;
  postStatus(state, sideTasks, 'resolved');
}

function postStatus(state: IncidentState, sideTasks: SideTasks, status: IncidentStatus): void {
  state.chatStatus = status;
  state.stepCounters.chat += 1;
  const text = statusText(state, status);
  post(state, sideTasks, 'incident-response', `chat-status-${state.stepCounters.chat}`, text);
  post(state, sideTasks, 'incident-channel', `chat-channel-status-${state.stepCounters.chat}`, text);
}

/** Copies a public status update to `#status-updates`. */
export function postStatusUpdateToChat(state: IncidentState, sideTasks: SideTasks, step: string, text: string): void {
  if (state.chatStatus === undefined) return;
  post(state, sideTasks, 'status-updates', `chat-${step}`, text);
}

/** Posts after the posts before it, so a channel reads in order and exists before its first post. */
function post(state: IncidentState, sideTasks: SideTasks, room: ChatRoom, step: string, reason: string): void {
  state.chatChain = state.chatChain.then(async () => {
    if (room === 'incident-channel' && state.chatChannelId === undefined) return;
    try {
      await chatActivities.postChatMessage.executeWithOptions({ summary: `chat ${room}: ${reason}` }, [
        { ...requestFor(state, step, reason), room, ...(state.chatChannelId === undefined ? {} : { channelId: state.chatChannelId }) },
      ]);
    } catch (error) {
      recordFailure(state, `post to ${room}`, error);
    }
  });
  sideTasks.push(state.chatChain);
}

/** Says what changed and who changed it, such as "resolved by alice (rollback): rolled back". */
function statusText(state: IncidentState, status: IncidentStatus): string {
  if (status === 'acknowledged' && state.acknowledgedBy !== undefined) return `incident acknowledged by ${state.acknowledgedBy}`;
  if (status === 'resolved' && state.resolvedBy !== undefined) {
    return `incident resolved by ${state.resolvedBy} (${state.resolutionType ?? 'other'}): ${state.resolutionSummary ?? ''}`;
  }
  return `incident ${STATUS_TEXT[status] ?? status}`;
}

function requestFor(state: IncidentState, step: string, reason: string): PageRequest {
  const { input } = state;
  const deadline = state.deadlines.find((candidate) => candidate.stageId === state.currentStage);
  return {
    incidentId: input.incidentId,
    runId: workflowInfo().runId,
    contactId: 'chat',
    step,
    severity: input.severity,
    service: input.service,
    summary: input.summary,
    stage: state.currentStage,
    ...(deadline === undefined || deadline.metAt !== undefined ? {} : { stageDueAt: deadline.dueAt }),
    reason,
  };
}

function recordFailure(state: IncidentState, action: string, error: unknown): void {
  const cause = failureMessage(error);
  log.warn('chat failed', { incidentId: state.input.incidentId, action, error: cause });
  state.record({ type: 'chat-message', flagged: true, message: `chat: could not ${action}: ${cause}` });
}
