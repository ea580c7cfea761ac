import { randomUUID } from 'node:crypto';

import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import axios from 'axios';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';

import { DownstreamUnavailableError } from '../../src/activities/http-errors.js';
import { createActivities } from '../../src/activities/index.js';
import { RedisUnavailableError } from '../../src/activities/redis-errors.js';
import type { FlushProgress, FlushRedisRequest, FlushRedisResult } from '../../src/activities/redis.js';
import { runActivity } from '../helpers/activity.js';
import { testConfig } from '../helpers/config.js';
import { Receiver } from '../helpers/receiver.js';
import { freePort } from '../setup/global-setup.js';

// FLUSHALL empties every database of the test Redis. vitest runs the test
// files one at a time (fileParallelism: false), and the tests of this file
// run in order, so the flush never removes keys another test still uses.
const INSPECT_DATABASE = 3;
const FLUSH_DATABASE = 7;
const OTHER_DATABASE = 8;

const barqApi = new Receiver();
const redisUrl = inject('redisUrl');
const inspectDatabase = new Redis(`${redisUrl}/${INSPECT_DATABASE}`);
const flushDatabase = new Redis(`${redisUrl}/${FLUSH_DATABASE}`);
const otherDatabase = new Redis(`${redisUrl}/${OTHER_DATABASE}`);

beforeAll(async () => {
  await barqApi.start();
});

beforeEach(() => {
  barqApi.requests.length = 0;
});

afterAll(async () => {
  await barqApi.stop();
  await Promise.all([inspectDatabase.quit(), flushDatabase.quit(), otherDatabase.quit()]);
});

function activitiesFor(url: string) {
  const config = testConfig((draft) => {
    draft.service.baseUrl = barqApi.url;
    draft.redis.url = url;
  });
  return createActivities({ config, http: axios.create(), devInboxUrl: 'http://127.0.0.1:1' });
}

/** Runs the flush as a retry whose earlier attempt recorded `progress`, and collects the new heartbeat details. */
async function runFlushRetry(url: string, progress: FlushProgress, request: ReturnType<typeof flushRequest>) {
  const environment = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: progress });
  const heartbeats: unknown[] = [];
  environment.on('heartbeat', (details: unknown) => heartbeats.push(details));
  const flush = activitiesFor(url).flushRedisAndWarmUp;
  const result = await environment.run<[FlushRedisRequest], FlushRedisResult, typeof flush>(flush, request);
  return { result, heartbeats };
}

function flushRequest(warmUpTimeoutMs?: number) {
  return {
    incidentId: `alertmanager-${randomUUID()}`,
    runId: randomUUID(),
    ...(warmUpTimeoutMs === undefined ? {} : { warmUpTimeoutMs }),
  };
}

describe('inspectRedis', () => {
  it('parses INFO of running redis', async () => {
    const prefix = `inspect:${randomUUID()}`;
    await inspectDatabase.flushdb();
    await inspectDatabase.set(`${prefix}:plain`, 'a');
    await inspectDatabase.set(`${prefix}:expiring`, 'b', 'EX', 600);
    const activities = activitiesFor(`${redisUrl}/${INSPECT_DATABASE}`);

    const result = await runActivity(activities.inspectRedis, { incidentId: 'i-1' });

    expect(result.ok).toBe(true);
    expect(result.error).toBeUndefined();
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.info?.redisVersion).toMatch(/^[0-9]+\.[0-9]+/);
    expect(result.info?.usedMemoryBytes).toBeGreaterThan(0);
    expect(result.info?.usedMemoryHuman).toMatch(/^[0-9.]+[BKMG]$/);
    expect(result.info?.maxMemoryBytes).toBe(0);
    expect(result.info?.maxMemoryHuman).toBe('0B');
    expect(result.info?.connectedClients).toBeGreaterThanOrEqual(2);
    expect(result.info?.blockedClients).toBe(0);
    expect(result.info?.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(result.info?.keyspace).toContainEqual({ database: INSPECT_DATABASE, keys: 2, expires: 1 });
  });

  it('fails with ECONNREFUSED when down', async () => {
    const closedPort = await freePort();
    const activities = activitiesFor(`redis://127.0.0.1:${closedPort}`);

    const result = await runActivity(activities.inspectRedis, { incidentId: 'i-1' });

    expect(result.ok).toBe(false);
    expect(result.info).toBeUndefined();
    expect(result.error).toContain('ECONNREFUSED');
  });

  it('rejects wrong credentials as non-retryable', async () => {
    const { port } = new URL(redisUrl);
    const activities = activitiesFor(`redis://nobody:s3cret-pass@127.0.0.1:${port}`);

    const run = runActivity(activities.inspectRedis, { incidentId: 'i-1' });

    await expect(run).rejects.toMatchObject({ type: 'RedisAuthFailed', nonRetryable: true });
    await expect(run).rejects.toThrow(/WRONGPASS/);
    await expect(run).rejects.not.toThrow(/s3cret-pass/);
  });
});

