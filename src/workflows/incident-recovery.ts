import { ApplicationFailure, condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';

import type { Activities } from '../activities/index.js';
import { durationToMs } from '../shared/duration.js';
import {
  SELF_APPROVAL,
  UNKNOWN_RECOVERY_REQUEST,
  UNKNOWN_RECOVERY_STEP,
  type DecideRecoveryRequest,
  type RecoveryRecord,
  type RecoveryStepSpec,
  type RequestRecoveryRequest,
} from '../shared/recovery.js';
import { failureMessage, runCheck, sendPage } from './incident-activities.js';
import type { SideTasks } from './incident-escalation.js';
import { approveRecoveryUpdate, rejectRecoveryUpdate, requestRecoveryUpdate } from './incident-messages.js';
import type { IncidentState } from './incident-state.js';
import { invalidRequest, invalidTransition, requireActor, requireOpen, requireText } from './incident-validation.js';

// Restart and scale are one API call each and safe to repeat: the restart
// sends the same restartedAt on every attempt, and scale sets a count.
const kubernetesCalls = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '15s', maximumAttempts: 5 },
});

// Waiting for a rollout polls for up to kubernetes.rolloutTimeout (at most
// 30m, checked by the loader) and heartbeats after every poll.
const rolloutWaits = proxyActivities<Activities>({
  startToCloseTimeout: '35m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '5s', maximumAttempts: 3 },
});

// The flush resumes from its heartbeat details, so a retry never flushes
// twice. The warm-up wait inside it lasts at most 60 s.
const redisRecovery = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '2s', maximumAttempts: 3 },
});

// SINGLE_USER then MULTI_USER can run again after a fault in between.
const databaseReset = proxyActivities<Activities>({
  startToCloseTimeout: '3m',
  retry: { initialInterval: '5s', maximumAttempts: 3 },
});

// TODO(restore-progress): RESTORE does not heartbeat, so a lost worker is
// noticed only at this timeout; percent_complete in sys.dm_exec_requests
// could feed a heartbeat.
const databaseRestore = proxyActivities<Activities>({
  startToCloseTimeout: '2h',
  retry: { initialInterval: '30s', maximumAttempts: 2 },
});

