import { createHash, timingSafeEqual } from 'node:crypto';

import type { IncomingHttpHeaders } from 'node:http';

import { ConfigError } from '../config/errors.js';
import type { Config } from '../config/schema.js';
import { ApiError } from './errors.js';

/** A bearer token and the identity recorded for whoever presents it. */
export interface ApiToken {
  identity: string;
  digest: Buffer;
}

const MIN_TOKEN_LENGTH = 16;

/**
 * Parses `BARQ_API_TOKEN`: a comma-separated list of `token` or
 * `identity=token` entries. A bare token is recorded on timelines as
 * `token-` plus the first 8 hex digits of its SHA-256, never as itself.
 */
export function parseApiTokens(text: string, variable = 'BARQ_API_TOKEN'): ApiToken[] {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new ConfigError(variable, '(empty)', 'one or more tokens', 'the environment');

  return entries.map((entry, index) => {
    const separator = entry.indexOf('=');
    const identity = separator > 0 ? entry.slice(0, separator) : undefined;
    const token = separator > 0 ? entry.slice(separator + 1) : entry;
    if (token.length < MIN_TOKEN_LENGTH) {
      throw new ConfigError(
        `${variable} entry ${index + 1}`,
        `(${token.length} characters)`,
        `a token of at least ${MIN_TOKEN_LENGTH} characters`,
        'the environment',
      );
    }
    if (identity !== undefined && !/^[A-Za-z0-9._@-]{1,64}$/.test(identity)) {
      throw new ConfigError(`${variable} entry ${index + 1}`, identity, 'an identity of letters, digits and . _ @ -', 'the environment');
    }
    const digest = sha256(token);
    return { identity: identity ?? `token-${digest.toString('hex').slice(0, 8)}`, digest };
  });
}

/** Everything that decides who sent a request. */
export interface Identities {
  tokens: readonly ApiToken[];
  /** IDs of the engineers in the configuration; an SSO identity must be one of them when any are listed. */
  engineerIds: ReadonlySet<string>;
  trustedProxy?: { identityHeader: string; addresses: ReadonlySet<string> };
}

/**
 * Combines the engineers' token digests from the configuration with the
 * tokens from BARQ_API_TOKEN, and the trusted SSO proxy if one is named.
 */
export function identitiesFrom(config: Config, envTokens: readonly ApiToken[] = []): Identities {
  const engineers = config.auth?.engineers ?? [];
  const configTokens = engineers.flatMap((engineer) =>
    engineer.tokenSha256 === undefined ? [] : [{ identity: engineer.id, digest: Buffer.from(engineer.tokenSha256, 'hex') }],
  );
  const proxy = config.auth?.trustedProxy;
  return {
    tokens: [...configTokens, ...envTokens],
    engineerIds: new Set(engineers.map((engineer) => engineer.id)),
    ...(proxy === undefined
      ? {}
      : { trustedProxy: { identityHeader: proxy.identityHeader, addresses: new Set(proxy.addresses.map(normalizeAddress)) } }),
  };
}

/** True when no credential at all would be accepted, so the API must not start. */
export function acceptsNobody(identities: Identities): boolean {
  return identities.tokens.length === 0 && identities.trustedProxy === undefined;
}

/**
 * Returns the identity of the engineer behind a request: the identity header
 * when the request comes from the trusted SSO proxy, otherwise the bearer
 * token. The identity header from any other address is rejected, so a
 * caller cannot choose its identity by setting that header.
 */
export function identify(
  request: { headers: IncomingHttpHeaders; remoteAddress: string | undefined },
  identities: Identities,
): string {
  const proxy = identities.trustedProxy;
  const asserted = proxy === undefined ? undefined : request.headers[proxy.identityHeader];
  if (proxy !== undefined && asserted !== undefined) {
    if (!proxy.addresses.has(normalizeAddress(request.remoteAddress ?? ''))) {
      throw new ApiError('UNTRUSTED_IDENTITY', `header ${proxy.identityHeader} is accepted only from the SSO proxy's addresses`);
    }
    const identity = Array.isArray(asserted) ? asserted[0] : asserted;
    if (identity === undefined || !/^[A-Za-z0-9._@-]{1,64}$/.test(identity)) {
      throw new ApiError('UNTRUSTED_IDENTITY', `header ${proxy.identityHeader} must hold one identity of letters, digits and . _ @ -`);
    }
    if (identities.engineerIds.size > 0 && !identities.engineerIds.has(identity)) {
      throw new ApiError('UNKNOWN_ENGINEER', `${identity} is not among the engineers in the configuration (auth.engineers)`);
    }
    return identity;
  }
  return authenticate(request.headers.authorization, identities.tokens);
}

/** `::ffff:127.0.0.1` and `127.0.0.1` are one address. */
function normalizeAddress(address: string): string {
  return address.toLowerCase().replace(/^::ffff:(?=[0-9.]+$)/, '');
}

/**
 * Returns the identity behind an `Authorization` header. Every token is
 * compared in constant time so the response time does not reveal a prefix.
 */
export function authenticate(header: string | undefined, tokens: readonly ApiToken[]): string {
  if (header === undefined || header === '') {
    throw new ApiError('MISSING_TOKEN', 'headers.authorization is missing; send "Authorization: Bearer <token>"', {
      field: 'headers.authorization',
    });
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (match?.[1] === undefined) {
    throw new ApiError('INVALID_TOKEN', 'headers.authorization is not "Bearer <token>"', { field: 'headers.authorization' });
  }

  const presented = sha256(match[1]);
  let identity: string | undefined;
  for (const token of tokens) {
    if (timingSafeEqual(presented, token.digest)) identity = token.identity;
  }
  if (identity === undefined) {
    throw new ApiError('INVALID_TOKEN', "headers.authorization contains a bearer token that is not an engineer's or one from BARQ_API_TOKEN", {
      field: 'headers.authorization',
    });
  }
  return identity;
}

/** Returns the SHA-256 digest of `text`; secrets are compared as digests of equal length. */
export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
