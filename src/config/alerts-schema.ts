import { Type, type Static } from '@sinclair/typebox';

import { Duration } from './common-schema.js';

const SeverityName = Type.Union([Type.Literal('P0'), Type.Literal('P1'), Type.Literal('P2'), Type.Literal('P3')], {
  description: 'one of P0, P1, P2, P3',
});

const EnvName = Type.String({
  pattern: '^[A-Z_][A-Z0-9_]{0,127}$',
  description: 'an environment variable name of upper-case letters, digits and _',
});

/**
 * Mapping from an integration's alert fields to a severity. A field among `labels`
 * whose value is already P0..P3 wins; otherwise the first one whose
 * lower-cased value is in `values` decides; otherwise `default`.
 */
const SeverityMapping = Type.Object(
  {
    labels: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    values: Type.Record(Type.String(), SeverityName),
    default: SeverityName,
  },
  { additionalProperties: false },
);

/**
 * Credentials an integration must present instead of an engineer's token.
 * Secrets come from the API's environment. `kind` selects the fields that
 * apply: bearer (tokenEnv), basic (usernameEnv, passwordEnv), hmac
 * (secretEnv, signatureHeader, optional timestampHeader and maxAge) and
 * routing-key (keyEnv, compared with PagerDuty's `routing_key` in the body).
 */
const IntegrationAuth = Type.Object(
  {
    kind: Type.Union([Type.Literal('bearer'), Type.Literal('basic'), Type.Literal('hmac'), Type.Literal('routing-key')], {
      description: 'bearer, basic, hmac or routing-key',
    }),
    tokenEnv: Type.Optional(EnvName),
    usernameEnv: Type.Optional(EnvName),
    passwordEnv: Type.Optional(EnvName),
    secretEnv: Type.Optional(EnvName),
    keyEnv: Type.Optional(EnvName),
    /** Header with the hex HMAC-SHA256 of the body, or of `timestamp:body` when a timestamp header is set. */
    signatureHeader: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$', description: 'an HTTP header name' })),
    /** Header with the Unix time in seconds of the signature. */
    timestampHeader: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$', description: 'an HTTP header name' })),
    /** Oldest (or furthest ahead) signed timestamp accepted; defaults to 5m. */
    maxAge: Type.Optional(Duration),
  },
  { additionalProperties: false },
);

const RateLimit = Type.Object(
  {
    /** Requests refilled per minute. */
    perMinute: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    /** Requests accepted at once before the rate applies. */
    burst: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  },
  { additionalProperties: false },
);

const Integration = Type.Object(
  {
    severity: SeverityMapping,
    rateLimit: RateLimit,
    /** Without it, the integration presents an engineer's token or one from BARQ_API_TOKEN. */
    auth: Type.Optional(IntegrationAuth),
  },
  { additionalProperties: false },
);

/** Alert sources and how alerts turn into incidents. An integration left out has no route. */
export const AlertsSection = Type.Object(
  {
    /** Time alerts must stay resolved before an incident resolves or requests confirmation. */
    cooldown: Duration,
    integrations: Type.Object(
      {
        alertmanager: Type.Optional(Integration),
        grafana: Type.Optional(Integration),
        azureMonitor: Type.Optional(Integration),
        pagerduty: Type.Optional(Integration),
        json: Type.Optional(Integration),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const MaintenanceSection = Type.Object(
  {
    /** Maximum length of a window, so that none lasts forever. */
    maxDuration: Duration,
    /** How long before its end the author is reminded in #incident-response. */
    remindBefore: Duration,
    /** How far ahead a window may start. */
    maxLeadTime: Duration,
  },
  { additionalProperties: false },
);

export type IntegrationConfig = Static<typeof Integration>;
export type IntegrationAuthConfig = Static<typeof IntegrationAuth>;
export type SeverityMappingConfig = Static<typeof SeverityMapping>;
export type IntegrationName = keyof Static<typeof AlertsSection>['integrations'];
