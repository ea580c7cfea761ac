import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { buildApp, type App } from '../../src/api/app.js';
import { parseApiTokens } from '../../src/api/auth.js';
import { DevInbox } from '../../src/api/dev-inbox.js';
import type { Config } from '../../src/config/schema.js';
import { WORKFLOW_TYPE_BY_SEVERITY, type IncidentView, type TimelineEntry } from '../../src/shared/incident.js';
import { createWorker } from '../../src/worker/worker.js';
import { acknowledgeUpdate, alertReceivedSignal, viewQuery } from '../../src/workflows/incident-messages.js';
import { alertmanagerPayload } from '../helpers/alertmanager.js';
import { incidentInput, testConfig } from '../helpers/config.js';
import { configFile } from '../helpers/config-files.js';
import { Receiver } from '../helpers/receiver.js';
import { eventually, startDevServer } from '../helpers/temporal.js';

const TOKEN = 'alice-comms-token-0123456789';

let env: TestWorkflowEnvironment;
let app: App;
let apiUrl: string;
let worker: Worker;
let running: Promise<void>;
const pager = new Receiver();
const fallback = new Receiver();

beforeAll(async () => {
  env = await startDevServer();
  await Promise.all([pager.start(), fallback.start()]);

  const config: Config = testConfig((draft) => {
    draft.redis.url = inject('redisUrl');
    draft.temporal.namespace = env.namespace ?? 'default';
    draft.delivery = { attemptsPerChannel: 3, roundPause: '1m', giveUpAfter: '30m' };
    for (const contact of draft.contacts) contact.webhook = `${pager.url}/pages/${contact.id}`;
    // The manager's first channel is a closed port, so pages fall back to the second.
    const manager = draft.contacts.find((contact) => contact.id === 'engineering-manager');
    if (manager !== undefined) {
      delete manager.webhook;
      manager.channels = [
        { kind: 'webhook', url: 'http://127.0.0.1:1/pages/engineering-manager' },
        { kind: 'webhook', url: `${fallback.url}/pages/engineering-manager` },
      ];
    }
  });

  app = await buildApp({ config, client: env.client, tokens: parseApiTokens(`alice=${TOKEN}`), devInbox: new DevInbox() });
  apiUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  worker = await createWorker({ config, connection: env.nativeConnection, devInboxUrl: apiUrl });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await app?.close();
  await Promise.all([pager.stop(), fallback.stop()]);
  await env?.teardown();
});

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function declare(): Promise<string> {
  const { body } = await api('POST', '/webhooks/alertmanager', alertmanagerPayload({ severities: ['critical'] }));
  return body['incidents'][0].id as string;
}

function pagesFor(receiver: Receiver, id: string) {
  return receiver.requests.filter((request) => (request.body as { incidentId?: string } | undefined)?.incidentId === id);
}

function timelineOf(view: IncidentView, type: TimelineEntry['type']): TimelineEntry[] {
  return view.timeline.filter((entry) => entry.type === type);
}

