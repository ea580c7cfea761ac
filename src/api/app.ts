import type { Client } from '@temporalio/client';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';

import type { Config } from '../config/schema.js';
import { identitiesFrom, identify, type ApiToken } from './auth.js';
import type { DevInbox } from './dev-inbox.js';
import { ApiError } from './errors.js';
import { IncidentService } from './incident-service.js';
import { describeValidationError } from './validation-message.js';
import { registerDevInboxRoutes } from './routes/dev-inbox.js';
import { registerFollowUpRoutes } from './routes/follow-ups.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerIncidentRoutes } from './routes/incidents.js';
import { registerRecoveryRoutes } from './routes/recovery.js';
import { registerStatusPageRoutes } from './routes/status-page.js';
import { StatusPageModelSource } from './status-page-model.js';
import { registerWebhookRoutes } from './routes/webhooks.js';

export interface AppDeps {
  config: Config;
  client: Client;
  /** Tokens from BARQ_API_TOKEN, accepted besides the engineers' tokens in the configuration. */
  tokens: readonly ApiToken[];
  /** Present only when the development inbox is enabled. */
  devInbox?: DevInbox;
  /** A pino logger; without one the app logs nothing. */
  logger?: FastifyBaseLogger;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Identity behind the request's bearer token; empty on public routes. */
    actor: string;
  }
  interface FastifyContextConfig {
    /** Routes that need no bearer token. */
    public?: boolean;
  }
}

/** Builds the API without listening, so tests can use `inject`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger === undefined ? { logger: false } : { loggerInstance: deps.logger }),
    bodyLimit: deps.config.api.bodyLimitBytes,
    ajv: { customOptions: { allErrors: false, coerceTypes: false, removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Every route takes JSON; any other body type gets 415 instead of a
  // confusing schema error.
  app.removeContentTypeParser(['text/plain']);
  app.decorateRequest('actor', '');

  const identities = identitiesFrom(deps.config, deps.tokens);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public === true) return;
    request.actor = identify({ headers: request.headers, remoteAddress: request.socket.remoteAddress }, identities);
  });

  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    const apiError = toApiError(error, deps.config.api.bodyLimitBytes);
    if (apiError.statusCode >= 500) {
      request.log.error({ err: error }, 'request failed');
    } else {
      request.log.info({ code: apiError.code, message: apiError.message }, 'request rejected');
    }
    return reply.status(apiError.statusCode).send(apiError.toBody());
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError('ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
    return reply.status(error.statusCode).send(error.toBody());
  });

  const incidents = new IncidentService(deps.client, deps.config);
  registerHealthRoutes(app, deps.client);
  registerWebhookRoutes(app, incidents, deps.config);
  registerIncidentRoutes(app, incidents, deps.config);
  registerRecoveryRoutes(app, incidents, deps.config);
  registerStatusPageRoutes(app, incidents, new StatusPageModelSource(deps.client, deps.config));
  registerFollowUpRoutes(app, incidents);
  if (deps.devInbox !== undefined) registerDevInboxRoutes(app, deps.devInbox);

  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;

/** Maps Fastify's own errors and schema failures to the API's error catalogue. */
function toApiError(error: FastifyError | ApiError, bodyLimitBytes: number): ApiError {
  if (error instanceof ApiError) return error;

  if (error.validation !== undefined && error.validation.length > 0) {
    const [first] = error.validation;
    const context = error.validationContext ?? 'body';
    const code = context === 'body' ? 'INVALID_BODY' : 'INVALID_PARAMETER';
    if (first === undefined) return new ApiError(code, `${context} is invalid`);
    const { field, reason } = describeValidationError(context, first);
    return new ApiError(code, `${field} ${reason}`, { field, ...first.params });
  }

  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('INVALID_JSON', 'request body is empty or not valid JSON');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('BODY_TOO_LARGE', `request body is larger than the limit of ${bodyLimitBytes} bytes`, {
        limitBytes: bodyLimitBytes,
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('UNSUPPORTED_MEDIA_TYPE', 'request body must be application/json');
    default:
      break;
  }
  if (error instanceof SyntaxError) {
    return new ApiError('INVALID_JSON', `request body is not valid JSON: ${error.message}`);
  }
  return new ApiError('INTERNAL', 'internal error; see the API log', undefined, { cause: error });
}
