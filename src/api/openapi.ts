import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

import type { Config } from '../config/schema.js';
import { API_ERRORS } from './errors.js';

/**
 * Generates the OpenAPI 3 document from the route schemas and serves it at
 * `GET /openapi.json`, without authentication. Must be registered before
 * the routes it describes.
 */
export async function registerOpenApi(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'barq-incident API',
        version: '1',
        description:
          'Alert webhooks that open incidents, and the commands engineers send to them. ' +
          'Every error response has the ApiError body; its `code` is one of: ' +
          Object.entries(API_ERRORS)
            .map(([code, entry]) => `${code} (${entry.status})`)
            .join(', ') +
          '.',
      },
      servers: [{ url: config.api.publicUrl }],
      components: {
        securitySchemes: {
          engineerToken: { type: 'http', scheme: 'bearer', description: "An engineer's token or one from BARQ_API_TOKEN" },
        },
      },
      security: [{ engineerToken: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, index) => (typeof json['$id'] === 'string' ? json['$id'] : `schema-${index}`),
    },
  });

  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
}
