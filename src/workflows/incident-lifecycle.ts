import {
  ApplicationFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  patched,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';

import { followUpIdFor, type FollowUpInput } from '../shared/follow-up.js';
import {
  RESOLUTION_TYPES,
  ROLES,
  UNKNOWN_TASK,
  WORKFLOW_TYPE_BY_SEVERITY,
  type AcknowledgeRequest,
  type AddNoteRequest,
  type AssignRoleRequest,
  type ChangeSeverityRequest,
  type CompleteTaskRequest,
  type EscalateRequest,
  type IncidentInput,
  type IncidentView,
  type ResolveRequest,
  type Severity,
} from '../shared/incident.js';
import { mirrorToPagerDuty, runChecks } from './incident-activities.js';
import { informBusinessAtDeclaration, watchCooldown, watchDeadlines } from './incident-clock.js';
import { escalateByHand, escalateUntilAcknowledged, watchAcknowledgement, type SideTasks } from './incident-escalation.js';
import {
  acknowledgeUpdate,
  addNoteUpdate,
  alertReceivedSignal,
  assignRoleUpdate,
  changeSeverityUpdate,
  completeTaskUpdate,
  escalateUpdate,
  maintenanceEndedSignal,
  resolveUpdate,
  viewQuery,
} from './incident-messages.js';
import { announceInChat, announceResolutionInChat, trackChatStatus } from './incident-chat.js';
import { runTaskActions } from './incident-investigation.js';
import { announceResolution, trackPublicStatus, wirePublicStatus } from './incident-public-status.js';
import { recoveryInFlight, wireRecovery } from './incident-recovery.js';
import { IncidentState } from './incident-state.js';
import { invalidRequest, invalidTransition, requireActor, requireOpen, requireText } from './incident-validation.js';
import {
  IncidentAcknowledged,
  IncidentService,
  IncidentSeverity,
  IncidentStage,
  IncidentStatus,
} from './search-attributes.js';

/**
 * Runs one incident from declaration to resolution, or until a severity
 * change continues it as another severity's workflow. Each severity's
 * workflow type calls this; the SLA stages, tasks, escalation ladder and
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
  const sideTasks: SideTasks = [];
  // Runs recorded before chat existed post nothing to chat; the patch keeps
  // them replaying as they were recorded.
  if (input.carried === undefined && patched('chat-posts')) announceInChat(state, sideTasks);
  const publish = () => {
    publishProgress(state);
    // Runs recorded before public updates existed publish none; the patch
    // keeps them replaying as they were recorded.
    if (patched('public-status-updates')) trackPublicStatus(state, sideTasks);
    trackChatStatus(state, sideTasks);
  };
  wireHandlers(state, sideTasks, publish);
  wireRecovery(state, sideTasks, publish);
  wirePublicStatus(state, sideTasks, publish);
  publish();

  // Paging starts first and is not awaited, so the checks never delay a page.
  const loops = [
    escalateUntilAcknowledged(state, sideTasks),
    input.carried === undefined
      ? runChecks(state, 'initial').then(() => {
          state.finishInitialChecks();
          // Publishing here shows the stage met by the checks at once; the
          // patch keeps runs recorded without this upsert replaying.
          if (patched('publish-after-initial-checks')) publish();
        })
      : Promise.resolve(),
    input.carried === undefined ? runTaskActions(state, publish) : Promise.resolve(),
    watchDeadlines(state, sideTasks, publish),
    watchAcknowledgement(state),
    watchCooldown(state, sideTasks, publish),
  ];
  // A run continued from another severity informs this severity's business
  // contacts too, so an upgrade to P0 reaches them. The patch keeps runs
  // continued before this rule replaying as they were recorded.
  if (input.carried === undefined || patched('inform-business-after-severity-change')) {
    informBusinessAtDeclaration(state, sideTasks);
  }

  await condition(() => state.stopping);
  const change = state.pendingSeverityChange;
  if (change !== undefined && !state.resolutionRequested) {
    await Promise.all(loops);
    await Promise.all(sideTasks);
    await condition(allHandlersFinished);
    const continueAs = makeContinueAsNewFunc<(next: IncidentInput) => Promise<IncidentView>>({
      workflowType: WORKFLOW_TYPE_BY_SEVERITY[change.severity],
    });
    // A maintenance window ended early stays ended in the next run.
    const { maintenance: _declaredHold, ...rest } = input;
    const next: IncidentInput = { ...rest, severity: change.severity, policy: change.policy, carried: state.carry() };
    if (state.maintenance !== undefined) next.maintenance = state.maintenance;
    return continueAs(next);
  }

  // A recovery step under way finishes first, so the verification checks
  // see the service after it. Awaited only then: a condition that is already
  // true still defers the checks to a later activation, which recorded
  // histories did not do.
  if (recoveryInFlight(state)) await condition(() => !recoveryInFlight(state));
  await runChecks(state, 'verification');
  await startFollowUp(state);
  // Announced before the run is marked resolved, so the run completes right
  // after the resolve command returns and a re-fired alert then opens a new
  // incident instead of landing on this run.
  if (patched('public-status-updates')) {
    const announcements: SideTasks = [];
    announceResolution(state, announcements);
    mirrorToPagerDuty(state, announcements, 'resolve');
    announceResolutionInChat(state, announcements);
    await Promise.all(announcements);
  }
  state.finishResolution();
  publish();

  await Promise.all(loops);
  await Promise.all(sideTasks);
  await condition(allHandlersFinished);
  return state.view();
}

function wireHandlers(state: IncidentState, sideTasks: SideTasks, publish: () => void): void {
  setHandler(viewQuery, () => state.view());

  setHandler(alertReceivedSignal, (occurrence) => {
    state.recordAlert(occurrence);
    publish();
  });

  setHandler(maintenanceEndedSignal, ({ windowId, actor }) => {
    if (state.maintenance?.windowId !== windowId) return;
    state.endMaintenance(`ended early by ${actor}`);
    publish();
  });

  setHandler(
    acknowledgeUpdate,
    (request) => {
      state.acknowledge(request.actor, request.note);
      mirrorToPagerDuty(state, sideTasks, 'acknowledge');
      publish();
      return state.view();
    },
    {
      validator: (request: AcknowledgeRequest) => {
        requireActor(request.actor);
        requireOpen(state, 'acknowledge');
        if (state.acknowledged) throw invalidTransition(state, `it is already acknowledged by ${state.acknowledgedBy ?? 'someone'}`);
      },
    },
  );

  setHandler(
    resolveUpdate,
    async (request) => {
      state.beginResolution(request.actor, request.summary, request.resolutionType);
      publish();
      await condition(() => state.isResolved);
      return state.view();
    },
    {
      validator: (request: ResolveRequest) => {
        requireActor(request.actor);
        requireText('summary', request.summary);
        if (!(RESOLUTION_TYPES as readonly string[]).includes(request.resolutionType)) {
          throw invalidRequest(`resolutionType is ${JSON.stringify(request.resolutionType)}, expected one of ${RESOLUTION_TYPES.join(', ')}`);
        }
        requireOpen(state, 'resolve');
      },
    },
  );

  setHandler(
    escalateUpdate,
    (request) => {
      escalateByHand(state, sideTasks, request);
      publish();
      return state.view();
    },
    {
      validator: (request: EscalateRequest) => {
        requireActor(request.actor);
        requireText('reason', request.reason);
        requireOpen(state, 'escalate');
      },
    },
  );

  setHandler(
    changeSeverityUpdate,
    (request) => {
      state.severityHistory.push({
        from: state.input.severity,
        to: request.severity,
        at: new Date().toISOString(),
        by: request.actor,
        reason: request.reason,
      });
      state.record({
        type: 'severity-changed',
        actor: request.actor,
        message: `severity ${state.input.severity} -> ${request.severity}: ${request.reason}`,
      });
      state.pendingSeverityChange = request;
      return { ...state.view(), severity: request.severity };
    },
    {
      validator: (request: ChangeSeverityRequest) => {
        requireActor(request.actor);
        requireText('reason', request.reason);
        requireOpen(state, 'change the severity of');
        if (request.severity === state.input.severity) throw invalidTransition(state, `its severity is already ${request.severity}`);
        if (request.policy?.severity !== request.severity) {
          throw invalidRequest(`policy is for ${String(request.policy?.severity)}, expected the policy of ${request.severity}`);
        }
      },
    },
  );

  setHandler(
    addNoteUpdate,
    (request) => {
      state.addNote(request.actor, request.text);
      publish();
      return state.view();
    },
    {
      validator: (request: AddNoteRequest) => {
        requireActor(request.actor);
        requireText('text', request.text);
        if (state.isResolved) throw invalidTransition(state, 'it is resolved');
      },
    },
  );

  setHandler(
    assignRoleUpdate,
    (request) => {
      state.assignRole(request.actor, request.role, request.contactId);
      publish();
      return state.view();
    },
    {
      validator: (request: AssignRoleRequest) => {
        requireActor(request.actor);
        requireText('contactId', request.contactId);
        if (!ROLES.includes(request.role)) throw invalidRequest(`role is ${JSON.stringify(request.role)}, expected one of ${ROLES.join(', ')}`);
        requireOpen(state, 'assign a role on');
      },
    },
  );

  setHandler(
    completeTaskUpdate,
    (request) => {
      state.completeTask(request.taskId, request.actor, request.note);
      publish();
      return state.view();
    },
    {
      validator: (request: CompleteTaskRequest) => {
        requireActor(request.actor);
        requireOpen(state, 'complete a task of');
        const task = state.task(request.taskId);
        if (task === undefined) {
          throw ApplicationFailure.create({
            type: UNKNOWN_TASK,
            nonRetryable: true,
            message: `incident ${state.input.incidentId} has no task ${request.taskId}`,
            details: [{ taskIds: state.tasks.map((candidate) => candidate.id) }],
          });
        }
        if (task.kind === 'automated') throw invalidTransition(state, `task ${task.id} is completed by the workflow`);
        if (task.status !== 'open') throw invalidTransition(state, `task ${task.id} is already ${task.status}`, { taskStatus: task.status });
      },
    },
  );
}

/** Starts the post-incident follow-up as its own workflow, which outlives this one. */
async function startFollowUp(state: IncidentState): Promise<void> {
  const { input } = state;
  const runId = workflowInfo().runId;
  const followUpId = followUpIdFor(input.incidentId, runId);
  const firstLevelContact = input.policy.escalation.levels[0]?.targets.find((target) => !target.startsWith('role:'));
  const followUpInput: FollowUpInput = {
    followUpId,
    incidentId: input.incidentId,
    incidentRunId: runId,
    severity: input.severity,
    service: input.service,
    summary: input.summary,
    declaredAt: input.declaredAt,
    resolvedAt: new Date().toISOString(),
    resolution: {
      by: state.resolvedBy ?? 'unknown',
      summary: state.resolutionSummary ?? '',
      type: state.resolutionType ?? 'other',
    },
    ownerContactId: state.roles['incident-commander'] ?? firstLevelContact ?? 'primary-oncall',
    timeline: state.view().timeline,
    policy: input.policy.followUp,
    // The incident publishes its own resolution when it records public updates.
    ...(state.publicUpdates.length > 0 ? { resolutionPublished: true } : {}),
  };

  await startChild('postIncidentFollowUp', {
    workflowId: followUpId,
    args: [followUpInput],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    staticSummary: `Follow-up of ${input.severity} ${input.service}: ${input.summary}`,
  });
  state.followUpId = followUpId;
  state.record({
    type: 'follow-up-started',
    message: `follow-up ${followUpId} started: report due in ${input.policy.followUp.reportDue}`,
  });
}

function publishProgress(state: IncidentState): void {
  state.trackStages();
  const stage = state.currentStage;
  upsertSearchAttributes([
    { key: IncidentSeverity, value: state.input.severity },
    { key: IncidentStatus, value: state.status },
    { key: IncidentService, value: state.input.service },
    { key: IncidentStage, value: stage },
    { key: IncidentAcknowledged, value: state.acknowledged },
  ]);

  const deadline = state.deadlines.find((candidate) => candidate.stageId === stage);
  const due = deadline === undefined ? '' : `, due ${deadline.dueAt}`;
  const next = state.nextEscalationAt === undefined ? '' : ` Next escalation ${state.nextEscalationAt}.`;
  setCurrentDetails(
    `**${state.input.severity} ${state.status}**, stage ${stage}${due}.${next} Alert occurrences: ${state.alertOccurrences}, flaps: ${state.flaps}.`,
  );
}
