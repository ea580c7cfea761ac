import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

import { addActionItemsUpdate, submitPostMortemUpdate, submitReportUpdate } from '../../workflows/post-incident-follow-up.js';
import { errorResponses } from '../errors.js';
import type { IncidentService } from '../incident-service.js';
import { COMMAND_ERRORS, CommandHeaders, Described, READ_ERRORS } from './schemas.js';

const FollowUpViewSchema = Described('The follow-up view: report draft, deadlines, submissions and action items');

const FollowUpParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,300}$' }) });

const ReportBody = Type.Object({ report: Type.String({ minLength: 1, maxLength: 20_000 }) }, { additionalProperties: false });
const PostMortemBody = Type.Object(
  { link: Type.String({ pattern: '^https?://\\S+$', maxLength: 2000 }) },
  { additionalProperties: false },
);
const ActionItemsBody = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        {
          title: Type.String({ minLength: 1, maxLength: 500 }),
          owner: Type.String({ minLength: 1, maxLength: 200 }),
          dueDate: Type.Optional(Type.String({ format: 'date' })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50 },
    ),
  },
  { additionalProperties: false },
);

type Params = Static<typeof FollowUpParams>;
type Headers = Static<typeof CommandHeaders>;

/**
 * Registers the post-incident follow-up routes: its view, and the report,
 * post-mortem link and action items engineers submit. The follow-up ID is in the resolved
 * incident's view (`followUpId`).
 */
export function registerFollowUpRoutes(app: FastifyInstance, incidents: IncidentService): void {
  const tags = ['follow-ups'];
  const commandErrors = { 200: FollowUpViewSchema, ...errorResponses(...COMMAND_ERRORS, 'FOLLOW_UP_NOT_FOUND') };
  app.get(
    '/follow-ups/:id',
    {
      schema: {
        summary: 'Show a post-incident follow-up',
        tags,
        params: FollowUpParams,
        response: { 200: FollowUpViewSchema, ...errorResponses(...READ_ERRORS, 'FOLLOW_UP_NOT_FOUND') },
      },
    },
    async (request) => {
      const { id } = request.params as Params;
      return incidents.followUpView(id);
    },
  );

  app.post(
    '/follow-ups/:id/report',
    {
      schema: {
        summary: 'Submit the incident report',
        tags,
        params: FollowUpParams,
        headers: CommandHeaders,
        body: ReportBody,
        response: commandErrors,
      },
    },
    async (request) => {
      const { id } = request.params as Params;
      const { report } = request.body as Static<typeof ReportBody>;
      const updateId = (request.headers as Headers)['idempotency-key'];
      return incidents.followUpCommand(id, 'submit the report of', submitReportUpdate, { actor: request.actor, report }, updateId);
    },
  );

  app.post(
    '/follow-ups/:id/post-mortem',
    {
      schema: {
        summary: 'Link the post-mortem',
        tags,
        params: FollowUpParams,
        headers: CommandHeaders,
        body: PostMortemBody,
        response: commandErrors,
      },
    },
    async (request) => {
      const { id } = request.params as Params;
      const { link } = request.body as Static<typeof PostMortemBody>;
      const updateId = (request.headers as Headers)['idempotency-key'];
      return incidents.followUpCommand(id, 'link the post-mortem of', submitPostMortemUpdate, { actor: request.actor, link }, updateId);
    },
  );

  app.post(
    '/follow-ups/:id/action-items',
    {
      schema: {
        summary: 'Add action items',
        tags,
        params: FollowUpParams,
        headers: CommandHeaders,
        body: ActionItemsBody,
        response: commandErrors,
      },
    },
    async (request) => {
      const { id } = request.params as Params;
      const { items } = request.body as Static<typeof ActionItemsBody>;
      const updateId = (request.headers as Headers)['idempotency-key'];
      return incidents.followUpCommand(id, 'add action items to', addActionItemsUpdate, { actor: request.actor, items }, updateId);
    },
  );
}
