import { createHash, timingSafeEqual } from 'node:crypto';

import { ConfigError } from '../config/errors.js';
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

/**
 * Returns the identity behind an `Authorization` header. Every token is
 * compared in constant time so the response time does not reveal a prefix.
 */
export function authenticate(header: string | undefined, tokens: readonly ApiToken[]): string {
  if (header === undefined || header === '') {
    throw new ApiError('MISSING_TOKEN', 'missing Authorization header; send "Authorization: Bearer <token>"');
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (match?.[1] === undefined) {
    throw new ApiError('INVALID_TOKEN', 'invalid Authorization header; expected "Bearer <token>"');
  }

  const presented = sha256(match[1]);
  let identity: string | undefined;
  for (const token of tokens) {
    if (timingSafeEqual(presented, token.digest)) identity = token.identity;
  }
  if (identity === undefined) throw new ApiError('INVALID_TOKEN', 'invalid bearer token');
  return identity;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
