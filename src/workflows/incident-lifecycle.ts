import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';

import type { Activities } from '../activities/index.js';
import { durationToMs } from '../shared/duration.js';
import {
  INVALID_TRANSITION,
  type AcknowledgeRequest,
  type CheckRef,
  type CheckResult,
  type IncidentInput,
  type IncidentView,
  type ResolveRequest,
  type Severity,
} from '../shared/incident.js';
import { acknowledgeUpdate, alertReceivedSignal, resolveUpdate, viewQuery } from './incident-messages.js';
import { IncidentState } from './incident-state.js';
import { IncidentService, IncidentSeverity, IncidentStage, IncidentStatus } from './search-attributes.js';

// A check's failure is a result, not an error, so a check is retried only
// for a worker or network fault around it.
const checkActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 2, initialInterval: '1s' },
});

// A page is retried with backoff for 30 minutes; a receiver's 4xx other than
// 408 and 429 is a non-retryable failure raised by the activity.
const pageActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '30m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/**
 * Runs one incident from declaration to resolution. Each severity's workflow
 * type calls this with its severity; the SLA stages, escalation chain and
 * checks come from the policy in the input.
 */
export async function runIncident(severity: Severity, input: IncidentInput): Promise<IncidentView> {
  if (input.severity !== severity || input.policy.severity !== severity) {
    throw ApplicationFailure.create({
      type: 'InvalidIncidentInput',
      nonRetryable: true,
      message: `workflow for ${severity} started with severity ${input.severity} and policy ${input.policy.severity}`,
    });
  }

  const state = new IncidentState(input);
  const sideTasks: Array<Promise<void>> = [];

  setHandler(viewQuery, () => state.view());

  setHandler(alertReceivedSignal, (occurrence) => {
    state.recordAlert(occurrence);
  });

  setHandler(
    acknowledgeUpdate,
    (request) => {
      state.acknowledge(request.actor, request.note);
      publishProgress(state);
      return state.view();
    },
    {
      validator: (request: AcknowledgeRequest) => {
        requireActor(request.actor);
        if (state.status !== 'open') throw invalidTransition('acknowledge', state);
      },
    },
  );

  setHandler(
    resolveUpdate,
    async (request) => {
      state.beginResolution(request.actor, request.summary);
      publishProgress(state);
      await condition(() => state.isResolved);
      return state.view();
    },
    {
      validator: (request: ResolveRequest) => {
        requireActor(request.actor);
        if (state.resolutionRequested) throw invalidTransition('resolve', state);
      },
    },
  );

  publishProgress(state);

  // Paging starts first and is not awaited, so the checks never delay a page.
  const escalation = escalateUntilAcknowledged(state, sideTasks);
  const initialChecks = runChecks(state, 'initial').then(() => {
    state.initialChecksDone = true;
  });
  const deadlines = watchDeadlines(state, sideTasks);

  await condition(() => state.resolutionRequested);
  await runChecks(state, 'verification');
  state.finishResolution();
  publishProgress(state);

  await Promise.all([escalation, initialChecks, deadlines]);
  await Promise.all(sideTasks);
  await condition(allHandlersFinished);
  return state.view();
}

/** Pages each escalation level in turn until someone acknowledges. */
async function escalateUntilAcknowledged(state: IncidentState, sideTasks: Array<Promise<void>>): Promise<void> {
  const { policy } = state.input;
  if (!policy.page) {
    state.record({ type: 'escalated', message: `${policy.severity} policy sends no page at declaration` });
    return;
  }

  const timeoutMs = durationToMs(policy.acknowledgeTimeout);
  for (const [level, contactId] of policy.escalation.entries()) {
    const reason = level === 0 ? 'incident declared' : `not acknowledged within ${policy.acknowledgeTimeout}`;
    sideTasks.push(sendPage(state, contactId, `escalation-${level}`, reason));

    const nextContactId = policy.escalation[level + 1];
    if (nextContactId === undefined) break;

    state.nextEscalationAt = new Date(Date.now() + timeoutMs).toISOString();
    const acknowledged = await condition(() => state.isAcknowledged, timeoutMs, {
      summary: `wait ${policy.acknowledgeTimeout} for acknowledgement before paging ${nextContactId}`,
    });
    if (acknowledged) return;

    state.record({
      type: 'escalated',
      contactId: nextContactId,
      message: `not acknowledged within ${policy.acknowledgeTimeout}; escalating to ${nextContactId}`,
    });
  }
  // TODO(escalation-repeats): after the last level nobody is paged again, even
  // if nobody acknowledges; repeats and re-paging belong to escalation policies.
  state.nextEscalationAt = undefined;
}

