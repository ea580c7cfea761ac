import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, inject, it } from 'vitest';

import { alertmanagerPayload } from '../helpers/alertmanager.js';
import { eventually } from '../helpers/temporal.js';
import { freePort } from '../setup/global-setup.js';

const TOKEN = 'start-test-token-0123456789';

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Runs the `npm start` entry point with its own ports and data folder. */
function startService(env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/dev/start.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function isListening(url: string): Promise<boolean> {
  try {
    await fetch(url);
    return true;
  } catch {
    return false;
  }
}

describe('npm start', () => {
  it('serves an incident and keeps it across a restart', async () => {
    const [apiPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const env = {
      PORT: String(apiPort),
      BARQ_PUBLIC_URL: apiUrl,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TEMPORAL_UI_URL: `http://127.0.0.1:${uiPort}`,
      TEMPORAL_CLI_PATH: inject('temporalCliPath'),
      BARQ_DATA_DIR: mkdtempSync(join(tmpdir(), 'barq-start-')),
      BARQ_API_TOKEN: TOKEN,
      REDIS_URL: inject('redisUrl'),
    };
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

    const first = startService(env);
    await eventually(async () => ((await isListening(`${apiUrl}/health/live`)) ? true : undefined), 'the API', 90_000);
    await eventually(async () => (first.output().includes('barq-incident is running') ? true : undefined), 'the worker', 90_000);
    const accepted = await fetch(`${apiUrl}/webhooks/alertmanager`, {
      method: 'POST',
      headers,
      body: JSON.stringify(alertmanagerPayload()),
    });
    const { incidents } = (await accepted.json()) as { incidents: Array<{ id: string }> };
    const id = incidents[0]!.id;
    const inbox = await eventually(async () => {
      const response = await fetch(`${apiUrl}/dev/inbox`, { headers });
      const { pages } = (await response.json()) as { pages: Array<{ contactId: string; idempotencyKey: string }> };
      const primary = pages.filter((page) => page.contactId === 'primary-oncall');
      return primary.length > 0 ? primary : undefined;
    }, 'the page in the development inbox');
    const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
    first.child.kill('SIGINT');
    const firstExit = await first.exited;

    expect(accepted.status).toBe(202);
    expect(inbox).toHaveLength(1);
    expect(inbox[0]?.idempotencyKey).toMatch(new RegExp(`^${id}/[0-9a-f-]{36}/escalation-0/primary-oncall$`));
    expect(ui.status).toBe(200);
    expect(firstExit).toBe(0);
    expect(first.output()).toContain('stopped');
    expect(await isListening(`http://127.0.0.1:${uiPort}/`)).toBe(false);

    const second = startService(env);
    await eventually(async () => (second.output().includes('barq-incident is running') ? true : undefined), 'the restart', 90_000);
    const view = await fetch(`${apiUrl}/incidents/${id}`, { headers });
    const resolved = await fetch(`${apiUrl}/incidents/${id}/resolve`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ summary: 'restarted barq-api', resolutionType: 'other' }),
    });
    second.child.kill('SIGTERM');

    expect(view.status).toBe(200);
    expect(((await view.json()) as { status: string }).status).toBe('open');
    expect(resolved.status).toBe(200);
    expect(((await resolved.json()) as { status: string }).status).toBe('resolved');
    expect(await second.exited).toBe(0);
  });
});