describe('flushRedisAndWarmUp', () => {
  it('flushes then warms cache up', async () => {
    const prefix = `seed:${randomUUID()}`;
    const seeded = [`${prefix}:a`, `${prefix}:b`, `${prefix}:c`];
    await flushDatabase.flushdb();
    for (const key of seeded) await flushDatabase.set(key, 'cached');
    await otherDatabase.set(`${prefix}:other`, 'cached');
    // The warm-up endpoint replies at once and fills the cache shortly after,
    // as a real warm-up job does.
    barqApi.respond = () => {
      setTimeout(() => {
        flushDatabase.mset('warm:user:1', 'u1', 'warm:user:2', 'u2').catch(() => undefined);
      }, 100);
      return { status: 202, body: { status: 'started' } };
    };
    const activities = activitiesFor(`${redisUrl}/${FLUSH_DATABASE}`);
    const request = flushRequest();

    const result = await runActivity(activities.flushRedisAndWarmUp, request);

    expect(result.keysBefore).toBe(3);
    expect(result.keysAfterFlush).toBe(0);
    expect(result.warmUpHttpStatus).toBe(202);
    expect(result.warmedUp).toBe(true);
    expect(result.keysAfterWarmUp).toBeGreaterThan(0);
    expect(await flushDatabase.exists(...seeded)).toBe(0);
    expect(await otherDatabase.exists(`${prefix}:other`)).toBe(0);
    expect(await flushDatabase.exists('warm:user:1')).toBe(1);
    const warmUps = barqApi.on('/admin/cache/warmup');
    expect(warmUps).toHaveLength(1);
    expect(warmUps[0]?.method).toBe('POST');
    expect(warmUps[0]?.headers['idempotency-key']).toBe(`${request.incidentId}/${request.runId}/cache-warmup`);
  });

  it('rejects warm-up 4xx as non-retryable', async () => {
    await flushDatabase.set(`seed:${randomUUID()}`, 'cached');
    barqApi.respond = () => ({ status: 400, body: { error: 'unknown cache' } });
    const activities = activitiesFor(`${redisUrl}/${FLUSH_DATABASE}`);

    const run = runActivity(activities.flushRedisAndWarmUp, flushRequest());

    await expect(run).rejects.toBeInstanceOf(ApplicationFailure);
    await expect(run).rejects.toMatchObject({ type: 'DownstreamRejected', nonRetryable: true });
    expect(barqApi.on('/admin/cache/warmup')).toHaveLength(1);
  });

  it('retries warm-up 5xx', async () => {
    barqApi.respond = () => ({ status: 503, body: { error: 'busy' } });
    const activities = activitiesFor(`${redisUrl}/${FLUSH_DATABASE}`);

    const run = runActivity(activities.flushRedisAndWarmUp, flushRequest());

    await expect(run).rejects.toBeInstanceOf(DownstreamUnavailableError);
    await expect(run).rejects.toThrow(/HTTP 503/);
  });

  it('reports cold cache after timeout', async () => {
    await flushDatabase.flushdb();
    await flushDatabase.set(`seed:${randomUUID()}`, 'cached');
    barqApi.respond = () => ({ status: 202, body: { status: 'started' } });
    const activities = activitiesFor(`${redisUrl}/${FLUSH_DATABASE}`);

    const result = await runActivity(activities.flushRedisAndWarmUp, flushRequest(1_200));

    expect(result.keysBefore).toBe(1);
    expect(result.keysAfterFlush).toBe(0);
    expect(result.warmedUp).toBe(false);
    expect(result.keysAfterWarmUp).toBe(0);
    expect(barqApi.on('/admin/cache/warmup')).toHaveLength(1);
  });

  it('records progress in heartbeats', async () => {
    await flushDatabase.flushdb();
    await flushDatabase.set(`seed:${randomUUID()}`, 'cached');
    barqApi.respond = () => ({ status: 202, body: { status: 'started' } });
    const environment = new MockActivityEnvironment();
    const heartbeats: unknown[] = [];
    environment.on('heartbeat', (details: unknown) => heartbeats.push(details));

    await environment.run(activitiesFor(`${redisUrl}/${FLUSH_DATABASE}`).flushRedisAndWarmUp, flushRequest(300));

    expect(heartbeats[0]).toEqual({ keysBefore: 1, keysAfterFlush: 0 });
    expect(heartbeats.at(-1)).toEqual({ keysBefore: 1, keysAfterFlush: 0, warmUpHttpStatus: 202 });
  });

  it('retry skips the recorded flush', async () => {
    const survivor = `seed:${randomUUID()}`;
    await flushDatabase.set(survivor, 'cached');
    barqApi.respond = () => ({ status: 202, body: { status: 'started' } });
    const request = flushRequest(300);

    const { result } = await runFlushRetry(`${redisUrl}/${FLUSH_DATABASE}`, { keysBefore: 40, keysAfterFlush: 0 }, request);

    expect(await flushDatabase.exists(survivor)).toBe(1);
    expect(result.keysBefore).toBe(40);
    expect(result.keysAfterFlush).toBe(0);
    expect(result.warmUpHttpStatus).toBe(202);
    expect(result.warmedUp).toBe(true);
    expect(barqApi.on('/admin/cache/warmup')).toHaveLength(1);
    expect(barqApi.on('/admin/cache/warmup')[0]?.headers['idempotency-key']).toBe(`${request.incidentId}/${request.runId}/cache-warmup`);
  });

  it('retry skips the accepted warm-up', async () => {
    await flushDatabase.flushdb();

    const { result, heartbeats } = await runFlushRetry(
      `${redisUrl}/${FLUSH_DATABASE}`,
      { keysBefore: 40, keysAfterFlush: 0, warmUpHttpStatus: 202 },
      flushRequest(300),
    );

    expect(barqApi.on('/admin/cache/warmup')).toHaveLength(0);
    expect(result.warmUpHttpStatus).toBe(202);
    expect(result.warmedUp).toBe(false);
    expect(heartbeats.at(-1)).toEqual({ keysBefore: 40, keysAfterFlush: 0, warmUpHttpStatus: 202 });
  });

  it('retries when redis is down', async () => {
    const closedPort = await freePort();
    const activities = activitiesFor(`redis://barq:s3cret-pass@127.0.0.1:${closedPort}`);

    const run = runActivity(activities.flushRedisAndWarmUp, flushRequest());

    await expect(run).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(run).rejects.toThrow(/ECONNREFUSED/);
    await expect(run).rejects.not.toThrow(/s3cret-pass/);
    expect(barqApi.on('/admin/cache/warmup')).toHaveLength(0);
  });
});
