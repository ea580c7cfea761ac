import { ApplicationFailure } from '@temporalio/common';
import type { AxiosInstance } from 'axios';
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

/**
 * Probes one configured HTTP health endpoint. An unexpected status, a timeout
 * or a refused connection is a failed result, not an error, so the workflow
 * records it instead of retrying.
 */
export async function probeHttp(deps: CheckDeps, request: CheckRequest): Promise<CheckResult> {
  const check = findCheck(deps.config, request.checkId, 'http');
  const url = new URL(check.path, deps.config.service.baseUrl).toString();
  const started = performance.now();
  const checkedAt = new Date().toISOString();

  try {
    const response = await deps.http.get(url, {
      timeout: durationToMs(check.timeout),
      validateStatus: () => true,
      maxRedirects: 0,
      responseType: 'text',
    });
    const latencyMs = Math.round(performance.now() - started);
    const ok = response.status === check.expectedStatus;
    return {
      checkId: check.id,
      kind: 'http',
      ok,
      status: response.status,
      latencyMs,
      checkedAt,
      ...(ok ? {} : { error: `expected HTTP ${check.expectedStatus}, received ${response.status}` }),
    };
  } catch (error) {
    return {
      checkId: check.id,
      kind: 'http',
      ok: false,
      latencyMs: Math.round(performance.now() - started),
      error: describeHttpError(error),
      checkedAt,
    };
  }
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

function findCheck<K extends CheckConfig['kind']>(
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