/** Registers the recovery updates and resumes the waits a severity change carried over. */
export function wireRecovery(state: IncidentState, sideTasks: SideTasks, publish: () => void): void {
  setHandler(
    requestRecoveryUpdate,
    (request) => {
      const step = stepFor(state, request.stepId);
      const now = new Date().toISOString();
      const record: RecoveryRecord = {
        id: `r${state.recoveries.length + 1}`,
        stepId: step.id,
        title: step.title,
        action: step.action,
        risk: step.risk,
        ...(step.target === undefined ? {} : { target: step.target }),
        ...(request.replicas === undefined ? {} : { replicas: request.replicas }),
        reason: request.reason,
        requestedBy: request.actor,
        requestedAt: now,
        approvalRequired: step.approvalRequired,
        status: step.approvalRequired ? 'awaiting-approval' : 'running',
        ...(step.approvalRequired ? {} : { startedAt: now }),
        verification: [],
      };
      state.recoveries.push(record);
      state.progress += 1;
      const replicas = record.replicas === undefined ? '' : ` to ${record.replicas} replicas`;
      const waiting = step.approvalRequired ? `; ${step.risk} risk, awaits approval by another engineer` : '';
      state.record({
        type: 'recovery-requested',
        actor: request.actor,
        recoveryId: record.id,
        message: `${record.id} ${step.title}${replicas} requested: ${request.reason}${waiting}`,
      });
      sideTasks.push(followRecovery(state, sideTasks, record, publish));
      publish();
      return { ...record };
    },
    {
      validator: (request: RequestRecoveryRequest) => {
        requireActor(request.actor);
        requireText('reason', request.reason);
        requireOpen(state, 'request a recovery step on');
        const step = stepFor(state, request.stepId);
        if (step.action === 'scale') {
          const max = step.maxReplicas ?? 0;
          if (request.replicas === undefined) {
            throw invalidRequest(`body.replicas is missing; ${step.id} needs a whole number from 0 to ${max}`, 'body.replicas');
          }
          if (!Number.isInteger(request.replicas) || request.replicas < 0 || request.replicas > max) {
            throw invalidRequest(`body.replicas must be a whole number from 0 to ${max} for ${step.id}`, 'body.replicas');
          }
        } else if (request.replicas !== undefined) {
          throw invalidRequest(`body.replicas applies to scale steps only, and ${step.id} is a ${step.action}`, 'body.replicas');
        }
      },
    },
  );

  setHandler(
    approveRecoveryUpdate,
    (request) => {
      const record = recordFor(state, request.requestId);
      const now = new Date().toISOString();
      record.status = 'running';
      record.approvedBy = request.actor;
      record.approvedAt = now;
      record.startedAt = now;
      if (request.note !== undefined) record.decisionNote = request.note;
      state.progress += 1;
      const note = request.note === undefined ? '' : `: ${request.note}`;
      state.record({
        type: 'recovery-approved',
        actor: request.actor,
        recoveryId: record.id,
        message: `${record.id} ${record.title} approved (requested by ${record.requestedBy})${note}`,
      });
      publish();
      return { ...record };
    },
    {
      validator: (request: DecideRecoveryRequest) => {
        requireActor(request.actor);
        requireOpen(state, 'approve a recovery step on');
        const record = awaitingDecision(state, request.requestId);
        if (record.requestedBy === request.actor) {
          throw ApplicationFailure.create({
            type: SELF_APPROVAL,
            nonRetryable: true,
            message: `${request.actor} requested ${record.id} (${record.title}) and cannot approve it; another engineer must`,
            details: [{ requestId: record.id, requestedBy: record.requestedBy }],
          });
        }
      },
    },
  );

  setHandler(
    rejectRecoveryUpdate,
    (request) => {
      const record = recordFor(state, request.requestId);
      const now = new Date().toISOString();
      record.status = 'rejected';
      record.rejectedBy = request.actor;
      record.rejectedAt = now;
      record.finishedAt = now;
      if (request.note !== undefined) record.decisionNote = request.note;
      state.progress += 1;
      state.record({
        type: 'recovery-rejected',
        actor: request.actor,
        recoveryId: record.id,
        message:
          request.actor === record.requestedBy
            ? `${record.id} ${record.title} withdrawn by ${request.actor}: ${request.note ?? 'no reason given'}`
            : `${record.id} ${record.title} rejected by ${request.actor}: ${request.note ?? 'no reason given'}`,
      });
      publish();
      return { ...record };
    },
    {
      validator: (request: DecideRecoveryRequest) => {
        requireActor(request.actor);
        requireText('note', request.note);
        awaitingDecision(state, request.requestId);
      },
    },
  );

  // Requests still waiting when a severity change continued the incident
  // wait again here, with the time they have left.
  for (const record of state.recoveries) {
    if (record.status === 'awaiting-approval') sideTasks.push(followRecovery(state, sideTasks, record, publish));
  }
}

/** True while a step runs; resolution waits for it before the verification checks. */
export function recoveryInFlight(state: IncidentState): boolean {
  return state.recoveries.some((record) => record.status === 'running');
}

/**
 * Waits for the approval if the step needs one, escalates once when it does
 * not come in time, then runs the step and its verification checks. An
 * approval is never assumed: an unapproved step waits until the
 * incident is resolved, which cancels it.
 */
