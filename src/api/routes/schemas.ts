import { Type } from '@sinclair/typebox';

/** Schemas every command route uses. */

/** An incident ID as it appears in a URL. */
export const IncidentId = Type.String({ pattern: '^[A-Za-z0-9._:-]{1,200}$' });

export const IncidentParams = Type.Object({ id: IncidentId });

/** `Idempotency-Key` becomes the update ID, so a retried request applies once. */
export const CommandHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});

/** A note, reason or message of an engineer. */
export const Text = Type.String({ minLength: 1, maxLength: 4000 });
