import { Type, type TUnsafe } from '@sinclair/typebox';

import { BODY_ERRORS, ENGINEER_AUTH_ERRORS, type ApiErrorCode } from '../errors.js';

/** Schemas every command route uses. */

/**
 * A string that must be one of `values`. Unlike a union of literals, Ajv
 * then reports one error naming every allowed value.
 */
export function StringEnum<const Values extends readonly string[]>(values: Values): TUnsafe<Values[number]> {
  return Type.Unsafe<Values[number]>({ type: 'string', enum: [...values] });
}

/** An incident ID as it appears in a URL. */
export const IncidentId = Type.String({ pattern: '^[A-Za-z0-9._:-]{1,200}$' });

export const IncidentParams = Type.Object({ id: IncidentId });

/** `Idempotency-Key` becomes the update ID, so a retried request applies once. */
export const CommandHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});

/** A note, reason or message of an engineer. */
export const Text = Type.String({ minLength: 1, maxLength: 4000 });

/**
 * The incident view, as far as the OpenAPI document describes it; every
 * other field of `IncidentView` in src/shared/incident.ts passes through.
 */
export const IncidentViewSchema = Type.Object(
  { id: Type.String(), severity: Type.String(), status: Type.String(), stage: Type.String() },
  { additionalProperties: true, description: 'The incident view: deadlines, tasks, pages, checks, timeline and more' },
);

/** Builds a response body schema that the document describes only by its purpose. */
export function Described(description: string) {
  return Type.Object({}, { additionalProperties: true, description });
}

/** Errors of every command sent to an incident or follow-up as a Workflow Update. */
export const COMMAND_ERRORS: readonly ApiErrorCode[] = [
  ...BODY_ERRORS,
  ...ENGINEER_AUTH_ERRORS,
  'INVALID_PARAMETER',
  'INVALID_TRANSITION',
  'TEMPORAL_UNAVAILABLE',
  'COMMAND_NOT_CONFIRMED',
];

/** Errors of a read of one incident or follow-up. */
export const READ_ERRORS: readonly ApiErrorCode[] = [...ENGINEER_AUTH_ERRORS, 'INVALID_PARAMETER', 'TEMPORAL_UNAVAILABLE'];
