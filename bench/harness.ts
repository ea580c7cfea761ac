import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { Client, Connection } from '@temporalio/client';
import { stringify } from 'yaml';

import { loadConfig } from '../src/config/load.js';
import type { Config } from '../src/config/schema.js';
import { devServerSearchAttributeFlags, registerSearchAttributes } from '../src/temporal/search-attributes-setup.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BENCH_TOKEN = 'bench-token-0123456789abcdef';

/**
 * Environment variables that override configuration keys (src/config/load.ts)
 * or name another configuration; the benchmark's processes must not inherit
 * them from the caller's shell.
 */
const CONFIG_VARIABLES = [
  'BARQ_CONFIG',
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_TASK_QUEUE',
  'TEMPORAL_UI_URL',
  'PORT',
  'HOST',
  'BARQ_PUBLIC_URL',
  'BARQ_DEV_INBOX',
  'BARQ_SERVICE_URL',
  'REDIS_URL',
  'FLOWABLE_URL',
  'BARQ_API_TOKEN',
];

/** Reads a whole-number `BENCH_*` setting, stopping the benchmark before it starts anything when it is out of range. */
export function setting(name: string, fallback: number, min: number, max: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} is ${JSON.stringify(text)}; expected a whole number from ${min} to ${max}`);
  }
  return value;
}

/** A page as the bench receiver saw it, with its arrival time. */
export interface ArrivedPage {
  incidentId: string;
  contactId: string;
  atMs: number;
}

/** Records every page; `/health/*` responds after `healthDelayMs`, standing in for a slow BARQ API. */
export class BenchReceiver {
  readonly pages: ArrivedPage[] = [];
  /** Health check requests received, a sign of how many incidents ran their initial checks. */
  healthRequests = 0;
  healthDelayMs = 0;
  private server?: Server;

  get url(): string {
    const address = this.server?.address();
    if (address === null || address === undefined || typeof address === 'string') throw new Error('bench receiver is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      void readBody(request).then((text) => {
        const atMs = Date.now();
        const match = /^\/pages\/([a-z0-9-]+)/.exec(request.url ?? '');
        if (match?.[1] !== undefined) {
          const body = JSON.parse(text) as { incidentId?: string };
          this.pages.push({ incidentId: body.incidentId ?? '', contactId: match[1], atMs });
        }
        if (request.url?.startsWith('/health') === true) this.healthRequests += 1;
        const reply = () => response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"Healthy"}');
        if (request.url?.startsWith('/health') === true && this.healthDelayMs > 0) setTimeout(reply, this.healthDelayMs);
        else reply();
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

export interface BenchStack {
  address: string;
  apiUrl: string;
  client: Client;
  config: Config;
  receiver: BenchReceiver;
  worker: ChildProcess;
  stop: () => Promise<void>;
}

export interface BenchStackOptions {
  /** Changes to the shipped configuration for this benchmark. */
  patch?: (config: Config) => void;
  /** Starts no API process, for benchmarks that drive Temporal directly. */
  withoutApi?: boolean;
}

/**
 * Starts an in-memory Temporal dev server, Redis, the worker and the API as
 * their own processes (as in production), and a receiver for every page and
 * health check. Alert sources may send as fast as they like: rate limits
 * are raised.
 */
export async function startBenchStack(options: BenchStackOptions = {}): Promise<BenchStack> {
  const dir = mkdtempSync(join(tmpdir(), 'barq-bench-'));
  const children: ChildProcess[] = [];
  const receiver = new BenchReceiver();
  // Everything started so far is stopped again when start-up fails.
  const cleanUp = async () => {
    for (const child of children.reverse()) await terminate(child);
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    return await start(options, dir, children, receiver, cleanUp);
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

async function start(
  options: BenchStackOptions,
  dir: string,
  children: ChildProcess[],
  receiver: BenchReceiver,
  cleanUp: () => Promise<void>,
): Promise<BenchStack> {
  await receiver.start();

  const redisPort = await freePort();
  const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  children.push(redis);
  await new Promise<void>((resolve, reject) => {
    redis.once('spawn', resolve);
    redis.once('error', (error) => reject(new Error('redis-server could not start; install it with: apt-get install redis-server', { cause: error })));
  });

  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const cli = (await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'scripts/temporal-tools.mjs'), 'path', 'cli'])).stdout.trim();
  const server = spawn(
    cli,
    ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error', ...devServerSearchAttributeFlags()],
    { stdio: 'ignore' },
  );
  children.push(server);
  const connection = await retry(() => Connection.connect({ address }), 'the Temporal dev server');
  await registerSearchAttributes(connection, 'default');
  const client = new Client({ connection });

  const config = structuredClone(loadConfig({ env: {} }));
  config.temporal.address = address;
  config.service.baseUrl = receiver.url;
  config.redis.url = `redis://127.0.0.1:${redisPort}`;
  config.devInbox.enabled = false;
  config.chat.provider = 'none';
  config.statusPage.webhook = 'none';
  for (const task of config.tasks) {
    delete task.action;
    delete task.target;
  }
  for (const contact of config.contacts) {
    delete contact.channels;
    delete contact.person;
    delete contact.rotation;
    contact.webhook = `${receiver.url}/pages/${contact.id}`;
  }
  for (const integration of Object.values(config.alerts.integrations)) {
    if (integration !== undefined) integration.rateLimit = { perMinute: 1_000_000, burst: 1_000_000 };
  }
  options.patch?.(config);
  const configPath = join(dir, 'barq.yaml');
  writeFileSync(configPath, stringify(config));

  const apiPort = await freePort();
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !CONFIG_VARIABLES.includes(key)));
  const childEnv = { ...inherited, BARQ_CONFIG: configPath, TEMPORAL_ADDRESS: address, PORT: String(apiPort), BARQ_API_TOKEN: `bench=${BENCH_TOKEN}` };
  // The logs would drown the figures; they stay in the temporary folder while the benchmark runs.
  const logTo = (name: string) => openSync(join(dir, `${name}.log`), 'a');
  const worker = spawn(process.execPath, ['--import', 'tsx', 'src/worker/main.ts'], {
    cwd: REPO_ROOT,
    env: childEnv,
    stdio: ['ignore', logTo('worker'), logTo('worker')],
  });
  children.push(worker);
  const api =
    options.withoutApi === true
      ? undefined
      : spawn(process.execPath, ['--import', 'tsx', 'src/api/main.ts'], { cwd: REPO_ROOT, env: childEnv, stdio: ['ignore', logTo('api'), logTo('api')] });
  if (api !== undefined) children.push(api);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  if (api !== undefined) {
    await retry(async () => {
      if (api.exitCode !== null) throw new Fatal(`the API exited with code ${api.exitCode}: ${readFileSync(join(dir, 'api.log'), 'utf8').slice(-2000)}`);
      const response = await fetch(`${apiUrl}/health/ready`);
      if (!response.ok) throw new Error(`readiness returned HTTP ${response.status}`);
    }, 'the API');
  }
  await waitForWorker(worker, join(dir, 'worker.log'));

  const stop = async () => {
    await connection.close();
    await cleanUp();
  };
  return { address, apiUrl, client, config, receiver, worker, stop };
}

