import { createHmac, timingSafeEqual } from 'node:crypto';

import type { IncomingHttpHeaders } from 'node:http';

import type { IntegrationAuthConfig, IntegrationConfig, IntegrationName } from '../config/alerts-schema.js';
import { ConfigError } from '../config/errors.js';
import type { Config } from '../config/schema.js';
import { durationToMs } from '../shared/duration.js';
import { sha256 } from './auth.js';
import { ApiError } from './errors.js';

/** An integration's credentials as read from the environment, kept only as digests or keys. */
export type IntegrationCredentials =
  | { kind: 'bearer'; digest: Buffer }
  | { kind: 'basic'; digest: Buffer }
  | { kind: 'routing-key'; digest: Buffer }
  | { kind: 'hmac'; secret: Buffer; signatureHeader: string; timestampHeader?: string; maxAgeMs: number };

/** One alert source as the API serves it. */
export interface Integration {
  name: IntegrationName;
  config: IntegrationConfig;
  /** Absent when the source presents an engineer's token instead. */
  credentials?: IntegrationCredentials;
  limiter: RateLimiter;
}

const DEFAULT_MAX_AGE = '5m';

/** Shortest secret accepted, as for BARQ_API_TOKEN; a basic-auth user name may be shorter. */
const MIN_SECRET_LENGTH = 16;

/**
 * Reads each configured integration's secrets from the environment. Unset,
 * empty or short secrets stop start-up, all named in one error, so a source
 * never runs unauthenticated or weakly authenticated by mistake.
 */
export function integrationsFrom(config: Config, env: NodeJS.ProcessEnv): Map<IntegrationName, Integration> {
  const integrations = new Map<IntegrationName, Integration>();
  const problems: string[] = [];
  for (const [name, integration] of Object.entries(config.alerts.integrations) as Array<[IntegrationName, IntegrationConfig | undefined]>) {
    if (integration === undefined) continue;
    const { perMinute, burst } = integration.rateLimit;
    const credentials = integration.auth === undefined ? undefined : credentialsFrom(name, integration.auth, env, problems);
    integrations.set(name, {
      name,
      config: integration,
      ...(credentials === undefined ? {} : { credentials }),
      limiter: new RateLimiter(perMinute, burst),
    });
  }
  if (problems.length > 0) {
    throw new ConfigError(problems.join(', '), undefined, 'the integration secrets that alerts.integrations.*.auth names', 'the environment');
  }
  return integrations;
}

function credentialsFrom(name: string, auth: IntegrationAuthConfig, env: NodeJS.ProcessEnv, problems: string[]): IntegrationCredentials {
  const secret = (variable: string | undefined, minLength = MIN_SECRET_LENGTH): string => {
    const value = variable === undefined ? undefined : env[variable];
    if (variable === undefined) problems.push(`alerts.integrations.${name}.auth`);
    else if (value === undefined || value === '') problems.push(`${variable} (unset, for ${name})`);
    else if (value.length < minLength) problems.push(`${variable} (${value.length} characters, at least ${minLength} expected, for ${name})`);
    return value ?? '';
  };
  switch (auth.kind) {
    case 'bearer':
      return { kind: 'bearer', digest: sha256(secret(auth.tokenEnv)) };
    case 'basic':
      return { kind: 'basic', digest: sha256(`${secret(auth.usernameEnv, 1)}:${secret(auth.passwordEnv)}`) };
    case 'routing-key':
      return { kind: 'routing-key', digest: sha256(secret(auth.keyEnv)) };
    case 'hmac':
      return {
        kind: 'hmac',
        secret: Buffer.from(secret(auth.secretEnv), 'utf8'),
        signatureHeader: (auth.signatureHeader ?? '').toLowerCase(),
        ...(auth.timestampHeader === undefined ? {} : { timestampHeader: auth.timestampHeader.toLowerCase() }),
        maxAgeMs: durationToMs(auth.maxAge ?? DEFAULT_MAX_AGE),
      };
  }
}

/**
 * Checks a bearer token or basic credentials in the Authorization header.
 * Digests of equal length are compared in constant time, so the response
 * time reveals nothing about how much of a secret was right.
 */
