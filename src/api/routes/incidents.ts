import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

import type { IncidentService } from '../incident-service.js';

const IncidentParams = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,200}$' }),
});

const CommandHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});

const AcknowledgeBody = Type.Union([
  Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
  Type.Null(),
]);

const ResolveBody = Type.Union([
  Type.Object({ summary: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
  Type.Null(),
]);

type Params = Static<typeof IncidentParams>;
type Headers = Static<typeof CommandHeaders>;

/**
 * Engineers' commands. Each is a Workflow Update: a 200 means the command is
 * in the incident's history. `Idempotency-Key` becomes the update ID, so a
 * retried request applies once.
 */
export function registerIncidentRoutes(app: FastifyInstance, incidents: IncidentService): void {
  app.get('/incidents/:id', { schema: { params: IncidentParams } }, async (request) => {
    const { id } = request.params as Params;
    return incidents.view(id);
  });

  app.post(
    '/incidents/:id/acknowledge',
    { schema: { params: IncidentParams, headers: CommandHeaders, body: Type.Optional(AcknowledgeBody) } },
    async (request) => {
      const { id } = request.params as Params;
      const body = request.body as Static<typeof AcknowledgeBody> | undefined;
      const key = (request.headers as Headers)['idempotency-key'];
      const view = await incidents.acknowledge(id, request.actor, body?.note, key);
      request.log.info({ incidentId: id, actor: request.actor }, 'incident acknowledged');
      return view;
    },
  );

  app.post(
    '/incidents/:id/resolve',
    { schema: { params: IncidentParams, headers: CommandHeaders, body: Type.Optional(ResolveBody) } },
    async (request) => {
      const { id } = request.params as Params;
      const body = request.body as Static<typeof ResolveBody> | undefined;
      const key = (request.headers as Headers)['idempotency-key'];
      const view = await incidents.resolve(id, request.actor, body?.summary, key);
      request.log.info({ incidentId: id, actor: request.actor }, 'incident resolved');
      return view;
    },
  );
}
