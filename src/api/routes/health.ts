import type { Client } from '@temporalio/client';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

const Ready = Type.Object({ status: Type.Literal('ready'), temporal: Type.Literal('reachable') });
const NotReady = Type.Object({ status: Type.Literal('not-ready'), temporal: Type.Literal('unreachable') });

/** Liveness means the process serves HTTP. Readiness also requires Temporal to respond. */
export function registerHealthRoutes(app: FastifyInstance, client: Client): void {
  const tags = ['health'];
  app.get(
    '/health/live',
    { config: { public: true }, schema: { summary: 'Liveness', tags, security: [], response: { 200: Type.Object({ status: Type.Literal('live') }) } } },
    async () => ({ status: 'live' }),
  );

  app.get(
    '/health/ready',
    { config: { public: true }, schema: { summary: 'Readiness: Temporal answers', tags, security: [], response: { 200: Ready, 503: NotReady } } },
    async (request, reply) => {
      try {
        await client.connection.withDeadline(Date.now() + 3000, () => client.workflowService.getSystemInfo({}));
        return { status: 'ready', temporal: 'reachable' };
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed: Temporal did not respond');
        return reply.status(503).send({ status: 'not-ready', temporal: 'unreachable' });
      }
    },
  );
}
