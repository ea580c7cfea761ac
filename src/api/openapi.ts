import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

import type { IntegrationName } from '../config/alerts-schema.js';
import type { Config } from '../config/schema.js';
import type { Integration, IntegrationCredentials } from './integrations.js';
import { API_ERRORS } from './errors.js';

/**
 * Generates the OpenAPI 3 document from the route schemas and serves it at
 * `GET /openapi.json`, without authentication. Must be registered before
 * the routes it describes.
 */
export async function registerOpenApi(app: FastifyInstance, config: Config, integrations: ReadonlyMap<IntegrationName, Integration>): Promise<void> {
  const signatureSchemes: Record<string, { type: 'apiKey'; in: 'header'; name: string; description: string }> = {};
  for (const { name, credentials } of integrations.values()) {
    if (credentials?.kind !== 'hmac') continue;
    signatureSchemes[`${name}Signature`] = {
      type: 'apiKey',
      in: 'header',
      name: credentials.signatureHeader,
      description: `The ${name} integration's HMAC-SHA256 signature`,
    };
  }
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
          integrationToken: { type: 'http', scheme: 'bearer', description: "An alert integration's own token" },
          integrationBasic: { type: 'http', scheme: 'basic', description: "An alert integration's own user name and password" },
          ...signatureSchemes,
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

/**
 * Returns the security scheme an integration's route declares; undefined for
 * PagerDuty's routing key, which travels in the body.
 */
export function securitySchemeFor(name: IntegrationName, kind: IntegrationCredentials['kind'] | undefined): string | undefined {
  switch (kind) {
    case undefined:
      return 'engineerToken';
    case 'bearer':
      return 'integrationToken';
    case 'basic':
      return 'integrationBasic';
    case 'hmac':
      return `${name}Signature`;
    case 'routing-key':
      return undefined;
  }
}
