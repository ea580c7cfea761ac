import { activityInfo, heartbeat, log, sleep } from '@temporalio/activity';
import type { AxiosInstance } from 'axios';
import { Redis } from 'ioredis';

import type { Config } from '../config/schema.js';
import { translateHttpError } from './http-errors.js';
import { isRedisAuthError, redactRedisUrl, translateRedisError } from './redis-errors.js';

export interface RedisDeps {
  config: Config;
  http: AxiosInstance;
}

export interface InspectRedisRequest {
  incidentId: string;
}

/** Key counts of one Redis database, from the `# Keyspace` section of `INFO`. */
export interface RedisKeyspace {
  database: number;
  keys: number;
  expires: number;
}

/** The fields of Redis `INFO` that the runbook looks at. */
export interface RedisInfo {
  redisVersion: string;
  usedMemoryBytes: number;
  usedMemoryHuman: string;
  /** `maxmemory`, where 0 means that Redis has no memory limit. */
  maxMemoryBytes: number;
  maxMemoryHuman: string;
  connectedClients: number;
  blockedClients: number;
  uptimeSeconds: number;
  /** Databases that contain keys, because `INFO` omits empty ones. */
  keyspace: RedisKeyspace[];
}

/** Outcome of `inspectRedis`, with `info` when Redis replied and `error` when it did not. */
export interface RedisInspection {
  ok: boolean;
  /** Round trip of a `PING`, or the time until the failure when `ok` is false. */
  latencyMs: number;
  checkedAt: string;
  info?: RedisInfo;
  error?: string;
}

export interface FlushRedisRequest {
  incidentId: string;
  /** Run that requests the flush. With the incident ID it forms the warm-up idempotency key. */
  runId: string;
  /** Time in milliseconds to wait for keys in Redis after the warm-up call. Defaults to 60 s. */
  warmUpTimeoutMs?: number;
}

/** Outcome of `flushRedisAndWarmUp`. Key counts are `DBSIZE` of the database in `redis.url`. */
export interface FlushRedisResult {
  keysBefore: number;
  keysAfterFlush: number;
  keysAfterWarmUp: number;
  /** True when the database held keys again before the warm-up timeout. */
  warmedUp: boolean;
  warmUpHttpStatus: number;
}

/** Connect and command timeout of the inspection connection. */
const INSPECT_TIMEOUT_MS = 5_000;
/**
 * Command timeout of the flush connection. A synchronous `FLUSHALL` blocks
 * Redis while it frees the memory, which takes seconds on a large data set.
 */
const FLUSH_COMMAND_TIMEOUT_MS = 60_000;
const DEFAULT_WARM_UP_TIMEOUT_MS = 60_000;
const WARM_UP_POLL_INTERVAL_MS = 500;
const WARM_UP_PATH = '/admin/cache/warmup';

/**
 * Reads Redis `INFO` and the `PING` latency on a short-lived connection. A
 * refused or timed-out connection is a failed result with the socket error,
 * not an error, so the workflow records it. Rejected credentials throw a
 * non-retryable `RedisAuthFailed`, because only a configuration change fixes them.
 */
export async function inspectRedis(deps: RedisDeps, request: InspectRedisRequest): Promise<RedisInspection> {
  const redisUrl = deps.config.redis.url;
  const checkedAt = new Date().toISOString();
  const started = performance.now();
  const connection = openRedis(redisUrl, { connectTimeoutMs: INSPECT_TIMEOUT_MS, commandTimeoutMs: INSPECT_TIMEOUT_MS });

  try {
    await connection.redis.connect();
    const pingStarted = performance.now();
    await connection.redis.ping();
    const latencyMs = Math.round(performance.now() - pingStarted);

    const info = parseRedisInfo(await connection.redis.info());
    log.info('redis inspected', {
      incidentId: request.incidentId,
      usedMemory: info.usedMemoryHuman,
      connectedClients: info.connectedClients,
      latencyMs,
    });
    return { ok: true, latencyMs, checkedAt, info };
  } catch (error) {
    const failure: unknown = connection.firstError() ?? error;
    if (isRedisAuthError(failure)) throw translateRedisError(failure, redisUrl);

    const message = failure instanceof Error ? failure.message : String(failure);
    log.warn('redis inspection failed', { incidentId: request.incidentId, redis: redactRedisUrl(redisUrl), error: message });
    return { ok: false, latencyMs: Math.round(performance.now() - started), checkedAt, error: message };
  } finally {
    connection.redis.disconnect();
  }
}

