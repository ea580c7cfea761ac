import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

import { recoveryPolicy } from '../../config/policy.js';
import type { Config } from '../../config/schema.js';
import { approveRecoveryUpdate, rejectRecoveryUpdate, requestRecoveryUpdate } from '../../workflows/incident-messages.js';
import { ApiError, ENGINEER_AUTH_ERRORS, errorResponses } from '../errors.js';
import type { IncidentService } from '../incident-service.js';
import { COMMAND_ERRORS, CommandHeaders, Described, IncidentId, IncidentParams, Text } from './schemas.js';

const RecoveryRecordSchema = Type.Object(
  { id: Type.String(), status: Type.String() },
  { additionalProperties: true, description: 'The recovery request: step, requester, approver, outcome and times' },
);

const RequestParams = Type.Object({
  id: IncidentId,
  requestId: Type.String({ pattern: '^r[0-9]{1,6}$' }),
});

export const RecoveryBodies = {
  request: Type.Object(
    {
      step: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }),
      reason: Text,
      replicas: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    },
    { additionalProperties: false },
  ),
  approve: Type.Union([Type.Object({ note: Type.Optional(Text) }, { additionalProperties: false }), Type.Null()]),
  reject: Type.Object({ note: Text }, { additionalProperties: false }),
};

/**
 * Registers the recovery catalogue and its commands. A request returns 202
 * because the step runs, or waits for its approval, after the response. The
 * engineer who sent the request cannot approve it (403).
 */
export function registerRecoveryRoutes(app: FastifyInstance, incidents: IncidentService, config: Config): void {
  const steps = recoveryPolicy(config)?.steps ?? [];
  const stepIds = steps.map((step) => step.id);

  app.get(
    '/recovery-steps',
    {
      schema: {
        summary: 'List the recovery catalogue',
        tags: ['recovery'],
        response: { 200: Type.Object({ steps: Type.Array(Described('A recovery step')) }), ...errorResponses(...ENGINEER_AUTH_ERRORS) },
      },
    },
    async () => ({ steps }),
  );

  app.post(
    '/incidents/:id/recovery',
    {
      schema: {
        summary: 'Request a recovery step on an incident',
        tags: ['recovery'],
        params: IncidentParams,
        headers: CommandHeaders,
        body: RecoveryBodies.request,
        response: { 202: RecoveryRecordSchema, ...errorResponses(...COMMAND_ERRORS, 'INCIDENT_NOT_FOUND') },
      },
    },
    async (request, reply) => {
      const { id } = request.params as Static<typeof IncidentParams>;
      const body = request.body as Static<typeof RecoveryBodies.request>;
      if (!stepIds.includes(body.step)) {
        const known = stepIds.join(', ') || 'none; the configuration has no recovery section';
        throw new ApiError('INVALID_BODY', `body.step ${body.step} is not in the recovery catalogue; expected one of ${known}`, {
          field: 'body.step',
        });
      }
      const updateId = (request.headers as Static<typeof CommandHeaders>)['idempotency-key'];
      const record = await incidents.recoveryCommand(
        id,
        'request a recovery step on',
        requestRecoveryUpdate,
        {
          actor: request.actor,
          stepId: body.step,
          reason: body.reason,
          ...(body.replicas === undefined ? {} : { replicas: body.replicas }),
        },
        updateId,
      );
      request.log.info({ incidentId: id, actor: request.actor, requestId: record.id, step: record.stepId }, 'recovery step requested');
      return reply.status(202).send(record);
    },
  );

  app.post(
    '/incidents/:id/recovery/:requestId/approve',
    {
      schema: {
        summary: 'Approve a requested recovery step',
        tags: ['recovery'],
        params: RequestParams,
        headers: CommandHeaders,
        body: Type.Optional(RecoveryBodies.approve),
        response: { 200: RecoveryRecordSchema, ...errorResponses(...COMMAND_ERRORS, 'INCIDENT_NOT_FOUND', 'RECOVERY_REQUEST_NOT_FOUND', 'SELF_APPROVAL') },
      },
    },
    async (request) => {
      const { id, requestId } = request.params as Static<typeof RequestParams>;
      const body = request.body as Static<typeof RecoveryBodies.approve> | undefined;
      const updateId = (request.headers as Static<typeof CommandHeaders>)['idempotency-key'];
      const record = await incidents.recoveryCommand(
        id,
        'approve a recovery step on',
        approveRecoveryUpdate,
        { actor: request.actor, requestId, ...(body?.note === undefined ? {} : { note: body.note }) },
        updateId,
      );
      request.log.info({ incidentId: id, actor: request.actor, requestId }, 'recovery step approved');
      return record;
    },
  );

  app.post(
    '/incidents/:id/recovery/:requestId/reject',
    {
      schema: {
        summary: 'Reject a requested recovery step',
        tags: ['recovery'],
        params: RequestParams,
        headers: CommandHeaders,
        body: RecoveryBodies.reject,
        response: { 200: RecoveryRecordSchema, ...errorResponses(...COMMAND_ERRORS, 'INCIDENT_NOT_FOUND', 'RECOVERY_REQUEST_NOT_FOUND') },
      },
    },
    async (request) => {
      const { id, requestId } = request.params as Static<typeof RequestParams>;
      const body = request.body as Static<typeof RecoveryBodies.reject>;
      const updateId = (request.headers as Static<typeof CommandHeaders>)['idempotency-key'];
      const record = await incidents.recoveryCommand(
        id,
        'reject a recovery step on',
        rejectRecoveryUpdate,
        { actor: request.actor, requestId, note: body.note },
        updateId,
      );
      request.log.info({ incidentId: id, actor: request.actor, requestId }, 'recovery step rejected');
      return record;
    },
  );
}
