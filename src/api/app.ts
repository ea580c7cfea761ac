import type { Client } from '@temporalio/client';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

import type { Config } from '../config/schema.js';
import { identitiesFrom, identify, type ApiToken } from './auth.js';
import type { DevInbox } from './dev-inbox.js';
import { ApiError, ErrorBodySchema } from './errors.js';
import { IncidentService } from './incident-service.js';
import { integrationsFrom } from './integrations.js';
import { MaintenanceService } from './maintenance-service.js';
import { registerOpenApi } from './openapi.js';
import { describeValidationError } from './validation-message.js';
import { registerDevInboxRoutes } from './routes/dev-inbox.js';
import { registerFollowUpRoutes } from './routes/follow-ups.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerIncidentRoutes } from './routes/incidents.js';
import { registerMaintenanceRoutes } from './routes/maintenance.js';
import { registerRecoveryRoutes } from './routes/recovery.js';
import { registerStatusPageRoutes } from './routes/status-page.js';
import { StatusPageModelSource } from './status-page-model.js';
import { registerWebhookRoutes } from './routes/webhooks.js';

export interface AppDeps {
  config: Config;
  client: Client;
  /** Environment the integration secrets are read from; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
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
    /** The JSON body as received, for integrations that sign it. */
    rawBody?: Buffer;
  }
  interface FastifyContextConfig {
    /** Routes that need no bearer token. */
    public?: boolean;
  }
}

const MAX_PARAM_LENGTH = 500;

/** Builds the API without listening, so tests can use `inject`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger === undefined ? { logger: false } : { loggerInstance: deps.logger }),
    bodyLimit: deps.config.api.bodyLimitBytes,
    // Above every ID pattern (follow-up IDs reach 300 characters), so a long
    // ID gets the schema's 400 naming the parameter.
    maxParamLength: MAX_PARAM_LENGTH,
    // Errors the router raises before any route. The response comes from the
    // catalogue and does not echo the path.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const apiError =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new ApiError('INVALID_PARAMETER', `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`, { field: 'params' })
          : new ApiError('INVALID_REQUEST', 'the URL is malformed', { field: 'url' });
      void reply.status(apiError.statusCode).send(apiError.toBody());
    },
    ajv: { customOptions: { allErrors: false, coerceTypes: false, removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Every route takes JSON; any other body type gets 415 instead of a
  // confusing schema error. The JSON parser keeps the raw bytes, which an
  // integration's HMAC signature covers.
  app.removeContentTypeParser(['text/plain', 'application/json']);
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    request.rawBody = body as Buffer;
    void parseJson(request, (body as Buffer).toString('utf8'), done);
  });
  app.decorateRequest('actor', '');
  app.decorateRequest('rawBody', undefined);
  app.addSchema(ErrorBodySchema);
  const integrations = integrationsFrom(deps.config, deps.env ?? process.env);
  await registerOpenApi(app, deps.config, integrations);

  const identities = identitiesFrom(deps.config, deps.tokens);
  const identifyEngineer = (request: FastifyRequest) =>
    identify({ headers: request.headers, remoteAddress: request.socket.remoteAddress }, identities);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public === true) return;
    request.actor = identifyEngineer(request);
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
  const maintenance = new MaintenanceService(deps.client, deps.config);
  registerHealthRoutes(app, deps.client);
  registerWebhookRoutes(app, { config: deps.config, incidents, maintenance, integrations, identifyEngineer });
  registerMaintenanceRoutes(app, maintenance);
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
      return new ApiError('INVALID_JSON', 'body is empty or not valid JSON', { field: 'body' });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('BODY_TOO_LARGE', `body is larger than the limit of ${bodyLimitBytes} bytes (api.bodyLimitBytes)`, {
        field: 'body',
        limitBytes: bodyLimitBytes,
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('UNSUPPORTED_MEDIA_TYPE', 'headers.content-type must be application/json', { field: 'headers.content-type' });
    case 'FST_ERR_ROUTE_MISSING_CONTENT_TYPE':
      return new ApiError('UNSUPPORTED_MEDIA_TYPE', 'headers.content-type is missing; send application/json', {
        field: 'headers.content-type',
      });
    default:
      break;
  }
  // Fastify's other client errors keep their message under one code rather
  // than turning into a 500.
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new ApiError('INVALID_REQUEST', error.message, { fastifyCode: error.code });
  }
  if (error instanceof SyntaxError) {
    return new ApiError('INVALID_JSON', `body is not valid JSON: ${error.message}`, { field: 'body' });
  }
  return new ApiError('INTERNAL', 'internal error; see the API log', undefined, { cause: error });
}
