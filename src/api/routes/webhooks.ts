import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import type { IntegrationName } from '../../config/alerts-schema.js';
import type { Config } from '../../config/schema.js';
import { SEVERITIES } from '../../shared/incident.js';
import { acknowledgeUpdate } from '../../workflows/incident-messages.js';
import { BODY_ERRORS, ENGINEER_AUTH_ERRORS, ApiError, errorResponses, type ApiErrorCode } from '../errors.js';
import type { AlertAccepted, IncidentService } from '../incident-service.js';
import { checkAuthorizationHeader, checkRoutingKey, checkSignature, type Integration } from '../integrations.js';
import type { MaintenanceService } from '../maintenance-service.js';
import { securitySchemeFor } from '../openapi.js';
import { AlertmanagerWebhook, GrafanaWebhook, normalizeAlertmanager, normalizeGrafana } from '../sources/alertmanager.js';
import { AzureMonitorAlert, normalizeAzureMonitor } from '../sources/azure-monitor.js';
import {
  PagerDutyAccepted,
  PagerDutyEvent,
  normalizePagerDutyResolve,
  normalizePagerDutyTrigger,
  pagerDutyDedupKey,
  pagerDutyIncidentId,
} from '../sources/pagerduty.js';
import { PlainAlert, normalizePlainAlert } from '../sources/plain-json.js';
import { UNKNOWN_SERVICE, type NormalizedAlert } from '../sources/snapshot.js';
import { StringEnum } from './schemas.js';

const Accepted = Type.Object(
  {
    incidents: Type.Array(
      Type.Object({
        id: Type.String(),
        alertSeverity: StringEnum(SEVERITIES),
        alertStatus: StringEnum(['firing', 'resolved']),
        maintenanceWindowId: Type.Optional(Type.String()),
      }),
    ),
  },
  { description: 'The incident each alert was recorded on; empty when a resolved alert found no running incident' },
);

/** Actor recorded when a PagerDuty-format event acknowledges an incident. */
const PAGERDUTY_ACTOR = 'pagerduty-events';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The alert source a webhook route serves; it authenticates with its own credentials. */
    integration?: IntegrationName;
  }
}

interface Deps {
  config: Config;
  incidents: IncidentService;
  maintenance: MaintenanceService;
  integrations: ReadonlyMap<IntegrationName, Integration>;
  /** Identifies an engineer by token or SSO header; used by integrations without their own credentials. */
  identifyEngineer: (request: FastifyRequest) => string;
}

/**
 * Registers one webhook route per configured alert source. Each normalises
 * its payload to one alert; a firing alert opens or updates its incident
 * with `signalWithStart`, a resolved one reaches only a running incident.
 */
export function registerWebhookRoutes(app: FastifyInstance, deps: Deps): void {
  const defaultService = UNKNOWN_SERVICE;
  const route = (
    name: IntegrationName,
    url: string,
    body: TSchema,
    summary: string,
    handle: (request: FastifyRequest, reply: FastifyReply, integration: Integration) => Promise<unknown>,
    response: TSchema = Accepted,
  ) => {
    const integration = deps.integrations.get(name);
    if (integration === undefined) return;
    app.post(
      url,
      {
        config: { public: true, integration: name },
        schema: {
          summary,
          description: credentialsText(integration),
          tags: ['alerts'],
          security: securityOf(integration),
          body,
          response: { 202: response, ...errorResponses(...integrationErrors(integration)) },
        },
        onRequest: async (request) => {
          const { credentials } = integration;
          if (credentials === undefined) request.actor = deps.identifyEngineer(request);
          else checkAuthorizationHeader(name, credentials, request.headers.authorization);
        },
        preValidation: async (request) => {
          const { credentials } = integration;
          if (credentials?.kind === 'hmac') checkSignature(name, credentials, request.headers, request.rawBody ?? Buffer.alloc(0));
        },
        preHandler: async (request, reply) => {
          const retryAfter = integration.limiter.take();
          if (retryAfter === undefined) return;
          void reply.header('Retry-After', String(retryAfter));
          throw new ApiError('RATE_LIMITED', `the ${name} integration sent more than ${integration.config.rateLimit.perMinute} requests per minute; retry in ${retryAfter} s`, {
            retryAfterSeconds: retryAfter,
          });
        },
      },
      (request, reply) => handle(request, reply, integration),
    );
  };

  route('alertmanager', '/webhooks/alertmanager', AlertmanagerWebhook, 'Receive a Prometheus Alertmanager notification', (request, reply, integration) =>
    record(deps, request, reply, normalizeAlertmanager(request.body as AlertmanagerWebhook, integration.config.severity, defaultService)),
  );

  route('grafana', '/webhooks/grafana', GrafanaWebhook, 'Receive a Grafana alerting notification', (request, reply, integration) =>
    record(deps, request, reply, normalizeGrafana(request.body as GrafanaWebhook, integration.config.severity, defaultService)),
  );

  route('azureMonitor', '/webhooks/azure-monitor', AzureMonitorAlert, 'Receive an Azure Monitor alert (common alert schema)', (request, reply, integration) =>
    record(deps, request, reply, normalizeAzureMonitor(request.body as AzureMonitorAlert, integration.config.severity, defaultService)),
  );

  route('json', '/webhooks/json', PlainAlert, 'Receive a plain JSON alert', (request, reply, integration) =>
    record(deps, request, reply, normalizePlainAlert(request.body as PlainAlert, integration.config.severity, defaultService)),
  );

  route(
    'pagerduty',
    '/webhooks/pagerduty',
    PagerDutyEvent,
    'Receive an event in the PagerDuty Events API v2 format',
    async (request, reply, integration) => {
      const event = request.body as PagerDutyEvent;
      if (integration.credentials !== undefined) checkRoutingKey(integration.credentials, event.routing_key);
      const dedupKey = pagerDutyDedupKey(event);
      const { severity } = integration.config;
      const answer = (incident: { id: string } | undefined) =>
        reply.status(202).send({ status: 'success', message: 'Event processed', dedup_key: dedupKey, incident_id: incident?.id ?? null });

      if (event.event_action === 'trigger' && event.payload !== undefined) {
        const alert = normalizePagerDutyTrigger({ ...event, payload: event.payload }, dedupKey, severity, defaultService);
        return answer(await recordFiring(deps, request, alert));
      }
      if (event.event_action === 'resolve') {
        return answer(await recordOnRunning(deps, request, normalizePagerDutyResolve(dedupKey, severity, defaultService)));
      }
      return answer(await acknowledge(deps, request, pagerDutyIncidentId(dedupKey)));
    },
    PagerDutyAccepted,
  );
}