/**
 * Progress of `flushRedisAndWarmUp`, recorded in its heartbeat details. Temporal
 * hands the last details to the next attempt, which then skips the steps
 * already done instead of flushing a second time.
 */
export interface FlushProgress {
  keysBefore: number;
  keysAfterFlush: number;
  /** Set once the BARQ API has accepted the warm-up request. */
  warmUpHttpStatus?: number;
}

/**
 * Empties every Redis database with `FLUSHALL`, requests a cache warm-up
 * from the BARQ API, then polls `DBSIZE` until the database holds keys again or
 * `warmUpTimeoutMs` passes. Destructive: run it only after an engineer has
 * approved the flush for this incident.
 *
 * A retry resumes after the last step recorded in the heartbeat details, so
 * a failed warm-up call does not lead to a second flush. A worker that dies
 * before its heartbeat reaches Temporal does. Redis faults are retried and rejected Redis
 * credentials are not (see `translateRedisError`). A 4xx from the warm-up
 * endpoint is a non-retryable `DownstreamRejected`, and a 5xx or timeout is retried.
 */
export async function flushRedisAndWarmUp(deps: RedisDeps, request: FlushRedisRequest): Promise<FlushRedisResult> {
  const redisUrl = deps.config.redis.url;
  const warmUpTimeoutMs = request.warmUpTimeoutMs ?? DEFAULT_WARM_UP_TIMEOUT_MS;
  const info = activityInfo();
  const heartbeatDetails: unknown = info.heartbeatDetails;
  const logFields = { incidentId: request.incidentId, runId: request.runId, attempt: info.attempt };
  const connection = openRedis(redisUrl, { connectTimeoutMs: INSPECT_TIMEOUT_MS, commandTimeoutMs: FLUSH_COMMAND_TIMEOUT_MS });
  const { redis } = connection;

  try {
    await connection.run(() => redis.connect());

    let progress = readFlushProgress(heartbeatDetails);
    if (progress === undefined) {
      const keysBefore = await connection.run(() => redis.dbsize());
      await connection.run(() => redis.flushall());
      const keysAfterFlush = await connection.run(() => redis.dbsize());
      progress = { keysBefore, keysAfterFlush };
      heartbeat(progress);
      log.info('redis flushed', { ...logFields, keysBefore, keysAfterFlush });
    } else {
      log.info('redis flush already done by an earlier attempt', { ...logFields, ...progress });
    }

    let warmUpHttpStatus = progress.warmUpHttpStatus;
    if (warmUpHttpStatus === undefined) {
      // NOTE: a retry after a warm-up call whose response was lost sends the
      // same idempotency key. An API that drops repeated keys then does not
      // warm up again, and the result reports `warmedUp: false`.
      warmUpHttpStatus = await requestCacheWarmUp(deps, request);
      progress = { ...progress, warmUpHttpStatus };
      heartbeat(progress);
      log.info('cache warm-up requested', { ...logFields, httpStatus: warmUpHttpStatus });
    }

    const deadline = Date.now() + warmUpTimeoutMs;
    let keysAfterWarmUp = 0;
    for (;;) {
      heartbeat(progress);
      keysAfterWarmUp = await connection.run(() => redis.dbsize());
      const remainingMs = deadline - Date.now();
      if (keysAfterWarmUp > 0 || remainingMs <= 0) break;
      await sleep(Math.min(WARM_UP_POLL_INTERVAL_MS, remainingMs));
    }

    const warmedUp = keysAfterWarmUp > 0;
    if (warmedUp) log.info('cache warmed up', { ...logFields, keysAfterWarmUp });
    else log.warn('cache still empty after the warm-up timeout', { ...logFields, warmUpTimeoutMs });
    return {
      keysBefore: progress.keysBefore,
      keysAfterFlush: progress.keysAfterFlush,
      keysAfterWarmUp,
      warmedUp,
      warmUpHttpStatus,
    };
  } finally {
    redis.disconnect();
  }
}

