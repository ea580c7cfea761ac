import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

import type {
  AcknowledgeRequest,
  AddNoteRequest,
  AlertOccurrence,
  AssignRoleRequest,
  ChangeSeverityRequest,
  CompleteTaskRequest,
  EscalateRequest,
  IncidentView,
  MaintenanceEnded,
  PostStatusUpdateRequest,
  ResolveRequest,
} from '../shared/incident.js';
import type { DecideRecoveryRequest, RecoveryRecord, RequestRecoveryRequest } from '../shared/recovery.js';

/** An alert notification for this incident. A signal, so it is accepted even while no worker runs. */
export const alertReceivedSignal = defineSignal<[AlertOccurrence]>('alertReceived');

/**
 * A maintenance window ended before its planned end. An incident held by
 * that window pages again; any other ignores it.
 */
export const maintenanceEndedSignal = defineSignal<[MaintenanceEnded]>('maintenanceEnded');

/** An engineer takes the incident; escalation stops. Rejected once someone holds it or resolution began. */
export const acknowledgeUpdate = defineUpdate<IncidentView, [AcknowledgeRequest]>('acknowledge');

/**
 * An engineer resolves the incident. Completes once the verification checks
 * have run and returns the final view. Rejected once resolution has begun.
 */
export const resolveUpdate = defineUpdate<IncidentView, [ResolveRequest]>('resolve');

/** Pages the next escalation level, or a named contact, at once. */
export const escalateUpdate = defineUpdate<IncidentView, [EscalateRequest]>('escalate');

/**
 * Moves the incident to another severity. The run then continues as new into
 * that severity's workflow type under the same workflow ID.
 */
export const changeSeverityUpdate = defineUpdate<IncidentView, [ChangeSeverityRequest]>('changeSeverity');

export const addNoteUpdate = defineUpdate<IncidentView, [AddNoteRequest]>('addNote');

export const assignRoleUpdate = defineUpdate<IncidentView, [AssignRoleRequest]>('assignRole');

/** Completes a manual runbook task; automated tasks are completed by the workflow. */
export const completeTaskUpdate = defineUpdate<IncidentView, [CompleteTaskRequest]>('completeTask');

/**
 * Requests a step of the recovery catalogue. A step that needs no approval
 * starts at once; the others wait for `approveRecovery`. Returns the request
 * as recorded; the step itself runs after the update completes.
 */
export const requestRecoveryUpdate = defineUpdate<RecoveryRecord, [RequestRecoveryRequest]>('requestRecovery');

/** A second engineer approves a waiting step, which then runs. Rejected for the requester. */
export const approveRecoveryUpdate = defineUpdate<RecoveryRecord, [DecideRecoveryRequest]>('approveRecovery');

/** Any engineer, the requester included, turns down a waiting step. */
export const rejectRecoveryUpdate = defineUpdate<RecoveryRecord, [DecideRecoveryRequest]>('rejectRecovery');

/** An engineer writes an update for the public status page; it completes the update-status-page task. */
export const postStatusUpdate = defineUpdate<IncidentView, [PostStatusUpdateRequest]>('postStatusUpdate');

/** The incident as the API shows it. */
export const viewQuery = defineQuery<IncidentView>('view');
