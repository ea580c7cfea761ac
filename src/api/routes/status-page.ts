import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

import { PUBLIC_STATUSES } from '../../shared/incident.js';
import { postStatusUpdate } from '../../workflows/incident-messages.js';
import type { IncidentService } from '../incident-service.js';
import type { StatusPageModelSource } from '../status-page-model.js';
import { errorResponses } from '../errors.js';
import { COMMAND_ERRORS, CommandHeaders, IncidentParams, IncidentViewSchema, Text } from './schemas.js';
import { renderStatusPageHtml, statusPageJson } from '../status-page-render.js';


export const StatusUpdateBody = Type.Object(
  {
    message: Text,
    status: Type.Optional(Type.Unsafe<(typeof PUBLIC_STATUSES)[number]>({ type: 'string', enum: [...PUBLIC_STATUSES] })),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  },
  { additionalProperties: false },
);

/**
 * Registers the public status page (`/status` as HTML, `/status.json`),
 * which needs no token and shows only public fields, and the command with
 * which an engineer writes a public update.
 */
export function registerStatusPageRoutes(app: FastifyInstance, incidents: IncidentService, source: StatusPageModelSource): void {
  app.get('/status', { config: { public: true }, schema: { summary: 'The public status page (HTML)', tags: ['status page'], security: [], produces: ['text/html'] } }, async (_request, reply) => {
    const html = renderStatusPageHtml(await source.model());
    return reply.type('text/html; charset=utf-8').header('cache-control', 'public, max-age=10').send(html);
  });

  app.get('/status.json', { config: { public: true }, schema: { summary: 'The public status page (JSON)', tags: ['status page'], security: [] } }, async (_request, reply) => {
    return reply.header('cache-control', 'public, max-age=10').send(statusPageJson(await source.model()));
  });

  app.post(
    '/incidents/:id/status-updates',
    {
      schema: {
        summary: 'Post a public status update for an incident',
        tags: ['status page'],
        params: IncidentParams,
        headers: CommandHeaders,
        body: StatusUpdateBody,
        response: { 200: IncidentViewSchema, ...errorResponses(...COMMAND_ERRORS, 'INCIDENT_NOT_FOUND') },
      },
    },
    async (request) => {
      const { id } = request.params as Static<typeof IncidentParams>;
      const body = request.body as Static<typeof StatusUpdateBody>;
      const updateId = (request.headers as Static<typeof CommandHeaders>)['idempotency-key'];
      const view = await incidents.command(
        id,
        'post a status update on',
        postStatusUpdate,
        {
          actor: request.actor,
          message: body.message,
          ...(body.status === undefined ? {} : { status: body.status }),
          ...(body.title === undefined ? {} : { title: body.title }),
        },
        updateId,
      );
      request.log.info({ incidentId: id, actor: request.actor }, 'status update posted');
      return view;
    },
  );
}
