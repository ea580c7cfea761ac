import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';

/** Liveness means the process serves HTTP. Readiness also requires Temporal to respond. */
export function registerHealthRoutes(app: FastifyInstance, client: Client): void {
  app.get('/health/live', { config: { public: true } }, async () => ({ status: 'live' }));

  app.get('/health/ready', { config: { public: true } }, async (request, reply) => {
    try {
      await client.connection.withDeadline(Date.now() + 3000, () => client.workflowService.getSystemInfo({}));
      return { status: 'ready', temporal: 'reachable' };
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed: Temporal did not respond');
      return reply.status(503).send({ status: 'not-ready', temporal: 'unreachable' });
    }
  });
}
