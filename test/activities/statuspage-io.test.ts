import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import axios from 'axios';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import {
  createStatuspageIncident,
  parseRetryAfter,
  resolveStatuspageIncident,
  setStatuspageComponentStatus,
  updateStatuspageIncident,
  type CreateStatuspageIncidentRequest,
  type StatuspageTarget,
} from '../../src/activities/statuspage-io.js';
import { runActivity } from '../helpers/activity.js';
import { Receiver } from '../helpers/receiver.js';

const API_KEY = 'sp-test-key-5f0c9e2a71b34d8e';
const PAGE_ID = 'kctbh9vrtdwd';
const INCIDENT_ID = 'p31zjtct2jer';

const statuspage = new Receiver();
const http = axios.create();

beforeAll(async () => {
  await statuspage.start();
});

afterAll(async () => {
  await statuspage.stop();
});

beforeEach(() => {
  statuspage.requests.length = 0;
  statuspage.respond = () => ({ status: 200, body: { id: INCIDENT_ID } });
});

function target(): StatuspageTarget {
  return { baseUrl: `${statuspage.url}/v1`, apiKey: API_KEY, pageId: PAGE_ID };
}

const createRequest: CreateStatuspageIncidentRequest = {
  name: 'Requests to the BARQ API are failing',
  status: 'investigating',
  body: 'We are looking into failed requests.',
  componentIds: ['ftgks51sfs2d', 'b13yz5g2cw10'],
  componentStatus: 'major_outage',
  idempotencyKey: 'alertmanager-89b188f2/run-1/status-page-open',
};

/** Returns the error that `run` rejects with, and fails when it resolves. */
async function failureOf(run: Promise<unknown>): Promise<Error> {
  return run.then(
    () => {
      throw new Error('expected the Statuspage call to fail');
    },
    (error: Error) => error,
  );
}

