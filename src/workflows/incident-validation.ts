import { ApplicationFailure } from '@temporalio/workflow';

import { INVALID_REQUEST, INVALID_TRANSITION } from '../shared/incident.js';
import type { IncidentState } from './incident-state.js';

/** Maximum length of a note, reason or summary in an engineer command. */
const MAX_TEXT = 4000;

/*
 * Checks shared by the validators of the incident's updates. A validator that
 * throws rejects the update before it enters history.
 */

export function requireActor(actor: unknown): void {
  if (typeof actor !== 'string' || actor.length === 0) {
    throw invalidRequest(`actor is ${JSON.stringify(actor)}, expected the identity of the engineer`);
  }
}

export function requireText(field: string, value: unknown): void {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > MAX_TEXT) {
    throw invalidRequest(`body.${field} must be non-blank text of at most ${MAX_TEXT} characters`, `body.${field}`);
  }
}

/** Rejects a command once resolution has begun or a severity change is under way. */
export function requireOpen(state: IncidentState, command: string): void {
  if (state.resolutionRequested) throw invalidTransition(state, `cannot ${command} it while it is ${state.status}`);
  if (state.pendingSeverityChange !== undefined) {
    throw invalidTransition(state, `cannot ${command} it while it moves to ${state.pendingSeverityChange.severity}`);
  }
}

export function invalidRequest(message: string, field?: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: INVALID_REQUEST,
    nonRetryable: true,
    message,
    ...(field === undefined ? {} : { details: [{ field }] }),
  });
}

export function invalidTransition(state: IncidentState, reason: string, extra: Record<string, unknown> = {}): ApplicationFailure {
  return ApplicationFailure.create({
    type: INVALID_TRANSITION,
    nonRetryable: true,
    message: `incident ${state.input.incidentId}: ${reason}`,
    details: [{ status: state.status, severity: state.input.severity, stage: state.currentStage, acknowledged: state.acknowledged, ...extra }],
  });
}
