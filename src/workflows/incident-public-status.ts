import { log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';

import type { Activities } from '../activities/index.js';
import {
  DEFAULT_PUBLIC_MESSAGE,
  PUBLIC_STATUSES,
  PUBLIC_STATUS_OF,
  type PostStatusUpdateRequest,
  type PublicStatus,
  type PublicStatusUpdate,
} from '../shared/incident.js';
import { failureMessage } from './incident-activities.js';
import { postStatusUpdateToChat } from './incident-chat.js';
import type { SideTasks } from './incident-escalation.js';
import { postStatusUpdate } from './incident-messages.js';
import type { IncidentState } from './incident-state.js';
import { invalidRequest, invalidTransition, requireActor, requireText } from './incident-validation.js';

// A status update is retried with backoff for 30 minutes, like a page; a
// 4xx from the webhook or Statuspage is a non-retryable failure.
const statusActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '30m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m' },
});

const MAX_PUBLIC_TITLE = 255;

/**
 * Publishes a public update when the incident's status maps to a public
 * status other than the last one the workflow published: investigating at
 * declaration, monitoring in the cool-down, resolved at the end.
 */
export function trackPublicStatus(state: IncidentState, sideTasks: SideTasks): void {
  // Planned work held by a maintenance window is not announced as an outage.
  if (state.maintenance !== undefined && state.publicUpdates.length === 0) return;
  const expected = PUBLIC_STATUS_OF[state.status];
  // Compared with the workflow's own last update, so an engineer's update
  // (which may state "identified" while the incident is open) is not undone.
  const lastOwn = state.publicUpdates.filter((update) => update.by === undefined).at(-1);
  if (expected === undefined || lastOwn?.status === expected) return;
  addPublicUpdate(state, sideTasks, { at: new Date().toISOString(), status: expected, message: DEFAULT_PUBLIC_MESSAGE[expected] });
}

/** Publishes the `resolved` update while the incident resolves, before its run is marked resolved. */
export function announceResolution(state: IncidentState, sideTasks: SideTasks): void {
  // An incident a maintenance window kept off the page has nothing to resolve there.
  if (state.input.maintenance !== undefined && state.publicUpdates.length === 0) return;
  addPublicUpdate(state, sideTasks, { at: new Date().toISOString(), status: 'resolved', message: DEFAULT_PUBLIC_MESSAGE.resolved });
}

/** Registers the command with which an engineer writes a public update. */
export function wirePublicStatus(state: IncidentState, sideTasks: SideTasks, publish: () => void): void {
  setHandler(
    postStatusUpdate,
    (request) => {
      if (request.title !== undefined) state.publicTitle = request.title;
      const status = request.status ?? state.publicUpdates.at(-1)?.status ?? 'investigating';
      addPublicUpdate(state, sideTasks, { at: new Date().toISOString(), status, message: request.message, by: request.actor });
      state.progress += 1;
      if (state.task('update-status-page')?.status === 'open') state.completeTask('update-status-page', request.actor, 'public update posted');
      publish();
      return state.view();
    },
    {
      validator: (request: PostStatusUpdateRequest) => {
        requireActor(request.actor);
        requireText('message', request.message);
        if (request.status !== undefined && !(PUBLIC_STATUSES as readonly string[]).includes(request.status)) {
          throw invalidRequest(`body.status is ${JSON.stringify(request.status)}, expected one of ${PUBLIC_STATUSES.join(', ')}`, 'body.status');
        }
        if (request.status === 'resolved' && !state.resolutionRequested) {
          throw invalidTransition(state, 'the public status becomes resolved when the incident is resolved; use POST /incidents/:id/resolve');
        }
        if (request.title !== undefined && (request.title.trim() === '' || request.title.length > MAX_PUBLIC_TITLE)) {
          throw invalidRequest(`body.title must be non-blank text of at most ${MAX_PUBLIC_TITLE} characters`, 'body.title');
        }
      },
    },
  );
}

/**
 * Records the update and publishes it after the ones before it, so the
 * first one creates the Statuspage incident that later ones update.
 */
function addPublicUpdate(state: IncidentState, sideTasks: SideTasks, update: PublicStatusUpdate): void {
  state.publicUpdates.push(update);
  const step = `status-${state.publicUpdates.length}`;
  state.publicStatusChain = state.publicStatusChain.then(() => publishUpdate(state, step, update.status, update.message));
  sideTasks.push(state.publicStatusChain);
  postStatusUpdateToChat(state, sideTasks, step, `status page: ${update.status}: ${update.message}`);
}

async function publishUpdate(state: IncidentState, step: string, status: PublicStatus, message: string): Promise<void> {
  const { input } = state;
  try {
    const result = await statusActivities.publishStatusUpdate.executeWithOptions({ summary: `status page: ${status}` }, [
      {
        incidentId: input.incidentId,
        runId: workflowInfo().runId,
        step,
        service: input.service,
        severity: input.severity,
        status,
        message,
        ...(state.publicTitle === undefined ? {} : { title: state.publicTitle }),
        ...(state.statuspageIncidentId === undefined ? {} : { statuspageIncidentId: state.statuspageIncidentId }),
      },
    ]);
    if (result.statuspageIncidentId !== undefined) state.statuspageIncidentId = result.statuspageIncidentId;
    state.record({ type: 'status-update', message: `status page: ${status}: ${message}` });
  } catch (error) {
    const cause = failureMessage(error);
    log.warn('status update failed', { incidentId: input.incidentId, step, error: cause });
    state.record({ type: 'status-update', flagged: true, message: `status page update (${status}) failed: ${cause}` });
  }
}
