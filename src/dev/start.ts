import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';

import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { pino } from 'pino';

import { buildApp } from '../api/app.js';
import { parseApiTokens } from '../api/auth.js';
import { DevInbox } from '../api/dev-inbox.js';
import { ConfigError } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import { devServerSearchAttributeFlags, registerSearchAttributes } from '../temporal/search-attributes-setup.js';
import { createWorker } from '../worker/worker.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DATA_DIR = process.env['BARQ_DATA_DIR'] ?? join(REPO_ROOT, 'data');
const TOKEN_FILE = join(DATA_DIR, 'api-token');

/** The dev server this process started, stopped again if start-up fails. */
let devServer: ChildProcess | undefined;

const logger = pino({ name: 'barq-incident', transport: process.stdout.isTTY ? { target: 'pino-pretty' } : undefined });

/**
 * `npm start`: the Temporal dev server (SQLite file in data/, so incidents
 * survive a restart), the worker and the API in one process.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const tokens = parseApiTokens(loadOrCreateToken());
  mkdirSync(DATA_DIR, { recursive: true });

  // Signals are handled below, so the worker and the dev server stop in order.
  Runtime.install({ shutdownSignals: [] });

  const { address, namespace, uiUrl } = config.temporal;
  const server = (await isTemporalReachable(address)) ? undefined : await startDevServer(address, uiUrl);
  if (server === undefined) logger.info({ address }, 'using the Temporal server already listening');
  devServer = server;

  const clientConnection = await connectWithRetry(address);
  const added = await registerSearchAttributes(clientConnection, namespace);
  if (added.length > 0) logger.info({ added }, 'registered search attributes');

  const client = new Client({ connection: clientConnection, namespace });
  const devInbox = config.devInbox.enabled && process.env['NODE_ENV'] !== 'production' ? new DevInbox() : undefined;
  const app = await buildApp({ config, client, tokens, devInbox, logger });
  await app.listen({ port: config.api.port, host: config.api.host });
  const apiUrl = `http://${config.api.host}:${config.api.port}`;

  const workerConnection = await NativeConnection.connect({ address });
  const worker = await createWorker({ config, connection: workerConnection, devInboxUrl: apiUrl });
  const running = worker.run();

  logger.info({ api: apiUrl, temporalUi: uiUrl, temporal: address, namespace }, 'barq-incident is running');
  if (devInbox !== undefined) logger.info({ inbox: `${apiUrl}/dev/inbox` }, 'pages to dev-inbox contacts are listed here');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await app.close();
    worker.shutdown();
    await running;
    await workerConnection.close();
    await clientConnection.close();
    if (server !== undefined) await stopChild(server);
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  await running;
}

/** Reads BARQ_API_TOKEN, or the token kept in data/, or creates one and prints it once. */
function loadOrCreateToken(): string {
  const fromEnv = process.env['BARQ_API_TOKEN'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;

  if (existsSync(TOKEN_FILE)) {
    logger.info({ file: TOKEN_FILE }, 'API token read from file; set BARQ_API_TOKEN to use another');
    return readFileSync(TOKEN_FILE, 'utf8').trim();
  }

  mkdirSync(DATA_DIR, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(TOKEN_FILE, `${token}\n`, { mode: 0o600 });
  // Printed on purpose, once: the person who ran npm start needs it for curl.
  process.stdout.write(`\nGenerated API token (kept in ${TOKEN_FILE}):\n\n  ${token}\n\n`);
  return token;
}

async function startDevServer(address: string, uiUrl: string): Promise<ChildProcess> {
  const cli = await temporalCliPath();
  const [host, port] = splitAddress(address);
  const uiPort = new URL(uiUrl).port || '8233';
  const dbFile = join(DATA_DIR, 'temporal.sqlite');
  const logFile = join(DATA_DIR, 'temporal-server.log');

  const args = [
    'server',
    'start-dev',
    '--ip',
    host,
    '--port',
    port,
    '--ui-port',
    uiPort,
    '--db-filename',
    dbFile,
    '--log-level',
    'warn',
    ...devServerSearchAttributeFlags(),
  ];
  logger.info({ cli, dbFile, logFile }, 'starting the Temporal dev server');

  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal === null) logger.error({ code, logFile }, 'Temporal dev server exited');
  });
  return child;
}

async function temporalCliPath(): Promise<string> {
  const script = join(REPO_ROOT, 'scripts', 'temporal-tools.mjs');
  const { stdout } = await promisify(execFile)(process.execPath, [script, 'path', 'cli']);
  return stdout.trim();
}

async function isTemporalReachable(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 1000 });
    await connection.withDeadline(Date.now() + 1000, () => connection.workflowService.getSystemInfo({}));
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

async function connectWithRetry(address: string): Promise<Connection> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      await connection.withDeadline(Date.now() + 2000, () => connection.workflowService.getSystemInfo({}));
      return connection;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Temporal at ${address} did not respond within 60 s`, { cause: error });
      await new Promise((resolveDelay) => setTimeout(resolveDelay, 500));
    }
  }
}

function splitAddress(address: string): [string, string] {
  const separator = address.lastIndexOf(':');
  return [address.slice(0, separator), address.slice(separator + 1)];
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

main().catch(async (error: unknown) => {
  if (error instanceof ConfigError) {
    // A configuration mistake is the reader's to fix: print it plainly.
    console.error(error.message);
  } else {
    logger.error({ err: error }, 'start-up failed');
  }
  if (devServer !== undefined) await stopChild(devServer);
  process.exit(1);
});