describe('page delivery end to end', () => {
  it('delivers once after two 503 answers, with the retries on the timeline', async () => {
    let primaryRequests = 0;
    pager.respond = (request) => {
      if (!request.path.endsWith('/primary-oncall')) return { status: 202, body: {} };
      primaryRequests += 1;
      return primaryRequests <= 2 ? { status: 503, body: {} } : { status: 202, body: {} };
    };
    const id = await declare();

    const view = await eventually(async () => {
      const current = (await api('GET', `/incidents/${id}`)).body as IncidentView;
      return current.paged.find((page) => page.contactId === 'primary-oncall')?.state === 'delivered' ? current : undefined;
    }, 'the primary page after its retries', 60_000);

    const attempts = pagesFor(pager, id).filter((request) => request.path === '/pages/primary-oncall');
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((request) => request.headers['idempotency-key'])).size).toBe(1);
    const retries = timelineOf(view, 'page-retry').filter((entry) => entry.contactId === 'primary-oncall');
    expect(retries.map((entry) => entry.message)).toEqual([
      'page to primary-oncall via webhook failed (attempt 1): page receiver of primary-oncall responded with HTTP 503; retrying in 2s',
      'page to primary-oncall via webhook failed (attempt 2): page receiver of primary-oncall responded with HTTP 503; retrying in 4s',
    ]);
    expect(timelineOf(view, 'page-sent').filter((entry) => entry.contactId === 'primary-oncall')).toHaveLength(1);

    await api('POST', `/incidents/${id}/resolve`, { summary: 'done', resolutionType: 'other' });
  });

  it('falls back to the next channel when the first is down', async () => {
    pager.respond = () => ({ status: 202, body: {} });
    const id = await declare();

    await api('POST', `/incidents/${id}/escalate`, { reason: 'need a decision', contactId: 'engineering-manager' });
    const view = await eventually(async () => {
      const current = (await api('GET', `/incidents/${id}`)).body as IncidentView;
      const page = current.paged.find((candidate) => candidate.contactId === 'engineering-manager' && candidate.step.startsWith('manual'));
      return page?.state === 'delivered' ? current : undefined;
    }, 'the manager page through the second channel', 60_000);

    expect(pagesFor(fallback, id)).toHaveLength(1);
    const fallbackEntry = timelineOf(view, 'page-fallback').find((entry) => entry.contactId === 'engineering-manager');
    expect(fallbackEntry).toMatchObject({ flagged: true, message: 'page to engineering-manager falls back to channel 2 of 2' });
    const failures = timelineOf(view, 'page-retry').filter((entry) => entry.contactId === 'engineering-manager');
    expect(failures.length).toBe(3);
    expect(failures[0]?.message).toContain('did not respond');

    await api('POST', `/incidents/${id}/resolve`, { summary: 'done', resolutionType: 'other' });
  });
});

describe('public status page end to end', () => {
  it('shows an open incident without internal fields', async () => {
    pager.respond = () => ({ status: 202, body: {} });
    const id = await declare();
    await eventually(async () => {
      const current = (await api('GET', `/incidents/${id}`)).body as IncidentView;
      return current.timeline.some((entry) => entry.type === 'status-update') ? current : undefined;
    }, 'the first status update');

    const early = await api('POST', `/incidents/${id}/status-updates`, { status: 'resolved', message: 'All fine now.' });
    expect(early.status).toBe(409);
    expect(early.body['message']).toContain('use POST /incidents/:id/resolve');

    const posted = await api('POST', `/incidents/${id}/status-updates`, {
      status: 'identified',
      title: 'Requests to the BARQ API fail',
      message: 'We found the cause and are rolling out a fix.',
    });
    expect(posted.status).toBe(200);
    expect(posted.body['tasks'].find((task: { id: string }) => task.id === 'update-status-page').status).toBe('done');

    const page = await eventually(async () => {
      const response = await fetch(`${apiUrl}/status.json`);
      const json = (await response.json()) as { incidents: { current: Array<{ title: string; status: string }> } };
      return json.incidents.current.some((incident) => incident.title === 'Requests to the BARQ API fail') ? json : undefined;
    }, 'the incident on the status page', 30_000);
    expect(page.incidents.current.find((incident) => incident.title === 'Requests to the BARQ API fail')?.status).toBe('identified');

    const html = await (await fetch(`${apiUrl}/status`)).text();
    expect(html).toContain('Requests to the BARQ API fail');
    for (const internal of [id, 'primary-oncall', 'alertmanager', '127.0.0.1', 'BarqApiDown', 'fingerprint', 'alice']) {
      expect(html, internal).not.toContain(internal);
    }

    if (process.env['BARQ_SKIP_BROWSER'] === '1') {
      console.warn('BARQ_SKIP_BROWSER=1: skipping the screenshot of the served status page');
    } else {
      mkdirSync('test-results', { recursive: true });
      const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
      try {
        const tab = await browser.newPage({ viewport: { width: 1024, height: 768 } });
        await tab.goto(`${apiUrl}/status`);
        await tab.screenshot({ path: 'test-results/status-page-served.png', fullPage: true });
        await expect(tab.getByText('Requests to the BARQ API fail').first().isVisible()).resolves.toBe(true);
      } finally {
        await browser.close();
      }
    }

    await api('POST', `/incidents/${id}/resolve`, { summary: 'done', resolutionType: 'other' });
  });
});

