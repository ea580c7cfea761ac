import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';

import { buildApp } from '../../src/api/app.js';
import { parseApiTokens } from '../../src/api/auth.js';
import type { IncidentView } from '../../src/shared/incident.js';
import { devServerSearchAttributeFlags, registerSearchAttributes } from '../../src/temporal/search-attributes-setup.js';
import { createWorker } from '../../src/worker/worker.js';
import { testConfig } from '../helpers/config.js';
import { Receiver } from '../helpers/receiver.js';
import { startStack } from '../helpers/stack.js';
import { eventually } from '../helpers/temporal.js';

const TOKEN = 'drill-token-0123456789abcdef';

async function call(apiUrl: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

function alert(key: string, severity = 'P2') {
  return { key, status: 'firing', summary: `${key} drill`, severity, service: 'barq-api' };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('drill: redis down', () => {
  it('reports the failed cache check and goes on to page and resolve', async () => {
    const stack = await startStack({
      tokens: `drill=${TOKEN}`,
      // Nothing listens on port 1, so every Redis command fails at once.
      patch: (draft) => (draft.redis.url = 'redis://127.0.0.1:1'),
    });
    try {
      const opened = await call(stack.apiUrl, 'POST', '/webhooks/json', alert(`redis-down-${Date.now()}`));
      const id = String(opened.body['incidents'][0].id);

      const checked = await eventually(async () => {
        const { body } = await call(stack.apiUrl, 'GET', `/incidents/${id}`);
        const view = body as IncidentView;
        return view.checks.initial.some((check) => check.kind === 'redis') ? view : undefined;
      }, 'the initial checks', 60_000);
      const page = await eventually(async () => stack.pager.on('/pages/primary-oncall')[0], 'the page');
      const resolved = await call(stack.apiUrl, 'POST', `/incidents/${id}/resolve`, { summary: 'drill over', resolutionType: 'other' });

      const redisCheck = checked.checks.initial.find((check) => check.kind === 'redis');
      expect(redisCheck?.ok).toBe(false);
      expect(redisCheck?.checkId).toBe('redis-ping');
      expect(checked.timeline.some((entry) => entry.type === 'check-failed' && entry.checkId === 'redis-ping' && entry.flagged === true)).toBe(true);
      expect(page.body).toMatchObject({ incidentId: id });
      expect(resolved.status).toBe(200);
      expect(resolved.body['status']).toBe('resolved');
    } finally {
      await stack.stop();
    }
  }, 120_000);
});

describe('drill: page receiver down for two minutes', () => {
  it('delivers the page after the receiver returns, with the retries on the timeline', async () => {
    const stack = await startStack({ tokens: `drill=${TOKEN}` });
    try {
      const port = Number(new URL(stack.pager.url).port);
      await stack.pager.stop();
      const downAt = Date.now();

      const opened = await call(stack.apiUrl, 'POST', '/webhooks/json', alert(`receiver-down-${Date.now()}`));
      const id = String(opened.body['incidents'][0].id);
      await new Promise((resolve) => setTimeout(resolve, 120_000 - (Date.now() - downAt)));
      const whileDown = (await call(stack.apiUrl, 'GET', `/incidents/${id}`)).body as IncidentView;
      await stack.pager.start(port);
      const delivered = await eventually(
        async () => {
          const view = (await call(stack.apiUrl, 'GET', `/incidents/${id}`)).body as IncidentView;
          return view.paged.find((page) => page.contactId === 'primary-oncall')?.state === 'delivered' ? view : undefined;
        },
        'the page after the receiver returned',
        150_000,
      );

      const retries = delivered.timeline.filter((entry) => entry.type === 'page-retry' && entry.contactId === 'primary-oncall');
      expect(whileDown.paged.find((page) => page.contactId === 'primary-oncall')?.state).not.toBe('delivered');
      // Two rounds of four attempts, each round followed by a 1 min pause.
      expect(retries.filter((entry) => / \(attempt [0-9]\)/.test(entry.message)).length).toBeGreaterThanOrEqual(8);
      expect(retries.filter((entry) => entry.message.includes('trying again in 1m')).length).toBeGreaterThanOrEqual(2);
      expect(stack.pager.on('/pages/primary-oncall')).toHaveLength(1);
      expect(delivered.timeline.some((entry) => entry.type === 'page-failed')).toBe(false);
    } finally {
      await stack.stop();
    }
  }, 330_000);
});

describe('drill: dev server restart mid-incident', () => {
  it('fires the escalation timer and resolves after a restart on the same database', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'drill-temporal-'));
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const startServer = (): ChildProcess =>
      spawn(
        inject('temporalCliPath'),
        ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--db-filename', join(dataDir, 'temporal.sqlite'),
          '--log-level', 'error', ...devServerSearchAttributeFlags()],
        { stdio: 'ignore' },
      );
    const stopServer = async (child: ChildProcess) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    };
    const pager = await new Receiver().start();
    const barqApi = await new Receiver().start();
    barqApi.respond = () => ({ status: 200, body: { status: 'Healthy' } });
    let server = startServer();

    try {
      const connection = await eventually(async () => Connection.connect({ address }).catch(() => undefined), 'the dev server', 60_000);
      await registerSearchAttributes(connection, 'default');
      const config = testConfig((draft) => {
        draft.temporal.address = address;
        draft.service.baseUrl = barqApi.url;
        draft.redis.url = inject('redisUrl');
        draft.chat.provider = 'none';
        draft.statusPage.webhook = 'none';
        for (const contact of draft.contacts) contact.webhook = `${pager.url}/pages/${contact.id}`;
        // A short first level, so the escalation timer falls due after the restart.
        draft.severities.P2.escalation.levels = [
          { targets: ['primary-oncall'], wait: '40s' },
          { targets: ['secondary-oncall'], wait: '10m' },
        ];
      });
      const app = await buildApp({ config, client: new Client({ connection }), tokens: parseApiTokens(`drill=${TOKEN}`) });
      const apiUrl = await app.listen({ port: 0, host: '127.0.0.1' });
      const workerConnection = await NativeConnection.connect({ address });
      const worker = await createWorker({ config, connection: workerConnection, devInboxUrl: apiUrl });
      const running = worker.run();

      try {
        const opened = await call(apiUrl, 'POST', '/webhooks/json', alert(`restart-${Date.now()}`));
        const id = String(opened.body['incidents'][0].id);
        await eventually(async () => pager.on('/pages/primary-oncall')[0], 'the first page');

        await stopServer(server);
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        const restartedAt = Date.now();
        server = startServer();
        const escalation = await eventually(async () => pager.on('/pages/secondary-oncall')[0], 'the escalation page', 120_000);
        const resolved = await eventually(
          async () => {
            const answer = await call(apiUrl, 'POST', `/incidents/${id}/resolve`, { summary: 'drill over', resolutionType: 'other' });
            return answer.status === 503 ? undefined : answer;
          },
          'resolve after the restart',
          60_000,
        );

        expect(escalation.body).toMatchObject({ incidentId: id });
        expect(escalation.receivedAtMs).toBeGreaterThan(restartedAt);
        expect(resolved.status).toBe(200);
        expect(resolved.body['status']).toBe('resolved');
        expect(pager.on('/pages/primary-oncall')).toHaveLength(1);
      } finally {
        worker.shutdown();
        await running;
        await app.close();
        await workerConnection.close();
        await connection.close();
      }
    } finally {
      await stopServer(server);
      await pager.stop();
      await barqApi.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
