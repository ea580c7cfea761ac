import { ApplicationFailure } from '@temporalio/common';
import { AxiosError, type AxiosInstance } from 'axios';
import { Redis } from 'ioredis';

import type { CheckConfig, Config } from '../config/schema.js';
import { durationToMs } from '../shared/duration.js';
import type { CheckResult } from '../shared/incident.js';
import { describeHttpError } from './http-errors.js';

export interface CheckRequest {
  incidentId: string;
  checkId: string;
}

export interface CheckDeps {
  config: Config;
  http: AxiosInstance;
}

/** Maximum response body, in bytes, that an HTTP check reads. A longer body fails the check. */
const MAX_BODY_BYTES = 64 * 1024;

/** Length, in characters, of the body excerpt kept in a failed expected-body result. */
const BODY_EXCERPT_CHARS = 200;

/**
 * Probes one configured HTTP health endpoint: the status must match and, when
 * `expectedBody` is set, the body must contain that text. An unexpected
 * response, a timeout or a refused connection is a failed result, not an
 * error, so the workflow records it instead of retrying.
 */
export async function probeHttp(deps: CheckDeps, request: CheckRequest): Promise<CheckResult> {
  const check = findCheck(deps.config, request.checkId, 'http');
  const url = new URL(check.path, deps.config.service.baseUrl).toString();
  const started = performance.now();
  const checkedAt = new Date().toISOString();

  try {
    const response = await deps.http.get<unknown>(url, {
      timeout: durationToMs(check.timeout),
      validateStatus: () => true,
      maxRedirects: 0,
      maxContentLength: MAX_BODY_BYTES,
      responseType: 'text',
    });
    const latencyMs = Math.round(performance.now() - started);

    const failures: string[] = [];
    if (response.status !== check.expectedStatus) {
      failures.push(`expected HTTP ${check.expectedStatus}, received ${response.status}`);
    }
    const body = typeof response.data === 'string' ? response.data : '';
    const bodyMissesText = check.expectedBody !== undefined && !body.includes(check.expectedBody);
    if (bodyMissesText) failures.push(`expected body to contain ${JSON.stringify(check.expectedBody)}`);

    const ok = failures.length === 0;
    return {
      checkId: check.id,
      kind: 'http',
      ok,
      status: response.status,
      ...(bodyMissesText ? { bodyExcerpt: body.slice(0, BODY_EXCERPT_CHARS) } : {}),
      latencyMs,
      checkedAt,
      ...(ok ? {} : { error: failures.join(', and ') }),
    };
  } catch (error) {
    return {
      checkId: check.id,
      kind: 'http',
      ok: false,
      latencyMs: Math.round(performance.now() - started),
      error: isBodyTooLarge(error) ? `response body larger than ${MAX_BODY_BYTES / 1024} KiB` : describeHttpError(error),
      checkedAt,
    };
  }
}

/** axios rejects a body over `maxContentLength` with this message and no response. */
function isBodyTooLarge(error: unknown): boolean {
  return error instanceof AxiosError && error.message.startsWith('maxContentLength size of');
}

/** Sends `PING` to the configured Redis on a short-lived connection. */
export async function pingRedis(deps: CheckDeps, request: CheckRequest): Promise<CheckResult> {
  const check = findCheck(deps.config, request.checkId, 'redis');
  const timeoutMs = durationToMs(check.timeout);
  const started = performance.now();
  const checkedAt = new Date().toISOString();

  const redis = new Redis(deps.config.redis.url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // ioredis emits the socket error (ECONNREFUSED, ...) here and then rejects
  // with a generic "Connection is closed", so keep the first one for the result.
  let connectionError: Error | undefined;
  redis.on('error', (error: Error) => {
    connectionError ??= error;
  });

  try {
    await redis.connect();
    const reply = await redis.ping();
    const latencyMs = Math.round(performance.now() - started);
    const ok = reply === 'PONG';
    return {
      checkId: check.id,
      kind: 'redis',
      ok,
      latencyMs,
      checkedAt,
      ...(ok ? {} : { error: `expected PONG, received ${String(reply)}` }),
    };
  } catch (error) {
    const failure: unknown = connectionError ?? error;
    return {
      checkId: check.id,
      kind: 'redis',
      ok: false,
      latencyMs: Math.round(performance.now() - started),
      error: failure instanceof Error ? failure.message : String(failure),
      checkedAt,
    };
  } finally {
    redis.disconnect();
  }
}

/**
 * Returns the configured check with this ID and kind. Throws a non-retryable
 * `UnknownCheck` failure when there is none, because a retry cannot fix it.
 */
export function findCheck<K extends CheckConfig['kind']>(
  config: Config,
  checkId: string,
  kind: K,
): Extract<CheckConfig, { kind: K }> {
  const check = config.checks.find((candidate) => candidate.id === checkId);
  if (check === undefined || check.kind !== kind) {
    const known = config.checks.filter((candidate) => candidate.kind === kind).map((candidate) => candidate.id);
    throw ApplicationFailure.create({
      type: 'UnknownCheck',
      nonRetryable: true,
      message: `no ${kind} check with ID ${checkId} in the configuration; known: ${known.join(', ') || 'none'}`,
    });
  }
  return check as Extract<CheckConfig, { kind: K }>;
}