describe('drill: worker killed while paging', () => {
  it('reuses one idempotency key and goes on', async () => {
    // A receiver that leaves the first request open and replies to a repeated
    // key with `duplicate: true`, as a pager that deduplicates does.
    const seen = new Set<string>();
    const requests: string[] = [];
    let firstArrived: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => {
      firstArrived = resolve;
    });
    const holding: Server = createServer((request, response) => {
      const key = String(request.headers['idempotency-key']);
      requests.push(key);
      request.resume();
      if (!seen.has(key)) {
        seen.add(key);
        firstArrived();
        return; // No reply: the worker is killed while it waits.
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ duplicate: true }));
    });
    await new Promise<void>((resolve) => holding.listen(0, '127.0.0.1', resolve));
    const receiverUrl = `http://127.0.0.1:${(holding.address() as AddressInfo).port}`;

    const taskQueue = `kill-drill-${Date.now()}`;
    const path = configFile((draft) => {
      draft['temporal'].taskQueue = taskQueue;
      for (const contact of draft['contacts']) contact.webhook = `${receiverUrl}/pages/${contact.id}`;
    });
    const childEnv = { ...process.env, BARQ_CONFIG: path, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default' };
    const startChildWorker = () =>
      spawn(process.execPath, ['--import', 'tsx', 'src/worker/main.ts'], { env: childEnv, stdio: 'ignore', detached: false });

    let child: ChildProcess | undefined = startChildWorker();
    const incidentId = `p0-kill-drill-${Date.now()}`;
    try {
      const declaredAt = new Date();
      const handle = await env.client.workflow.signalWithStart(WORKFLOW_TYPE_BY_SEVERITY.P0, {
        workflowId: incidentId,
        taskQueue,
        args: [incidentInput(incidentId, 'P0', testConfig(), declaredAt)],
        signal: alertReceivedSignal,
        signalArgs: [{ status: 'firing', receivedAt: declaredAt.toISOString(), alertCount: 1, firingCount: 1 }],
      });
      await Promise.race([arrived, new Promise((_, reject) => setTimeout(() => reject(new Error('no page within 60 s')), 60_000))]);
      child.kill('SIGKILL');
      await new Promise((resolve) => child?.once('exit', resolve));
      child = startChildWorker();

      const view = await eventually(
        async () => {
          const current = await handle.query(viewQuery);
          return current.paged.find((page) => page.contactId === 'primary-oncall')?.state === 'delivered' ? current : undefined;
        },
        'the page after the worker restart',
        120_000,
      );

      const primaryKeys = requests.filter((key) => key.endsWith('/primary-oncall'));
      expect(new Set(primaryKeys).size).toBe(1);
      expect(seen.size).toBe(new Set(requests).size);
      expect(timelineOf(view, 'page-sent').find((entry) => entry.contactId === 'primary-oncall')?.message).toContain('(receiver had it already)');
      expect(timelineOf(view, 'page-retry').some((entry) => entry.contactId === 'primary-oncall')).toBe(true);
      // The incident goes on under the restarted worker.
      const acknowledged = await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }] });
      expect(acknowledged.status).toBe('acknowledged');
      await handle.terminate('drill finished');
    } finally {
      child?.kill('SIGKILL');
      holding.closeAllConnections();
      await new Promise((resolve) => holding.close(resolve));
    }
  }, 240_000);
});
