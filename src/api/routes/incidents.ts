import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';

import type { Config } from '../../config/schema.js';
import { RESOLUTION_TYPES, SEVERITIES, type IncidentView } from '../../shared/incident.js';
import {
  acknowledgeUpdate,
  addNoteUpdate,
  assignRoleUpdate,
  changeSeverityUpdate,
  completeTaskUpdate,
  escalateUpdate,
  resolveUpdate,
} from '../../workflows/incident-messages.js';
import { ApiError, errorResponses } from '../errors.js';
import type { IncidentService } from '../incident-service.js';
import { COMMAND_ERRORS, CommandHeaders, IncidentId, IncidentParams, IncidentViewSchema, READ_ERRORS, StringEnum, Text } from './schemas.js';

const TaskParams = Type.Object({
  id: IncidentId,
  taskId: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }),
});

const ContactId = Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' });

/** Request bodies, one per command. A body may be omitted only where every field is optional. */
export const CommandBodies = {
  acknowledge: Type.Union([Type.Object({ note: Type.Optional(Text) }, { additionalProperties: false }), Type.Null()]),
  resolve: Type.Object(
    {
      summary: Text,
      resolutionType: StringEnum(RESOLUTION_TYPES),
    },
    { additionalProperties: false },
  ),
  escalate: Type.Object({ reason: Text, contactId: Type.Optional(ContactId) }, { additionalProperties: false }),
  severity: Type.Object(
    { severity: StringEnum(SEVERITIES), reason: Text },
    { additionalProperties: false },
  ),
  notes: Type.Object({ text: Text }, { additionalProperties: false }),
  roles: Type.Object(
    {
      role: StringEnum(['incident-commander', 'communications-lead'] as const),
      contactId: ContactId,
    },
    { additionalProperties: false },
  ),
  completeTask: Type.Union([Type.Object({ note: Type.Optional(Text) }, { additionalProperties: false }), Type.Null()]),
};

type Params = Static<typeof IncidentParams>;

/**
 * Engineers' commands. Each is a Workflow Update: a 200 means the command is
 * in the incident's history and returns the incident view. `Idempotency-Key`
 * becomes the update ID, so a retried request applies once.
 */
export function registerIncidentRoutes(app: FastifyInstance, incidents: IncidentService, config: Config): void {
  const contactIds = new Set(config.contacts.map((contact) => contact.id));
  const requireContact = (field: string, contactId: string | undefined) => {
    if (contactId !== undefined && !contactIds.has(contactId)) {
      throw new ApiError('INVALID_BODY', `${field} ${contactId} is not a configured contact; expected one of ${[...contactIds].join(', ')}`, {
        field,
      });
    }
  };

  /** Registers `POST /incidents/:id/<path>` with its body schema and handler. */
  const command = <Body extends TSchema>(
    path: string,
    body: Body,
    handle: (request: FastifyRequest, id: string, body: Static<Body>, updateId: string | undefined) => Promise<IncidentView>,
    options: { params?: TSchema; optionalBody?: boolean } = {},
  ) => {
    const schema = options.optionalBody === true ? Type.Optional(body) : body;
    app.post(
      `/incidents/:id/${path}`,
      {
        schema: {
          summary: `Send the ${path.split('/').at(-1) ?? path} command to an incident`,
          tags: ['incidents'],
          params: options.params ?? IncidentParams,
          headers: CommandHeaders,
          body: schema,
          response: {
            200: IncidentViewSchema,
            ...errorResponses(...COMMAND_ERRORS, 'INCIDENT_NOT_FOUND', ...(options.params === undefined ? [] : ['TASK_NOT_FOUND' as const])),
          },
        },
      },
      async (request) => {
        const { id } = request.params as Params;
        const updateId = (request.headers as Static<typeof CommandHeaders>)['idempotency-key'];
        const view = await handle(request, id, request.body, updateId);
        request.log.info({ incidentId: id, actor: request.actor, command: path }, 'incident command applied');
        return view;
      },
    );
  };

  app.get(
    '/incidents/:id',
    {
      schema: {
        summary: "Show an incident's view",
        tags: ['incidents'],
        params: IncidentParams,
        response: { 200: IncidentViewSchema, ...errorResponses(...READ_ERRORS, 'INCIDENT_NOT_FOUND') },
      },
    },
    async (request) => {
      const { id } = request.params as Params;
      return incidents.view(id);
    },
  );

  command(
    'acknowledge',
    CommandBodies.acknowledge,
    (request, id, body, updateId) =>
      incidents.command(
        id,
        'acknowledge',
        acknowledgeUpdate,
        { actor: request.actor, ...(body?.note === undefined ? {} : { note: body.note }) },
        updateId,
      ),
    { optionalBody: true },
  );

  command('resolve', CommandBodies.resolve, (request, id, body, updateId) =>
    incidents.command(id, 'resolve', resolveUpdate, { actor: request.actor, summary: body.summary, resolutionType: body.resolutionType }, updateId),
  );

  command('escalate', CommandBodies.escalate, (request, id, body, updateId) => {
    requireContact('body.contactId', body.contactId);
    return incidents.command(
      id,
      'escalate',
      escalateUpdate,
      { actor: request.actor, reason: body.reason, ...(body.contactId === undefined ? {} : { contactId: body.contactId }) },
      updateId,
    );
  });

  command('severity', CommandBodies.severity, async (request, id, body, updateId) => {
    const accepted = await incidents.command(
      id,
      'change the severity of',
      changeSeverityUpdate,
      { actor: request.actor, severity: body.severity, reason: body.reason, policy: incidents.policyFor(body.severity) },
      updateId,
    );
    // The change completes by continuing as new, so respond with the new run's
    // view, whose deadlines, tasks and ladder match the new severity.
    return (await incidents.viewWithSeverity(id, body.severity)) ?? accepted;
  });

  command('notes', CommandBodies.notes, (request, id, body, updateId) =>
    incidents.command(id, 'add a note to', addNoteUpdate, { actor: request.actor, text: body.text }, updateId),
  );

  command('roles', CommandBodies.roles, (request, id, body, updateId) => {
    requireContact('body.contactId', body.contactId);
    return incidents.command(id, 'assign a role on', assignRoleUpdate, { actor: request.actor, role: body.role, contactId: body.contactId }, updateId);
  });

  command(
    'tasks/:taskId/complete',
    CommandBodies.completeTask,
    (request, id, body, updateId) => {
      const { taskId } = request.params as Static<typeof TaskParams>;
      return incidents.command(
        id,
        'complete a task of',
        completeTaskUpdate,
        { actor: request.actor, taskId, ...(body?.note === undefined ? {} : { note: body.note }) },
        updateId,
      );
    },
    { params: TaskParams, optionalBody: true },
  );
}
