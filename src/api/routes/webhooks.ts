import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

import type { Config } from '../../config/schema.js';
import { AlertmanagerWebhook, normalizeAlertmanager } from '../alertmanager.js';
import type { IncidentService } from '../incident-service.js';

const Accepted = Type.Object({
  incidents: Type.Array(
    Type.Object({ id: Type.String(), severity: Type.String(), status: Type.String() }),
  ),
});

export function registerWebhookRoutes(app: FastifyInstance, incidents: IncidentService, config: Config): void {
  app.post(
    '/webhooks/alertmanager',
    { schema: { body: AlertmanagerWebhook, response: { 202: Accepted } } },
    async (request, reply) => {
      const group = normalizeAlertmanager(request.body as AlertmanagerWebhook, config);
      const receivedAt = new Date();
      const logFields = { incidentId: group.incidentId, severity: group.severity, alertStatus: group.snapshot.status };

      if (group.snapshot.status === 'firing') {
        const accepted = await incidents.recordFiring(group, receivedAt);
        request.log.info({ ...logFields, incidentStatus: accepted.status }, 'alert group recorded');
        return reply.status(202).send({ incidents: [accepted] });
      }

      const accepted = await incidents.recordResolved(group, receivedAt);
      if (accepted === undefined) {
        request.log.info(logFields, 'resolved alert group has no running incident; nothing opened');
        return reply.status(202).send({ incidents: [] });
      }
      request.log.info({ ...logFields, incidentStatus: accepted.status }, 'alert group recorded');
      return reply.status(202).send({ incidents: [accepted] });
    },
  );
}
