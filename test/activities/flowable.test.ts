import axios from 'axios';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { flowableCredentialsFromEnv, type FlowableCredentials } from '../../src/activities/flowable.js';
import { DownstreamUnavailableError } from '../../src/activities/http-errors.js';
import { createActivities } from '../../src/activities/index.js';
import { runActivity } from '../helpers/activity.js';
import { testConfig } from '../helpers/config.js';
import { Receiver } from '../helpers/receiver.js';

const flowable = new Receiver();
const credentials: FlowableCredentials = { user: 'rest-admin', password: 'fl0wable-pass' };
const expectedAuthorization = `Basic ${Buffer.from('rest-admin:fl0wable-pass').toString('base64')}`;

// Bodies as the Flowable REST API documents them for GET management/engine
// and GET repository/deployments.
const engineBody = {
  name: 'default',
  version: '7.1.0',
  resourceUrl: 'file://flowable/flowable.cfg.xml',
  exception: null,
};
const deploymentsBody = {
  data: [
    {
      id: '27',
      name: 'barq-approvals.bar',
      deploymentTime: '2026-12-03T16:20:11.120+01:00',
      category: 'barq',
      url: 'http://127.0.0.1:8081/flowable-rest/service/repository/deployments/27',
      tenantId: '',
    },
    {
      id: '10',
      name: null,
      deploymentTime: '2026-11-20T09:02:45.000+01:00',
      category: null,
      url: 'http://127.0.0.1:8081/flowable-rest/service/repository/deployments/10',
      tenantId: null,
    },
  ],
  total: 14,
  start: 0,
  sort: 'deployTime',
  order: 'desc',
  size: 2,
};

beforeAll(async () => {
  await flowable.start();
});

beforeEach(() => {
  flowable.requests.length = 0;
});

afterAll(async () => {
  await flowable.stop();
});

function activitiesWith(flowableCredentials: FlowableCredentials | undefined) {
  const config = testConfig((draft) => {
    draft.flowable.baseUrl = flowable.url;
  });
  return createActivities({
    config,
    http: axios.create(),
    devInboxUrl: 'http://127.0.0.1:1',
    ...(flowableCredentials === undefined ? {} : { flowableCredentials }),
  });
}

describe('flowableEngineStatus', () => {
  it('returns documented engine fields', async () => {
    flowable.respond = () => ({ status: 200, body: engineBody });
    const activities = activitiesWith(credentials);

    const engine = await runActivity(activities.flowableEngineStatus, { incidentId: 'i-1' });

    expect(engine).toEqual(engineBody);
    expect(flowable.requests).toHaveLength(1);
    expect(flowable.requests[0]?.method).toBe('GET');
    expect(flowable.requests[0]?.path).toBe('/flowable-rest/service/management/engine');
    expect(flowable.requests[0]?.headers.authorization).toBe(expectedAuthorization);
  });

  it('rejects 401 naming the credentials', async () => {
    flowable.respond = () => ({ status: 401, body: { message: 'Unauthorized' } });
    const activities = activitiesWith(credentials);

    const run = runActivity(activities.flowableEngineStatus, { incidentId: 'i-1' });

    await expect(run).rejects.toMatchObject({ type: 'DownstreamRejected', nonRetryable: true });
    await expect(run).rejects.toThrow(/Flowable credentials/);
    await expect(run).rejects.toThrow(/FLOWABLE_USER and FLOWABLE_PASSWORD/);
    await expect(run).rejects.not.toThrow(/fl0wable-pass/);
  });

  it('rejects 403 as non-retryable', async () => {
    flowable.respond = () => ({ status: 403, body: { message: 'Forbidden' } });
    const activities = activitiesWith(credentials);

    const run = runActivity(activities.flowableEngineStatus, { incidentId: 'i-1' });

    await expect(run).rejects.toMatchObject({ type: 'DownstreamRejected', nonRetryable: true });
    await expect(run).rejects.toThrow(/Flowable credentials/);
  });

  it('retries a 503 from Flowable', async () => {
    flowable.respond = () => ({ status: 503, body: { message: 'starting' } });
    const activities = activitiesWith(credentials);

    const run = runActivity(activities.flowableEngineStatus, { incidentId: 'i-1' });

    await expect(run).rejects.toBeInstanceOf(DownstreamUnavailableError);
  });

  it('fails without configured credentials', async () => {
    const activities = activitiesWith(undefined);

    const run = runActivity(activities.flowableEngineStatus, { incidentId: 'i-1' });

    await expect(run).rejects.toMatchObject({ type: 'ConfigurationMissing', nonRetryable: true });
    await expect(run).rejects.toThrow(/FLOWABLE_USER and FLOWABLE_PASSWORD/);
    expect(flowable.requests).toHaveLength(0);
  });
});