async function record(deps: Deps, request: FastifyRequest, reply: FastifyReply, alert: NormalizedAlert): Promise<unknown> {
  const opens = alert.snapshot.status === 'firing' && alert.opensIncident;
  const accepted = opens ? await recordFiring(deps, request, alert) : await recordOnRunning(deps, request, alert);
  return reply.status(202).send({ incidents: accepted === undefined ? [] : [accepted] });
}

async function recordFiring(deps: Deps, request: FastifyRequest, alert: NormalizedAlert): Promise<AlertAccepted> {
  const hold = await deps.maintenance.holdFor(alert);
  const accepted = await deps.incidents.recordFiring(alert, new Date(), hold);
  request.log.info(
    {
      incidentId: alert.incidentId,
      source: alert.snapshot.source,
      severity: alert.severity,
      ...(hold === undefined ? {} : { maintenanceWindowId: hold.windowId }),
    },
    'firing alert recorded',
  );
  return accepted;
}

async function recordOnRunning(deps: Deps, request: FastifyRequest, alert: NormalizedAlert): Promise<AlertAccepted | undefined> {
  const accepted = await deps.incidents.recordOnRunning(alert, new Date());
  const fields = { incidentId: alert.incidentId, source: alert.snapshot.source, alertStatus: alert.snapshot.status };
  if (accepted === undefined) request.log.info(fields, 'alert has no running incident; nothing opened');
  else request.log.info(fields, 'alert recorded on the running incident');
  return accepted;
}

/**
 * Acknowledges the incident for a PagerDuty-format acknowledge, as an
 * engineer's command would. An incident already acknowledged or closed, or
 * none at all, still gets 202 as from PagerDuty, because the sender has
 * nothing to fix.
 */
async function acknowledge(deps: Deps, request: FastifyRequest, incidentId: string): Promise<{ id: string } | undefined> {
  try {
    const view = await deps.incidents.command(incidentId, 'acknowledge', acknowledgeUpdate, { actor: PAGERDUTY_ACTOR });
    request.log.info({ incidentId, source: 'pagerduty' }, 'incident acknowledged by event');
    return { id: view.id };
  } catch (error) {
    if (error instanceof ApiError && (error.code === 'INCIDENT_NOT_FOUND' || error.code === 'INVALID_TRANSITION')) {
      request.log.info({ incidentId, source: 'pagerduty', reason: error.message }, 'acknowledge event changed nothing');
      return undefined;
    }
    throw error;
  }
}

function integrationErrors(integration: Integration): ApiErrorCode[] {
  const codes: ApiErrorCode[] = [...BODY_ERRORS, 'RATE_LIMITED', 'TEMPORAL_UNAVAILABLE'];
  if (integration.name === 'pagerduty') codes.push('COMMAND_NOT_CONFIRMED');
  const kind = integration.credentials?.kind;
  if (kind === undefined) codes.push(...ENGINEER_AUTH_ERRORS);
  else if (kind === 'hmac') codes.push('INVALID_SIGNATURE');
  else if (kind === 'routing-key') codes.push('INVALID_CREDENTIALS');
  else codes.push('MISSING_CREDENTIALS', 'INVALID_CREDENTIALS');
  return codes;
}

function securityOf(integration: Integration): Array<Record<string, string[]>> {
  const scheme = securitySchemeFor(integration.name, integration.credentials?.kind);
  return scheme === undefined ? [] : [{ [scheme]: [] }];
}

function credentialsText(integration: Integration): string {
  const auth = integration.config.auth;
  const limit = `At most ${integration.config.rateLimit.perMinute} requests per minute (burst ${integration.config.rateLimit.burst}); past it 429 with Retry-After.`;
  if (auth === undefined) return `Authenticates with an engineer's bearer token or one from BARQ_API_TOKEN. ${limit}`;
  switch (auth.kind) {
    case 'bearer':
      return `Authenticates with the integration's own bearer token. ${limit}`;
    case 'basic':
      return `Authenticates with the integration's own basic credentials. ${limit}`;
    case 'routing-key':
      return `Authenticates with the integration's routing_key in the body. ${limit}`;
    case 'hmac':
      return `Authenticates with the hex HMAC-SHA256 of the body in ${auth.signatureHeader ?? 'the signature header'}${
        auth.timestampHeader === undefined ? '' : `, computed over "<${auth.timestampHeader}>:<body>"`
      }. ${limit}`;
  }
}