async function followRecovery(state: IncidentState, sideTasks: SideTasks, record: RecoveryRecord, publish: () => void): Promise<void> {
  const policy = state.input.policy.recovery;
  if (record.status === 'awaiting-approval' && policy !== undefined) {
    const decided = () => record.status !== 'awaiting-approval' || state.stopping;
    if (record.approvalEscalatedAt === undefined) {
      const dueAt = Date.parse(record.requestedAt) + durationToMs(policy.approvalTimeout);
      const inTime = await condition(decided, Math.max(dueAt - Date.now(), 1));
      if (!inTime) escalateApproval(state, sideTasks, record, policy.approvalTimeout, policy.approvalEscalation);
    }
    await condition(decided);
  }

  if (record.status === 'awaiting-approval') {
    // A severity change leaves the request waiting for the next run.
    if (state.resolutionRequested) cancel(state, record, 'the incident is being resolved');
    publish();
    return;
  }
  if (record.status !== 'running') return;

  // Steps of one incident run one at a time, in the order they were
  // approved, so two steps never act on the same system at once. A step
  // with none before it starts in the same activation, as before the queue.
  state.recoveryQueue.push(record.id);
  if (state.recoveryQueue[0] !== record.id) await condition(() => state.recoveryQueue[0] === record.id);
  try {
    await runStep(state, record);
  } finally {
    state.recoveryQueue.shift();
  }
  publish();
}

function escalateApproval(state: IncidentState, sideTasks: SideTasks, record: RecoveryRecord, timeout: string, contacts: string[]): void {
  record.approvalEscalatedAt = new Date().toISOString();
  const reason = `${record.title} (${record.id}) requested by ${record.requestedBy} has waited ${timeout} for approval`;
  state.record({ type: 'recovery-approval-overdue', recoveryId: record.id, flagged: true, message: `${reason}; paging ${contacts.join(', ')}` });
  for (const contactId of contacts) sideTasks.push(sendPage(state, contactId, `recovery-${record.id}-approval`, reason));
}

function cancel(state: IncidentState, record: RecoveryRecord, reason: string): void {
  record.status = 'cancelled';
  record.finishedAt = new Date().toISOString();
  state.record({ type: 'recovery-cancelled', recoveryId: record.id, message: `${record.id} ${record.title} cancelled: ${reason}` });
}

async function runStep(state: IncidentState, record: RecoveryRecord): Promise<void> {
  record.startedAt = new Date().toISOString();
  const approval = record.approvedBy === undefined ? 'no approval needed' : `approved by ${record.approvedBy}`;
  state.record({
    type: 'recovery-started',
    actor: record.approvedBy ?? record.requestedBy,
    recoveryId: record.id,
    message: `${record.id} ${record.title} started (requested by ${record.requestedBy}, ${approval})`,
  });

  let stepOk = true;
  try {
    record.outcome = await performStep(state, record);
  } catch (error) {
    stepOk = false;
    record.outcome = failureMessage(error);
  }

  // The checks run after a failed step too: they show where it left the service.
  const checks = state.input.policy.recovery?.steps.find((step) => step.id === record.stepId)?.verify ?? [];
  record.verification = await Promise.all(
    checks.map((check) => runCheck(state.input.incidentId, check, `verification of ${record.id}`)),
  );
  const failedChecks = record.verification.filter((result) => !result.ok);
  record.status = stepOk && failedChecks.length === 0 ? 'succeeded' : 'failed';
  record.finishedAt = new Date().toISOString();

  const verification =
    record.verification.length === 0
      ? 'no verification checks configured'
      : record.verification.map((result) => `${result.checkId} ${result.ok ? 'passed' : `failed (${result.error ?? 'no reason'})`}`).join(', ');
  state.record({
    type: record.status === 'succeeded' ? 'recovery-succeeded' : 'recovery-failed',
    recoveryId: record.id,
    flagged: record.status === 'failed',
    message:
      `${record.id} ${record.title} ${stepOk ? 'done' : 'failed'}: ${record.outcome}. Verification: ${verification}. ` +
      `Requested by ${record.requestedBy} at ${record.requestedAt}` +
      (record.approvedBy === undefined ? '' : `, approved by ${record.approvedBy} at ${record.approvedAt ?? ''}`) +
      `, ran ${record.startedAt ?? ''} to ${record.finishedAt}.`,
  });
}