describe('createStatuspageIncident', () => {
  it('posts the incident with the OAuth header', async () => {
    statuspage.respond = () => ({ status: 201, body: { id: INCIDENT_ID, name: createRequest.name, status: 'investigating' } });

    const incidentId = await runActivity(createStatuspageIncident, http, target(), createRequest);

    expect(incidentId).toBe(INCIDENT_ID);
    expect(statuspage.requests).toHaveLength(1);
    const received = statuspage.requests[0]!;
    expect(received.method).toBe('POST');
    expect(received.path).toBe(`/v1/pages/${PAGE_ID}/incidents`);
    expect(received.headers.authorization).toBe(`OAuth ${API_KEY}`);
    expect(received.headers['content-type']).toContain('application/json');
    expect(received.body).toEqual({
      incident: {
        name: createRequest.name,
        status: 'investigating',
        body: createRequest.body,
        component_ids: ['ftgks51sfs2d', 'b13yz5g2cw10'],
        components: { ftgks51sfs2d: 'major_outage', b13yz5g2cw10: 'major_outage' },
        metadata: { barq: { idempotency_key: createRequest.idempotencyKey } },
      },
    });
  });

  it('returns the incident an earlier attempt created', async () => {
    statuspage.respond = (request) =>
      request.method === 'GET'
        ? {
            status: 200,
            body: [
              { id: 'other00000001', metadata: { barq: { idempotency_key: 'another-key' } } },
              { id: INCIDENT_ID, metadata: { barq: { idempotency_key: createRequest.idempotencyKey } } },
            ],
          }
        : { status: 500 };
    const retry = new MockActivityEnvironment({ attempt: 2 });

    const incidentId = await retry.run(createStatuspageIncident, http, target(), createRequest);

    expect(incidentId).toBe(INCIDENT_ID);
    expect(statuspage.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET /v1/pages/${PAGE_ID}/incidents/unresolved`,
    ]);
    expect(statuspage.requests[0]!.headers.authorization).toBe(`OAuth ${API_KEY}`);
  });

  it('creates on retry without an earlier incident', async () => {
    statuspage.respond = (request) => (request.method === 'GET' ? { status: 200, body: [] } : { status: 201, body: { id: INCIDENT_ID } });
    const retry = new MockActivityEnvironment({ attempt: 3 });

    const incidentId = await retry.run(createStatuspageIncident, http, target(), createRequest);

    expect(incidentId).toBe(INCIDENT_ID);
    expect(statuspage.requests.map((request) => request.method)).toEqual(['GET', 'POST']);
  });

  it('fails without retry when the response has no ID', async () => {
    statuspage.respond = () => ({ status: 201, body: { name: createRequest.name } });

    const error = await failureOf(runActivity(createStatuspageIncident, http, target(), createRequest));

    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'UnexpectedResponse', nonRetryable: true });
  });

  it('rejects invalid input before sending', async () => {
    const cases: Array<[string, Partial<CreateStatuspageIncidentRequest>, string]> = [
      ['empty name', { name: ' ' }, 'incident name is empty'],
      ['long name', { name: 'x'.repeat(256) }, 'incident name has 256 characters'],
      ['long body', { body: 'x'.repeat(25_001) }, 'incident update body has 25001 characters'],
      ['unknown status', { status: 'fixed' as never }, `incident status 'fixed' is invalid`],
      ['unknown component status', { componentStatus: 'down' as never }, `component status 'down' is invalid`],
      ['empty component ID', { componentIds: [''] }, 'component ID is empty'],
      ['empty idempotency key', { idempotencyKey: '' }, 'idempotencyKey is empty'],
    ];

    for (const [label, change, message] of cases) {
      const error = await failureOf(runActivity(createStatuspageIncident, http, target(), { ...createRequest, ...change }));

      expect(error, label).toMatchObject({ type: 'InvalidStatuspageRequest', nonRetryable: true });
      expect(error.message, label).toContain(message);
    }
    expect(statuspage.requests).toHaveLength(0);
  });
});

describe('updateStatuspageIncident', () => {
  it('patches status, body and components', async () => {
    await runActivity(updateStatuspageIncident, http, target(), INCIDENT_ID, {
      status: 'identified',
      body: 'We found the cause and are deploying a fix.',
      componentIds: ['ftgks51sfs2d'],
      componentStatus: 'partial_outage',
    });

    const received = statuspage.requests[0]!;
    expect(received.method).toBe('PATCH');
    expect(received.path).toBe(`/v1/pages/${PAGE_ID}/incidents/${INCIDENT_ID}`);
    expect(received.headers.authorization).toBe(`OAuth ${API_KEY}`);
    expect(received.body).toEqual({
      incident: {
        status: 'identified',
        body: 'We found the cause and are deploying a fix.',
        component_ids: ['ftgks51sfs2d'],
        components: { ftgks51sfs2d: 'partial_outage' },
      },
    });
  });

  it('patches only the status', async () => {
    await runActivity(updateStatuspageIncident, http, target(), INCIDENT_ID, { status: 'monitoring' });

    expect(statuspage.requests[0]!.body).toEqual({ incident: { status: 'monitoring' } });
  });

  it('requires component IDs and status together', async () => {
    const error = await failureOf(
      runActivity(updateStatuspageIncident, http, target(), INCIDENT_ID, { status: 'monitoring', componentIds: ['ftgks51sfs2d'] }),
    );

    expect(error).toMatchObject({ type: 'InvalidStatuspageRequest', nonRetryable: true });
    expect(statuspage.requests).toHaveLength(0);
  });

  it('encodes the incident ID into the path', async () => {
    await runActivity(updateStatuspageIncident, http, target(), '../components/x', { status: 'monitoring' });

    expect(statuspage.requests[0]!.path).toBe(`/v1/pages/${PAGE_ID}/incidents/..%2Fcomponents%2Fx`);
  });
});

describe('resolveStatuspageIncident', () => {
  it('resolves and sets components to operational', async () => {
    await runActivity(resolveStatuspageIncident, http, target(), INCIDENT_ID, {
      body: 'Requests succeed again.',
      componentIds: ['ftgks51sfs2d', 'b13yz5g2cw10'],
    });

    const received = statuspage.requests[0]!;
    expect(received.method).toBe('PATCH');
    expect(received.path).toBe(`/v1/pages/${PAGE_ID}/incidents/${INCIDENT_ID}`);
    expect(received.headers.authorization).toBe(`OAuth ${API_KEY}`);
    expect(received.body).toEqual({
      incident: {
        status: 'resolved',
        body: 'Requests succeed again.',
        component_ids: ['ftgks51sfs2d', 'b13yz5g2cw10'],
        components: { ftgks51sfs2d: 'operational', b13yz5g2cw10: 'operational' },
      },
    });
  });
});

describe('setStatuspageComponentStatus', () => {
  it('patches the component status', async () => {
    await runActivity(setStatuspageComponentStatus, http, target(), 'ftgks51sfs2d', 'degraded_performance');

    const received = statuspage.requests[0]!;
    expect(received.method).toBe('PATCH');
    expect(received.path).toBe(`/v1/pages/${PAGE_ID}/components/ftgks51sfs2d`);
    expect(received.headers.authorization).toBe(`OAuth ${API_KEY}`);
    expect(received.body).toEqual({ component: { status: 'degraded_performance' } });
  });
});

describe('statuspage error mapping', () => {
  it('fails without retry on 4xx answers', async () => {
    for (const status of [400, 401, 403, 404, 422]) {
      statuspage.respond = () => ({ status, body: { error: 'rejected' } });

      const error = await failureOf(runActivity(updateStatuspageIncident, http, target(), INCIDENT_ID, { status: 'monitoring' }));

      expect(error, `HTTP ${status}`).toBeInstanceOf(ApplicationFailure);
      expect(error, `HTTP ${status}`).toMatchObject({
        type: 'DeliveryRejected',
        nonRetryable: true,
        details: [{ provider: 'statuspage', status }],
      });
      expect(error.message, `HTTP ${status}`).toContain(`Statuspage rejected the request to update an incident with HTTP ${status}`);
    }
  });

  it('hints at the API key on 401', async () => {
    statuspage.respond = () => ({ status: 401, body: { error: 'unauthorized' } });

    const error = await failureOf(runActivity(setStatuspageComponentStatus, http, target(), 'ftgks51sfs2d', 'operational'));

    expect(error.message).toContain('check the API key');
  });

  it('throws a retryable error on 408, 420, 429 and 5xx', async () => {
    for (const status of [408, 420, 429, 500, 502, 503]) {
      statuspage.respond = () => ({ status, body: {} });

      const error = await failureOf(runActivity(updateStatuspageIncident, http, target(), INCIDENT_ID, { status: 'monitoring' }));

      expect(error, `HTTP ${status}`).not.toBeInstanceOf(ApplicationFailure);
      expect(error, `HTTP ${status}`).toMatchObject({
        name: 'DownstreamUnavailableError',
        message: `Statuspage responded to the request to update an incident with HTTP ${status}`,
      });
    }
  });

  it('throws a retryable error when Statuspage does not respond', async () => {
    const closed = new Receiver();
    await closed.start();
    const closedUrl = closed.url;
    await closed.stop();

    const error = await failureOf(
      runActivity(setStatuspageComponentStatus, http, { ...target(), baseUrl: closedUrl }, 'ftgks51sfs2d', 'operational'),
    );

    expect(error.name).toBe('DownstreamUnavailableError');
    expect(error.message).toBe('Statuspage did not respond to the request to set a component status: ECONNREFUSED');
  });

  it('keeps API key and URL out of errors', async () => {
    const statuses = [401, 404, 429, 500];

    for (const status of statuses) {
      statuspage.respond = () => ({ status, body: { error: `echo ${API_KEY}` } });

      const error = await failureOf(runActivity(createStatuspageIncident, http, target(), createRequest));

      const text = `${error.message} ${JSON.stringify((error as ApplicationFailure).details ?? [])}`;
      expect(text, `HTTP ${status}`).not.toContain(API_KEY);
      expect(text, `HTTP ${status}`).not.toContain(statuspage.url);
      expect(text, `HTTP ${status}`).not.toContain('127.0.0.1');
      expect(error.cause, `HTTP ${status}`).toBeUndefined();
    }
  });

  it('rejects an empty API key before sending', async () => {
    const error = await failureOf(runActivity(setStatuspageComponentStatus, http, { ...target(), apiKey: '' }, 'ftgks51sfs2d', 'operational'));

    expect(error).toMatchObject({ type: 'InvalidStatuspageRequest', nonRetryable: true });
    expect(statuspage.requests).toHaveLength(0);
  });
});

describe('statuspage Retry-After', () => {
  // Receiver cannot set response headers, so this server responds to every
  // request with 429 and a Retry-After header.
  let server: Server;
  let baseUrl: string;
  let retryAfter: string;

  beforeAll(async () => {
    server = createServer((_request, response) => {
      response.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': retryAfter });
      response.end('{"error":"rate limited"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('honours Retry-After in seconds', async () => {
    retryAfter = '30';

    const error = await failureOf(runActivity(setStatuspageComponentStatus, http, { ...target(), baseUrl }, 'ftgks51sfs2d', 'operational'));

    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({
      type: 'DeliveryDeferred',
      nonRetryable: false,
      nextRetryDelay: 30_000,
      details: [{ provider: 'statuspage', status: 429, retryAfterMs: 30_000 }],
    });
    expect(error.message).toBe('Statuspage responded to the request to set a component status with HTTP 429; Retry-After asks for 30 s');
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-03-10T12:00:00.000Z');

    expect(parseRetryAfter('60', now)).toBe(60_000);
    expect(parseRetryAfter('Tue, 10 Mar 2026 12:00:45 GMT', now)).toBe(45_000);
    expect(parseRetryAfter('Tue, 10 Mar 2026 11:59:00 GMT', now)).toBeUndefined();
    expect(parseRetryAfter('0', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