describe('flowableDeployments', () => {
  it('lists newest deployments first', async () => {
    flowable.respond = () => ({ status: 200, body: deploymentsBody });
    const activities = activitiesWith(credentials);

    const list = await runActivity(activities.flowableDeployments, { incidentId: 'i-1', size: 2 });

    expect(list.total).toBe(14);
    expect(list.data).toEqual([
      { id: '27', name: 'barq-approvals.bar', deploymentTime: '2026-12-03T16:20:11.120+01:00', category: 'barq', tenantId: '' },
      { id: '10', name: null, deploymentTime: '2026-11-20T09:02:45.000+01:00', category: null, tenantId: null },
    ]);
    const sent = new URL(flowable.requests[0]?.path ?? '', flowable.url);
    expect(flowable.requests[0]?.method).toBe('GET');
    expect(sent.pathname).toBe('/flowable-rest/service/repository/deployments');
    expect(Object.fromEntries(sent.searchParams)).toEqual({ sort: 'deployTime', order: 'desc', size: '2' });
    expect(flowable.requests[0]?.headers.authorization).toBe(expectedAuthorization);
  });

  it('asks for ten by default', async () => {
    flowable.respond = () => ({ status: 200, body: { ...deploymentsBody, data: [], total: 0 } });
    const activities = activitiesWith(credentials);

    const list = await runActivity(activities.flowableDeployments, { incidentId: 'i-1' });

    expect(list).toEqual({ data: [], total: 0 });
    const sent = new URL(flowable.requests[0]?.path ?? '', flowable.url);
    expect(sent.searchParams.get('size')).toBe('10');
  });

  it('rejects an invalid size', async () => {
    const activities = activitiesWith(credentials);

    const run = runActivity(activities.flowableDeployments, { incidentId: 'i-1', size: 0 });

    await expect(run).rejects.toMatchObject({ type: 'InvalidRequest', nonRetryable: true });
    expect(flowable.requests).toHaveLength(0);
  });

  it('rejects 401 naming the credentials', async () => {
    flowable.respond = () => ({ status: 401, body: { message: 'Unauthorized' } });
    const activities = activitiesWith(credentials);

    const run = runActivity(activities.flowableDeployments, { incidentId: 'i-1' });

    await expect(run).rejects.toMatchObject({ type: 'DownstreamRejected', nonRetryable: true });
    await expect(run).rejects.toThrow(/Flowable credentials/);
  });

  it('fails without configured credentials', async () => {
    const activities = activitiesWith(undefined);

    const run = runActivity(activities.flowableDeployments, { incidentId: 'i-1' });

    await expect(run).rejects.toMatchObject({ type: 'ConfigurationMissing', nonRetryable: true });
    expect(flowable.requests).toHaveLength(0);
  });
});

describe('flowableCredentialsFromEnv', () => {
  it('reads user and password', () => {
    const env = { FLOWABLE_USER: 'rest-admin', FLOWABLE_PASSWORD: 'fl0wable-pass' };

    const read = flowableCredentialsFromEnv(env);

    expect(read).toEqual({ user: 'rest-admin', password: 'fl0wable-pass' });
  });

  it('returns undefined when one is missing', () => {
    const cases = [{ FLOWABLE_USER: 'rest-admin' }, { FLOWABLE_PASSWORD: 'fl0wable-pass' }, { FLOWABLE_USER: '', FLOWABLE_PASSWORD: 'x' }, {}];

    for (const env of cases) {
      expect(flowableCredentialsFromEnv(env), JSON.stringify(env)).toBeUndefined();
    }
  });
});
