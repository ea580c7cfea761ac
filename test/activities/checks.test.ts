import { runActivity } from '../helpers/activity.js';
import axios from 'axios';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { createActivities } from '../../src/activities/index.js';
import { freePort } from '../setup/global-setup.js';
import { testConfig } from '../helpers/config.js';
import { Receiver } from '../helpers/receiver.js';

const barqApi = new Receiver();

beforeAll(async () => {
  await barqApi.start();
});

afterAll(async () => {
  await barqApi.stop();
});

function activitiesFor(baseUrl: string, redisUrl = inject('redisUrl')) {
  const config = testConfig((draft) => {
    draft.service.baseUrl = baseUrl;
    draft.redis.url = redisUrl;
    draft.checks.push({
      id: 'api-health-body',
      kind: 'http',
      path: '/health',
      expectedStatus: 200,
      expectedBody: 'Healthy',
      timeout: '5s',
    });
  });
  return createActivities({ config, http: axios.create(), devInboxUrl: 'http://127.0.0.1:1' });
}

describe('probeHttp', () => {
  it('passes on the expected status', async () => {
    barqApi.respond = () => ({ status: 200, body: { status: 'Healthy' } });
    const activities = activitiesFor(barqApi.url);

    const result = await runActivity(activities.probeHttp, { incidentId: 'i-1', checkId: 'api-live' });

    expect(result.ok).toBe(true);
    expect(result.status).toBe(200);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(barqApi.requests.at(-1)?.path).toBe('/health/live');
  });

  it('fails on another status with the reason', async () => {
    barqApi.respond = () => ({ status: 503, body: { status: 'Unhealthy' } });
    const activities = activitiesFor(barqApi.url);

    const result = await runActivity(activities.probeHttp, { incidentId: 'i-1', checkId: 'api-ready' });

    expect(result.ok).toBe(false);
    expect(result.status).toBe(503);
    expect(result.error).toBe('expected HTTP 200, received 503');
    expect(barqApi.requests.at(-1)?.path).toBe('/health/ready');
  });

  it('reports a refused connection as a failed result', async () => {
    const closedPort = await freePort();
    const activities = activitiesFor(`http://127.0.0.1:${closedPort}`);

    const result = await runActivity(activities.probeHttp, { incidentId: 'i-1', checkId: 'api-live' });

    expect(result.ok).toBe(false);
    expect(result.status).toBeUndefined();
    expect(result.error).toBe('ECONNREFUSED');
  });

  it('rejects an unknown check ID as non-retryable', async () => {
    const activities = activitiesFor(barqApi.url);

    const run = runActivity(activities.probeHttp, { incidentId: 'i-1', checkId: 'nope' });

    await expect(run).rejects.toMatchObject({ type: 'UnknownCheck', nonRetryable: true });
  });
});

describe('probeHttp with expected body', () => {
  const request = { incidentId: 'i-1', checkId: 'api-health-body' };

  it('passes when body contains text', async () => {
    barqApi.respond = () => ({ status: 200, body: { status: 'Healthy' } });
    const activities = activitiesFor(barqApi.url);

    const result = await runActivity(activities.probeHttp, request);

    expect(result.ok).toBe(true);
    expect(result.error).toBeUndefined();
    expect(result.bodyExcerpt).toBeUndefined();
  });

  it('fails when body lacks text', async () => {
    barqApi.respond = () => ({ status: 200, body: { status: 'Degraded' } });
    const activities = activitiesFor(barqApi.url);

    const result = await runActivity(activities.probeHttp, request);

    expect(result.ok).toBe(false);
    expect(result.status).toBe(200);
    expect(result.error).toBe('expected body to contain "Healthy"');
    expect(result.bodyExcerpt).toBe('{"status":"Degraded"}');
  });

  it('names only the wrong status', async () => {
    barqApi.respond = () => ({ status: 503, body: { status: 'Healthy' } });
    const activities = activitiesFor(barqApi.url);

    const result = await runActivity(activities.probeHttp, request);

    expect(result.ok).toBe(false);
    expect(result.error).toBe('expected HTTP 200, received 503');
    expect(result.bodyExcerpt).toBeUndefined();
  });

  it('names both failed parts', async () => {
    barqApi.respond = () => ({ status: 503, body: { status: 'Degraded' } });
    const activities = activitiesFor(barqApi.url);

    const result = await runActivity(activities.probeHttp, request);

    expect(result.error).toBe('expected HTTP 200, received 503, and expected body to contain "Healthy"');
  });

  it('keeps a 200-character body excerpt', async () => {
    barqApi.respond = () => ({ status: 200, body: 'x'.repeat(10_000) });
    const activities = activitiesFor(barqApi.url);

    const result = await runActivity(activities.probeHttp, request);

    expect(result.ok).toBe(false);
    expect(result.bodyExcerpt).toBe(`"${'x'.repeat(199)}`);
  });

  it('fails on a body over 64 KiB', async () => {
    barqApi.respond = () => ({ status: 200, body: `Healthy ${'x'.repeat(70_000)}` });
    const activities = activitiesFor(barqApi.url);

    const result = await runActivity(activities.probeHttp, request);

    expect(result.ok).toBe(false);
    expect(result.status).toBeUndefined();
    expect(result.error).toBe('response body larger than 64 KiB');
  });

  it('reads a body just under 64 KiB', async () => {
    barqApi.respond = () => ({ status: 200, body: `${'x'.repeat(60_000)} Healthy` });
    const activities = activitiesFor(barqApi.url);

    const result = await runActivity(activities.probeHttp, request);

    expect(result.ok).toBe(true);
  });
});

describe('pingRedis', () => {
  it('passes against a running redis', async () => {
    const activities = activitiesFor(barqApi.url);

    const result = await runActivity(activities.pingRedis, { incidentId: 'i-1', checkId: 'redis-ping' });

    expect(result.ok).toBe(true);
    expect(result.kind).toBe('redis');
    expect(result.error).toBeUndefined();
  });

  it('fails with the socket error when redis is down', async () => {
    const closedPort = await freePort();
    const activities = activitiesFor(barqApi.url, `redis://127.0.0.1:${closedPort}`);

    const result = await runActivity(activities.pingRedis, { incidentId: 'i-1', checkId: 'redis-ping' });

    expect(result.ok).toBe(false);
    expect(result.error).toContain('ECONNREFUSED');
  });
});