/** Runs the step's activities and returns one line on what they did. */
async function performStep(state: IncidentState, record: RecoveryRecord): Promise<string> {
  const { incidentId } = state.input;
  const summary = { summary: `${record.id} ${record.title}` };
  switch (record.action) {
    case 'rolling-restart': {
      const service = requireTarget(record);
      // Decided once, in history, so every retry sends the same annotation.
      const restartedAt = new Date().toISOString();
      await kubernetesCalls.restartDeployment.executeWithOptions(summary, [{ incidentId, service, restartedAt }]);
      const rollout = await rolloutWaits.waitForRollout.executeWithOptions(summary, [{ incidentId, service }]);
      return `deployment ${rollout.deployment} restarted; rollout complete with ${rollout.availableReplicas} of ${rollout.replicas} replicas available`;
    }
    case 'scale': {
      const service = requireTarget(record);
      const replicas = record.replicas ?? 0;
      await kubernetesCalls.scaleDeployment.executeWithOptions(summary, [{ incidentId, service, replicas }]);
      const rollout = await rolloutWaits.waitForRollout.executeWithOptions(summary, [{ incidentId, service }]);
      return `deployment ${rollout.deployment} scaled to ${replicas}; ${rollout.availableReplicas} replicas available`;
    }
    case 'redis-flush': {
      // The warm-up idempotency key is per request, so a second flush in this run warms up again.
      const runId = `${workflowInfo().runId}-${record.id}`;
      const result = await redisRecovery.flushRedisAndWarmUp.executeWithOptions(summary, [{ incidentId, runId }]);
      return `Redis flushed (${result.keysBefore} keys before); ${result.keysAfterWarmUp} keys after the warm-up`;
    }
    case 'database-reset': {
      const result = await databaseReset.resetDatabaseSessions.executeWithOptions(summary, [{ incidentId }]);
      return `sessions of ${result.database} reset`;
    }
    case 'database-restore': {
      const result = await databaseRestore.restoreDatabase.executeWithOptions(summary, [{ incidentId }]);
      return `${result.database} restored from ${result.backupPath} in ${result.restoreMs} ms; DBCC CHECKDB passed`;
    }
  }
}

function requireTarget(record: RecoveryRecord): string {
  if (record.target === undefined) throw new Error(`${record.stepId} has no target deployment`);
  return record.target;
}

function stepFor(state: IncidentState, stepId: string): RecoveryStepSpec {
  const steps = state.input.policy.recovery?.steps ?? [];
  const step = steps.find((candidate) => candidate.id === stepId);
  if (step === undefined) {
    throw ApplicationFailure.create({
      type: UNKNOWN_RECOVERY_STEP,
      nonRetryable: true,
      message: `the recovery catalogue has no step ${stepId}`,
      details: [{ stepIds: steps.map((candidate) => candidate.id) }],
    });
  }
  return step;
}

function recordFor(state: IncidentState, requestId: string): RecoveryRecord {
  const record = state.recoveries.find((candidate) => candidate.id === requestId);
  if (record === undefined) {
    throw ApplicationFailure.create({
      type: UNKNOWN_RECOVERY_REQUEST,
      nonRetryable: true,
      message: `incident ${state.input.incidentId} has no recovery request ${requestId}`,
      details: [{ requestIds: state.recoveries.map((candidate) => candidate.id) }],
    });
  }
  return record;
}

function awaitingDecision(state: IncidentState, requestId: string): RecoveryRecord {
  const record = recordFor(state, requestId);
  if (record.status !== 'awaiting-approval') {
    throw invalidTransition(state, `recovery request ${record.id} is ${record.status}, not awaiting approval`, { requestStatus: record.status });
  }
  return record;
}
