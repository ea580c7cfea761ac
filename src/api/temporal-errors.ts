import { WorkflowUpdateFailedError, isGrpcServiceError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';

import { INVALID_REQUEST, INVALID_TRANSITION, UNKNOWN_TASK } from '../shared/incident.js';
import { SELF_APPROVAL, UNKNOWN_RECOVERY_REQUEST, UNKNOWN_RECOVERY_STEP } from '../shared/recovery.js';
import { ApiError, type ApiErrorCode } from './errors.js';

/** Time the API waits for Temporal and the worker to confirm a command or return a query result. */
export const TEMPORAL_DEADLINE_MS = 30_000;

/**
 * Runs one call to Temporal under the API's deadline and translates its
 * failure into the API's error catalogue.
 */
export async function callTemporal<T>(client: Client, subject: Subject, fn: () => Promise<T>): Promise<T> {
  try {
    return await client.connection.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, fn);
  } catch (error) {
    throw translateTemporalError(subject, error);
  }
}

/** Target of a request: an incident or a follow-up, by workflow ID. */
export interface Subject {
  kind: 'incident' | 'follow-up' | 'maintenance window';
  id: string;
}

const NOT_FOUND: Record<Subject['kind'], ApiErrorCode> = {
  incident: 'INCIDENT_NOT_FOUND',
  'follow-up': 'FOLLOW_UP_NOT_FOUND',
  'maintenance window': 'MAINTENANCE_WINDOW_NOT_FOUND',
};

const ID_FIELD: Record<Subject['kind'], string> = {
  incident: 'incidentId',
  'follow-up': 'followUpId',
  'maintenance window': 'windowId',
};

/**
 * Translates an error from the Temporal client into the API's error
 * catalogue. This is the one place that maps Temporal failures to HTTP
 * responses.
 */
export function translateTemporalError(subject: Subject, error: unknown): Error {
  if (error instanceof ApiError) return error;
  const ids = { [ID_FIELD[subject.kind]]: subject.id };

  if (error instanceof WorkflowNotFoundError) {
    return new ApiError(NOT_FOUND[subject.kind], `no ${subject.kind} with ID ${subject.id}`, ids);
  }
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
    const failure = error.cause;
    const details = (failure.details?.[0] ?? {}) as Record<string, unknown>;
    if (failure.type === INVALID_TRANSITION) return new ApiError('INVALID_TRANSITION', failure.message, { ...ids, ...details });
    if (failure.type === UNKNOWN_TASK) return new ApiError('TASK_NOT_FOUND', failure.message, { ...ids, ...details });
    if (failure.type === INVALID_REQUEST) return new ApiError('INVALID_BODY', failure.message, { ...ids, ...details });
    if (failure.type === SELF_APPROVAL) return new ApiError('SELF_APPROVAL', failure.message, { ...ids, ...details });
    if (failure.type === UNKNOWN_RECOVERY_REQUEST) {
      return new ApiError('RECOVERY_REQUEST_NOT_FOUND', failure.message, { ...ids, ...details });
    }
    if (failure.type === UNKNOWN_RECOVERY_STEP) {
      return new ApiError('INVALID_BODY', `body.step: ${failure.message}`, { ...ids, field: 'body.step', ...details });
    }
  }
  if (isGrpcServiceError(error) || isDeadlineExceeded(error)) {
    return new ApiError('TEMPORAL_UNAVAILABLE', 'Temporal did not respond; try again shortly', ids, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}

export function isDeadlineExceeded(error: unknown): boolean {
  // gRPC status 4 is DEADLINE_EXCEEDED.
  const candidate = error instanceof Error && error.cause !== undefined ? error.cause : error;
  return isGrpcServiceError(candidate) && Number(candidate.code) === 4;
}
