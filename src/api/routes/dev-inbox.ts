import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

import type { DevInbox } from '../dev-inbox.js';
import { ApiError } from '../errors.js';

const InboxParams = Type.Object({ contactId: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }) });

/**
 * The development inbox: `dev-inbox` contacts are paged here. Receiving needs
 * no token because it stands in for an outside pager; listing does.
 */
export function registerDevInboxRoutes(app: FastifyInstance, inbox: DevInbox): void {
  app.post(
    '/dev/inbox/:contactId',
    // Development only, so not part of the OpenAPI document.
    { config: { public: true }, schema: { hide: true, params: InboxParams } },
    async (request, reply) => {
      const { contactId } = request.params as Static<typeof InboxParams>;
      const idempotencyKey = request.headers['idempotency-key'];
      if (typeof idempotencyKey !== 'string' || idempotencyKey === '') {
        throw new ApiError('INVALID_PARAMETER', 'headers.idempotency-key is missing; every page must carry one', {
          field: 'headers.idempotency-key',
        });
      }

      const stored = inbox.receive({
        contactId,
        idempotencyKey,
        receivedAt: new Date().toISOString(),
        payload: request.body,
      });
      const incidentId = (request.body as { incidentId?: unknown } | undefined)?.incidentId;
      if (stored) {
        request.log.info({ contactId, idempotencyKey, incidentId }, 'dev inbox received page');
        return reply.status(201).send({ stored: true, duplicate: false });
      }
      request.log.info({ contactId, idempotencyKey, incidentId }, 'dev inbox dropped a repeated page');
      return reply.status(200).send({ stored: false, duplicate: true });
    },
  );

  app.get('/dev/inbox', { schema: { hide: true } }, async () => ({ pages: inbox.list() }));
}