export function checkAuthorizationHeader(name: string, credentials: IntegrationCredentials, header: string | undefined): void {
  if (credentials.kind !== 'bearer' && credentials.kind !== 'basic') return;
  const scheme = credentials.kind === 'bearer' ? 'Bearer' : 'Basic';
  if (header === undefined || header === '') {
    throw new ApiError('MISSING_CREDENTIALS', `headers.authorization is missing; the ${name} integration sends "Authorization: ${scheme} ..."`, {
      field: 'headers.authorization',
      scheme,
    });
  }
  const match = new RegExp(`^${scheme}\\s+(\\S+)$`, 'i').exec(header);
  let presented: string | undefined = match?.[1];
  if (presented !== undefined && credentials.kind === 'basic') presented = decodeBasic(presented);
  if (presented === undefined || !timingSafeEqual(sha256(presented), credentials.digest)) {
    throw new ApiError('INVALID_CREDENTIALS', `headers.authorization does not contain the ${name} integration's ${scheme.toLowerCase()} credentials`, {
      field: 'headers.authorization',
      scheme,
    });
  }
}

/** Checks PagerDuty's `routing_key`, which is the integration's credential. */
export function checkRoutingKey(credentials: IntegrationCredentials, routingKey: string): void {
  if (credentials.kind !== 'routing-key') return;
  if (!timingSafeEqual(sha256(routingKey), credentials.digest)) {
    throw new ApiError('INVALID_CREDENTIALS', 'body.routing_key is not the routing key of the pagerduty integration', { field: 'body.routing_key' });
  }
}

/**
 * Checks the hex HMAC-SHA256 signature of the raw body, or of
 * `timestamp:body` when the integration sends a timestamp header (Grafana's
 * scheme). A timestamp further than `maxAge` from now is refused, so a
 * captured request cannot be replayed later.
 */
export function checkSignature(
  name: string,
  credentials: IntegrationCredentials,
  headers: IncomingHttpHeaders,
  rawBody: Buffer,
  now = Date.now(),
): void {
  if (credentials.kind !== 'hmac') return;
  const signatureField = `headers.${credentials.signatureHeader}`;
  const signature = single(headers[credentials.signatureHeader]);
  if (signature === undefined || signature === '') {
    throw new ApiError('INVALID_SIGNATURE', `${signatureField} is missing; the ${name} integration signs every request`, { field: signatureField });
  }

  const hmac = createHmac('sha256', credentials.secret);
  if (credentials.timestampHeader !== undefined) {
    const timestampField = `headers.${credentials.timestampHeader}`;
    const timestamp = single(headers[credentials.timestampHeader]);
    if (timestamp === undefined || timestamp === '') {
      throw new ApiError('INVALID_SIGNATURE', `${timestampField} is missing; expected the signing time in Unix seconds`, { field: timestampField });
    }
    if (!/^[0-9]{1,11}$/.test(timestamp)) {
      throw new ApiError('INVALID_SIGNATURE', `${timestampField} is ${JSON.stringify(timestamp.slice(0, 40))}; expected the signing time in Unix seconds`, {
        field: timestampField,
      });
    }
    const skewSeconds = Math.round(Math.abs(now - Number(timestamp) * 1000) / 1000);
    if (skewSeconds * 1000 > credentials.maxAgeMs) {
      throw new ApiError(
        'INVALID_SIGNATURE',
        `${timestampField} is ${skewSeconds} s away from the API's clock; expected within ${credentials.maxAgeMs / 1000} s`,
        { field: timestampField, skewSeconds },
      );
    }
    hmac.update(`${timestamp}:`);
  }
  const expected = hmac.update(rawBody).digest();
  const presented = /^[0-9a-fA-F]{64}$/.test(signature) ? Buffer.from(signature, 'hex') : undefined;
  if (presented === undefined || !timingSafeEqual(presented, expected)) {
    const signed = credentials.timestampHeader === undefined ? 'the request body' : `"<${credentials.timestampHeader}>:<request body>"`;
    throw new ApiError('INVALID_SIGNATURE', `${signatureField} does not match the hex HMAC-SHA256 of ${signed}`, { field: signatureField });
  }
}

/**
 * A token bucket: `burst` requests at once, refilled at `perMinute`. One per
 * integration, in this process; several API replicas each allow the rate.
 */
export class RateLimiter {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.updatedAt = now();
  }

  /** Takes one request; returns undefined when allowed, else the seconds until one is. */
  take(): number | undefined {
    const now = this.now();
    const perMs = this.perMinute / 60_000;
    this.tokens = Math.min(this.burst, this.tokens + (now - this.updatedAt) * perMs);
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / perMs / 1000));
  }
}

function decodeBasic(encoded: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return undefined;
  return Buffer.from(encoded, 'base64').toString('utf8');
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