/** Waits for each SLA stage in order; a missed deadline is recorded and escalated. */
async function watchDeadlines(state: IncidentState, sideTasks: Array<Promise<void>>): Promise<void> {
  const { policy } = state.input;
  for (const [index, stage] of policy.stages.entries()) {
    const deadline = state.deadlines[index];
    if (deadline === undefined) continue;

    const remainingMs = Date.parse(deadline.dueAt) - Date.now();
    const met =
      state.isStageMet(stage) ||
      (remainingMs > 0 &&
        (await condition(() => state.isStageMet(stage), remainingMs, {
          summary: `${stage.title} deadline (${stage.due} from declaration)`,
        })));

    if (met) {
      state.markStageMet(stage.id);
    } else {
      state.markStageBreached(stage.id);
      for (const contactId of policy.breachEscalation) {
        state.record({ type: 'escalated', contactId, message: `${stage.title} deadline missed; paging ${contactId}` });
        sideTasks.push(sendPage(state, contactId, `breach-${stage.id}`, `${stage.title} deadline missed`));
      }
    }
    publishProgress(state);
  }
}

async function sendPage(state: IncidentState, contactId: string, step: string, reason: string): Promise<void> {
  const { input } = state;
  const page = state.startPage(contactId, step);
  try {
    const result = await pageActivities.pageContact.executeWithOptions({ summary: `page ${contactId}: ${reason}` }, [
      {
        incidentId: input.incidentId,
        firstRunId: workflowInfo().firstExecutionRunId,
        contactId,
        step,
        severity: input.severity,
        service: input.service,
        summary: input.summary,
        stage: state.currentStage,
        reason,
      },
    ]);
    page.state = 'delivered';
    page.deliveredAt = new Date().toISOString();
    const note = result.duplicate ? ' (receiver had it already)' : '';
    state.record({ type: 'page-sent', contactId, message: `paged ${contactId}: ${reason}${note}` });
  } catch (error) {
    page.state = 'failed';
    const cause = failureMessage(error);
    log.warn('page failed', { incidentId: input.incidentId, contactId, step, error: cause });
    state.record({ type: 'page-failed', contactId, flagged: true, message: `page to ${contactId} failed: ${cause}` });
  }
}

/** Runs every configured check at once and records each result as it arrives. */
async function runChecks(state: IncidentState, phase: 'initial' | 'verification'): Promise<void> {
  const { checks } = state.input.policy;
  await Promise.all(
    checks.map(async (check) => {
      const result = await runCheck(state.input.incidentId, check, phase);
      state.addCheckResult(phase, result);
    }),
  );
}

async function runCheck(incidentId: string, check: CheckRef, phase: string): Promise<CheckResult> {
  const options = { summary: `${phase} check ${check.id}` };
  const request = { incidentId, checkId: check.id };
  try {
    if (check.kind === 'redis') return await checkActivities.pingRedis.executeWithOptions(options, [request]);
    return await checkActivities.probeHttp.executeWithOptions(options, [request]);
  } catch (error) {
    // The check could not run at all (a worker fault or a configuration
    // error). Record that as a failed result rather than lose the step.
    const message = failureMessage(error);
    return {
      checkId: check.id,
      kind: check.kind,
      ok: false,
      latencyMs: 0,
      error: `check did not run: ${message}`,
      checkedAt: new Date().toISOString(),
    };
  }
}

function publishProgress(state: IncidentState): void {
  const stage = state.currentStage;
  upsertSearchAttributes([
    { key: IncidentSeverity, value: state.input.severity },
    { key: IncidentStatus, value: state.status },
    { key: IncidentService, value: state.input.service },
    { key: IncidentStage, value: stage },
  ]);

  const deadline = state.deadlines.find((candidate) => candidate.stageId === stage);
  const due = deadline === undefined ? '' : `, due ${deadline.dueAt}`;
  setCurrentDetails(`**${state.status}**, stage ${stage}${due}. Alert occurrences: ${state.alertOccurrences}.`);
}

/**
 * Returns the message of the activity's own failure. Temporal wraps it in an
 * ActivityFailure whose message only says that the activity failed.
 */
function failureMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.cause instanceof Error) return error.cause.message;
  return error.message;
}

function requireActor(actor: unknown): void {
  if (typeof actor !== 'string' || actor.length === 0) {
    throw ApplicationFailure.create({
      type: 'InvalidRequest',
      nonRetryable: true,
      message: `actor is ${JSON.stringify(actor)}, expected the identity of the engineer`,
    });
  }
}

function invalidTransition(command: string, state: IncidentState): ApplicationFailure {
  return ApplicationFailure.create({
    type: INVALID_TRANSITION,
    nonRetryable: true,
    message: `cannot ${command} incident ${state.input.incidentId}: its status is ${state.status}`,
    details: [{ status: state.status, stage: state.currentStage }],
  });
}