/** Returns the progress an earlier attempt recorded, or undefined on a first attempt. */
function readFlushProgress(details: unknown): FlushProgress | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const { keysBefore, keysAfterFlush, warmUpHttpStatus } = details as Record<string, unknown>;
  if (typeof keysBefore !== 'number' || typeof keysAfterFlush !== 'number') return undefined;
  return typeof warmUpHttpStatus === 'number' ? { keysBefore, keysAfterFlush, warmUpHttpStatus } : { keysBefore, keysAfterFlush };
}

/** Sends `POST /admin/cache/warmup` to the BARQ API and returns its HTTP status. */
async function requestCacheWarmUp(deps: RedisDeps, request: FlushRedisRequest): Promise<number> {
  const url = new URL(WARM_UP_PATH, deps.config.service.baseUrl).toString();
  const idempotencyKey = `${request.incidentId}/${request.runId}/cache-warmup`;

  try {
    const response = await deps.http.post(url, undefined, {
      timeout: 10_000,
      headers: { 'Idempotency-Key': idempotencyKey },
    });
    return response.status;
  } catch (error) {
    const translated = translateHttpError(error, 'BARQ API cache warm-up');
    log.warn('cache warm-up request failed', { incidentId: request.incidentId, runId: request.runId, error: translated.message });
    throw translated;
  }
}

/**
 * Parses the text of Redis `INFO` (`field:value` lines under `# Section`
 * headers). Throws when a field that `RedisInfo` needs is missing.
 */
export function parseRedisInfo(text: string): RedisInfo {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const separator = line.indexOf(':');
    if (separator > 0) fields.set(line.slice(0, separator), line.slice(separator + 1));
  }

  const field = (name: string): string => {
    const value = fields.get(name);
    if (value === undefined) throw new Error(`Redis INFO has no ${name} field`);
    return value;
  };
  const integerField = (name: string): number => {
    const value = Number(field(name));
    if (!Number.isInteger(value)) throw new Error(`Redis INFO field ${name} is ${fields.get(name)}, expected an integer`);
    return value;
  };

  const keyspace: RedisKeyspace[] = [];
  for (const [name, value] of fields) {
    const database = /^db([0-9]+)$/.exec(name);
    if (database === null) continue;
    // A keyspace line reads `keys=12,expires=3,avg_ttl=0`.
    const counts = new Map(value.split(',').map((pair) => pair.split('=') as [string, string]));
    keyspace.push({ database: Number(database[1]), keys: Number(counts.get('keys') ?? 0), expires: Number(counts.get('expires') ?? 0) });
  }

  return {
    redisVersion: field('redis_version'),
    usedMemoryBytes: integerField('used_memory'),
    usedMemoryHuman: field('used_memory_human'),
    maxMemoryBytes: integerField('maxmemory'),
    maxMemoryHuman: field('maxmemory_human'),
    connectedClients: integerField('connected_clients'),
    blockedClients: integerField('blocked_clients'),
    uptimeSeconds: integerField('uptime_in_seconds'),
    keyspace,
  };
}

interface RedisConnection {
  redis: Redis;
  /** The first socket or handshake error ioredis emitted, if any. */
  firstError(): Error | undefined;
  /** Runs one command and throws its failure translated by `translateRedisError`. */
  run<T>(command: () => Promise<T>): Promise<T>;
}

/** Opens a lazily connecting client that never reconnects or queues retries on its own. */
function openRedis(redisUrl: string, timeouts: { connectTimeoutMs: number; commandTimeoutMs: number }): RedisConnection {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: timeouts.connectTimeoutMs,
    commandTimeout: timeouts.commandTimeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // ioredis emits the socket error (ECONNREFUSED, WRONGPASS, ...) here and then
  // rejects with a generic "Connection is closed", so keep the first one.
  let connectionError: Error | undefined;
  redis.on('error', (error: Error) => {
    connectionError ??= error;
  });

  return {
    redis,
    firstError: () => connectionError,
    run: async (command) => {
      try {
        return await command();
      } catch (error) {
        throw translateRedisError(connectionError ?? error, redisUrl);
      }
    },
  };
}
