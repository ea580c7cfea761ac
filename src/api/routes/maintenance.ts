import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

import { MAINTENANCE_ID_PREFIX } from '../../shared/maintenance.js';
import { BODY_ERRORS, ENGINEER_AUTH_ERRORS, errorResponses } from '../errors.js';
import type { MaintenanceService } from '../maintenance-service.js';
import { CommandHeaders, StringEnum, Text } from './schemas.js';

const WindowId = Type.String({ pattern: `^${MAINTENANCE_ID_PREFIX}[0-9a-f]{12}$` });
const WindowParams = Type.Object({ id: WindowId });
const Labels = Type.Record(Type.String(), Type.String({ maxLength: 1024 }), {
  maxProperties: 30,
  propertyNames: { minLength: 1, maxLength: 128 },
});
const Matchers = Type.Object(
  {
    service: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,100}$' })),
    labels: Type.Optional(Labels),
  },
  { additionalProperties: false },
);

const CreateBody = Type.Object(
  {
    /** Defaults to now. */
    startsAt: Type.Optional(Type.String({ format: 'date-time' })),
    endsAt: Type.String({ format: 'date-time' }),
    matchers: Matchers,
    reason: Text,
  },
  { additionalProperties: false },
);

const WindowStatus = StringEnum(['scheduled', 'active', 'ended']);
const summaryFields = {
  id: Type.String(),
  startsAt: Type.String(),
  endsAt: Type.String(),
  matchers: Matchers,
  reason: Type.String(),
  author: Type.String(),
  createdAt: Type.String(),
  remindBefore: Type.String(),
  status: WindowStatus,
};
const WindowSummary = Type.Object(summaryFields);
const WindowView = Type.Object({
  ...summaryFields,
  endedAt: Type.Optional(Type.String()),
  endedBy: Type.Optional(Type.String()),
  reminder: Type.Object({
    state: StringEnum(['pending', 'sent', 'failed', 'skipped']),
    at: Type.Optional(Type.String()),
    detail: Type.Optional(Type.String()),
  }),
});

/**
 * Registers the maintenance window routes. Alerts matching an active window
 * open their incident but send no page until it ends. The author comes from the credential.
 */
export function registerMaintenanceRoutes(app: FastifyInstance, maintenance: MaintenanceService): void {
  const tags = ['maintenance'];

  app.post(
    '/maintenance-windows',
    {
      schema: {
        summary: 'Create a maintenance window',
        tags,
        headers: CommandHeaders,
        body: CreateBody,
        response: { 201: WindowSummary, ...errorResponses(...BODY_ERRORS, ...ENGINEER_AUTH_ERRORS, 'INVALID_PARAMETER', 'TEMPORAL_UNAVAILABLE') },
      },
    },
    async (request, reply) => {
      const body = request.body as Static<typeof CreateBody>;
      const key = (request.headers as Static<typeof CommandHeaders>)['idempotency-key'];
      const window = await maintenance.create(body, request.actor, key);
      request.log.info({ windowId: window.id, author: request.actor, endsAt: window.endsAt }, 'maintenance window created');
      return reply.status(201).send(window);
    },
  );

  app.get(
    '/maintenance-windows',
    {
      schema: {
        summary: 'List scheduled and active maintenance windows',
        tags,
        response: { 200: Type.Object({ windows: Type.Array(WindowSummary) }), ...errorResponses(...ENGINEER_AUTH_ERRORS, 'TEMPORAL_UNAVAILABLE') },
      },
    },
    async () => ({ windows: await maintenance.list() }),
  );

  app.get(
    '/maintenance-windows/:id',
    {
      schema: {
        summary: 'Show a maintenance window',
        tags,
        params: WindowParams,
        response: {
          200: WindowView,
          ...errorResponses(...ENGINEER_AUTH_ERRORS, 'INVALID_PARAMETER', 'MAINTENANCE_WINDOW_NOT_FOUND', 'TEMPORAL_UNAVAILABLE'),
        },
      },
    },
    async (request) => maintenance.get((request.params as Static<typeof WindowParams>).id),
  );

  app.post(
    '/maintenance-windows/:id/end',
    {
      schema: {
        summary: 'End a maintenance window now',
        tags,
        params: WindowParams,
        headers: CommandHeaders,
        response: {
          200: WindowView,
          ...errorResponses(
            ...ENGINEER_AUTH_ERRORS,
            'INVALID_PARAMETER',
            'MAINTENANCE_WINDOW_NOT_FOUND',
            'INVALID_TRANSITION',
            'TEMPORAL_UNAVAILABLE',
          ),
        },
      },
    },
    async (request) => {
      const { id } = request.params as Static<typeof WindowParams>;
      const key = (request.headers as Static<typeof CommandHeaders>)['idempotency-key'];
      const view = await maintenance.end(id, request.actor, key);
      request.log.info({ windowId: id, actor: request.actor }, 'maintenance window ended');
      return view;
    },
  );
}
