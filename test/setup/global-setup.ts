import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    temporalCliPath: string;
    temporalTestServerPath: string;
  }
}

let redis: ChildProcess | undefined;

/**
 * Starts one real Redis for the whole run and resolves the Temporal binaries
 * once. Each test file starts its own Temporal server from these paths.
 */
export async function setup(project: TestProject): Promise<void> {
  const tools = 'scripts/temporal-tools.mjs';
  const run = promisify(execFile);
  const cli = (await run(process.execPath, [tools, 'path', 'cli'])).stdout.trim();
  const testServer = (await run(process.execPath, [tools, 'path', 'test-server'])).stdout.trim();
  project.provide('temporalCliPath', cli);
  project.provide('temporalTestServerPath', testServer);

  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await waitForRedis(redis, port);
  project.provide('redisUrl', `redis://127.0.0.1:${port}`);
}

export async function teardown(): Promise<void> {
  redis?.kill('SIGTERM');
}

async function waitForRedis(child: ChildProcess, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) =>
      reject(new Error('redis-server could not start; install it with `apt-get install redis-server`', { cause: error })),
    );
    child.once('exit', (code) => reject(new Error(`redis-server on port ${port} exited with ${code}: ${output}`)));
  });
}

/** Asks the kernel for an unused loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address !== null) resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}