/** Resident memory of a process in MiB, from /proc. */
export function residentMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return Math.round(kib / 1024);
}

/** Returns the value below which `fraction` of `values` fall (nearest rank). */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/** Returns the lines every benchmark prints first: command, settings from the environment, machine and date. */
export function header(name: string, script: string): string {
  const settings = Object.entries(process.env)
    .filter(([key]) => key.startsWith('BENCH_'))
    .map(([key, value]) => `${key}=${value} `)
    .join('');
  return [
    `# ${name}`,
    `command: ${settings}npm run ${script}`,
    `machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.versions.node}`,
    `date: ${new Date().toISOString()}`,
  ].join('\n');
}

/** Runs `count` calls of `fn` with at most `concurrency` in flight. */
export async function pool<T>(count: number, concurrency: number, fn: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const index = next;
      next += 1;
      results[index] = await fn(index);
    }
  });
  await Promise.all(lanes);
  return results;
}

export async function sleepMs(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for the worker's `worker started` log line (its workflows are bundled), failing with its log if it exits first. */
async function waitForWorker(worker: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const log = readFileSync(logFile, 'utf8');
    if (worker.exitCode !== null) throw new Error(`the worker exited with code ${worker.exitCode}: ${log.slice(-2000)}`);
    if (log.includes('worker started')) return;
    if (Date.now() > deadline) throw new Error(`the worker did not start within 120 s: ${log.slice(-2000)}`);
    await sleepMs(250);
  }
}

async function retry<T>(fn: () => Promise<T>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof Fatal) throw error;
      if (Date.now() > deadline) throw new Error(`${what} did not start within ${timeoutMs / 1000} s`, { cause: error });
      await sleepMs(300);
    }
  }
}

/** Stops a child with SIGTERM, or SIGKILL after 10 s, so no process outlives the benchmark. */
async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** An error that ends a retry loop at once. */
class Fatal extends Error {}

async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
