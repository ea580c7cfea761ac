import { randomUUID } from 'node:crypto';

import {
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcServiceError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';

import { severityPolicy } from '../config/policy.js';
import type { Config } from '../config/schema.js';
import {
  INVALID_REQUEST,
  INVALID_TRANSITION,
  UNKNOWN_TASK,
  WORKFLOW_TYPE_BY_SEVERITY,
  type AlertOccurrence,
  type IncidentInput,
  type IncidentStatus,
  type IncidentView,
  type Severity,
  type SeverityPolicy,
} from '../shared/incident.js';
import { alertReceivedSignal, viewQuery } from '../workflows/incident-messages.js';
import { IncidentSeverity, IncidentStatus as IncidentStatusKey } from '../workflows/search-attributes.js';
import type { NormalizedAlertGroup } from './alertmanager.js';
import { ApiError } from './errors.js';

/** How long the API waits for Temporal and the worker to confirm a command or return a query result. */
const COMMAND_DEADLINE_MS = 30_000;

export interface AlertAccepted {
  id: string;
  severity: string;
  status: IncidentStatus;
}

/**
 * The API's only path to Temporal. It starts and signals incident workflows,
 * sends engineers' commands as updates and translates Temporal's errors into
 * API errors in one place.
 */
export class IncidentService {
  constructor(
    private readonly client: Client,
    private readonly config: Config,
  ) {}

  /**
   * Opens the incident for a firing alert group, or counts the occurrence on
   * the running one. `signalWithStart` makes concurrent duplicates land on
   * one workflow.
   */
  async recordFiring(group: NormalizedAlertGroup, receivedAt: Date): Promise<AlertAccepted> {
    const input: IncidentInput = {
      incidentId: group.incidentId,
      source: group.snapshot.source,
      dedupKey: group.dedupKey,
      service: group.service,
      summary: group.summary,
      severity: group.severity,
      declaredAt: receivedAt.toISOString(),
      policy: severityPolicy(this.config, group.severity),
      alert: group.snapshot,
    };

    const handle = await this.call(group.incidentId, () =>
      this.client.workflow.signalWithStart(WORKFLOW_TYPE_BY_SEVERITY[group.severity], {
        workflowId: group.incidentId,
        taskQueue: this.config.temporal.taskQueue,
        args: [input],
        signal: alertReceivedSignal,
        signalArgs: [occurrenceOf(group, receivedAt)],
        typedSearchAttributes: [
          { key: IncidentSeverity, value: group.severity },
          { key: IncidentStatusKey, value: 'open' },
        ],
        staticSummary: `${group.severity} ${group.service}: ${group.summary}`,
        staticDetails: `Opened by Alertmanager receiver \`${group.snapshot.receiver}\` with ${group.snapshot.alertCount} alert(s).`,
      }),
    );

    // A running incident keeps its own severity and status; the search
    // attributes hold them once its first workflow task has run.
    const description = await this.call(group.incidentId, () => handle.describe());
    return {
      id: group.incidentId,
      severity: description.typedSearchAttributes.get(IncidentSeverity) ?? group.severity,
      status: (description.typedSearchAttributes.get(IncidentStatusKey) as IncidentStatus | undefined) ?? 'open',
    };
  }

  /**
   * Passes "all resolved" to a running incident. A resolved group with no
   * running incident opens nothing and returns undefined.
   */
  async recordResolved(group: NormalizedAlertGroup, receivedAt: Date): Promise<AlertAccepted | undefined> {
    const handle = this.client.workflow.getHandle(group.incidentId);
    try {
      await handle.signal(alertReceivedSignal, occurrenceOf(group, receivedAt));
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw this.translate(group.incidentId, error);
    }
    const description = await this.call(group.incidentId, () => handle.describe());
    return {
      id: group.incidentId,
      severity: description.typedSearchAttributes.get(IncidentSeverity) ?? group.severity,
      status: (description.typedSearchAttributes.get(IncidentStatusKey) as IncidentStatus | undefined) ?? 'open',
    };
  }

  /**
   * Sends one engineer command as a Workflow Update and returns the view it
   * produced. `updateId` (the request's Idempotency-Key) makes a retried
   * request apply once.
   */
  async command<Request>(
    incidentId: string,
    command: string,
    update: UpdateDefinition<IncidentView, [Request]>,
    request: Request,
    updateId?: string,
  ): Promise<IncidentView> {
    return this.update(incidentId, command, updateId, (handle, id) => handle.executeUpdate(update, { args: [request], updateId: id }));
  }

  /** Builds the policy a severity change carries into the new workflow run. */
  policyFor(severity: Severity): SeverityPolicy {
    return severityPolicy(this.config, severity);
  }

  /** Returns the view of a running incident, or the final view of a finished one. */
  async view(incidentId: string): Promise<IncidentView> {
    const handle = this.client.workflow.getHandle(incidentId);
    const description = await this.describe(incidentId);
    if (description.status.name === 'RUNNING') {
      return this.call(incidentId, () => handle.query(viewQuery));
    }
    if (description.status.name === 'COMPLETED') {
      return this.call(incidentId, () => handle.result() as Promise<IncidentView>);
    }
    throw new ApiError('INCIDENT_NOT_FOUND', `incident ${incidentId} ended without resolution (${description.status.name})`, {
      incidentId,
      workflowStatus: description.status.name,
    });
  }

  private async update(
    incidentId: string,
    command: string,
    updateId: string | undefined,
    send: (handle: ReturnType<Client['workflow']['getHandle']>, updateId: string) => Promise<IncidentView>,
  ): Promise<IncidentView> {
    const id = updateId ?? randomUUID();
    const handle = this.client.workflow.getHandle(incidentId);
    try {
      return await this.client.connection.withDeadline(Date.now() + COMMAND_DEADLINE_MS, () => send(handle, id));
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        // Either no such incident or one that already finished.
        const description = await this.describe(incidentId);
        throw new ApiError('INVALID_TRANSITION', `cannot ${command} incident ${incidentId}: it is already closed`, {
          incidentId,
          status: description.typedSearchAttributes.get(IncidentStatusKey) ?? 'closed',
        });
      }
      if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isDeadlineExceeded(error)) {
        throw new ApiError(
          'COMMAND_NOT_CONFIRMED',
          `the worker did not confirm ${command} within ${COMMAND_DEADLINE_MS / 1000} s; it may still apply. ` +
            'Check the incident, and retry with the same Idempotency-Key to avoid a second command.',
          { incidentId, idempotencyKey: id },
          { cause: error },
        );
      }
      throw this.translate(incidentId, error);
    }
  }

  private async describe(incidentId: string): Promise<WorkflowExecutionDescription> {
    return this.call(incidentId, () => this.client.workflow.getHandle(incidentId).describe());
  }

  private async call<T>(incidentId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.client.connection.withDeadline(Date.now() + COMMAND_DEADLINE_MS, fn);
    } catch (error) {
      throw this.translate(incidentId, error);
    }
  }

  private translate(incidentId: string, error: unknown): Error {
    if (error instanceof ApiError) return error;
    if (error instanceof WorkflowNotFoundError) {
      return new ApiError('INCIDENT_NOT_FOUND', `no incident with ID ${incidentId}`, { incidentId });
    }
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
      const failure = error.cause;
      const details = (failure.details?.[0] ?? {}) as Record<string, unknown>;
      if (failure.type === INVALID_TRANSITION) return new ApiError('INVALID_TRANSITION', failure.message, { incidentId, ...details });
      if (failure.type === UNKNOWN_TASK) return new ApiError('TASK_NOT_FOUND', failure.message, { incidentId, ...details });
      if (failure.type === INVALID_REQUEST) return new ApiError('INVALID_BODY', failure.message, { incidentId });
    }
    if (isGrpcServiceError(error) || isDeadlineExceeded(error)) {
      return new ApiError('TEMPORAL_UNAVAILABLE', 'Temporal did not respond; try again shortly', { incidentId }, { cause: error });
    }
    return error instanceof Error ? error : new Error(String(error));
  }
}

function occurrenceOf(group: NormalizedAlertGroup, receivedAt: Date): AlertOccurrence {
  return {
    status: group.snapshot.status,
    receivedAt: receivedAt.toISOString(),
    alertCount: group.snapshot.alertCount,
    firingCount: group.snapshot.firingCount,
  };
}

function isDeadlineExceeded(error: unknown): boolean {
  // gRPC status 4 is DEADLINE_EXCEEDED.
  const candidate = error instanceof Error && error.cause !== undefined ? error.cause : error;
  return isGrpcServiceError(candidate) && Number(candidate.code) === 4;
}
