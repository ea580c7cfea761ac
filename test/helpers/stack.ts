import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { inject } from 'vitest';

import { buildApp, type App } from '../../src/api/app.js';
import { parseApiTokens } from '../../src/api/auth.js';
import type { Config } from '../../src/config/schema.js';
import { createWorker } from '../../src/worker/worker.js';
import { testConfig } from './config.js';
import { Receiver } from './receiver.js';
import { startDevServer } from './temporal.js';

/** A dev server, the API listening on loopback and a worker, with receivers for BARQ's API and the pagers. */
export interface Stack {
  env: TestWorkflowEnvironment;
  app: App;
  apiUrl: string;
  /** Returns 200 to the health checks. */
  barqApi: Receiver;
  /** Receives every contact's pages at `/pages/<contact>`. */
  pager: Receiver;
  stop: () => Promise<void>;
}

export interface StackOptions {
  /** `BARQ_API_TOKEN`-style entries, such as `alice=<token>`. */
  tokens: string;
  /** The API's environment, for integration secrets. */
  env?: NodeJS.ProcessEnv;
  patch?: (config: Config) => void;
}

/**
 * Starts the whole service against real components. Chat and the status
 * page are off, because no development inbox runs.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const env = await startDevServer();
  const pager = new Receiver();
  const barqApi = new Receiver();
  await pager.start();
  await barqApi.start();
  barqApi.respond = () => ({ status: 200, body: { status: 'Healthy' } });

  const config = testConfig((draft) => {
    draft.service.baseUrl = barqApi.url;
    draft.redis.url = inject('redisUrl');
    draft.temporal.namespace = env.namespace ?? 'default';
    draft.chat.provider = 'none';
    draft.statusPage.webhook = 'none';
    for (const contact of draft.contacts) contact.webhook = `${pager.url}/pages/${contact.id}`;
    options.patch?.(draft);
  });
  const app = await buildApp({ config, client: env.client, tokens: parseApiTokens(options.tokens), ...(options.env === undefined ? {} : { env: options.env }) });
  const apiUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  const worker: Worker = await createWorker({ config, connection: env.nativeConnection, devInboxUrl: apiUrl });
  const running = worker.run();

  const stop = async () => {
    worker.shutdown();
    await running;
    await app.close();
    await pager.stop();
    await barqApi.stop();
    await env.teardown();
  };
  return { env, app, apiUrl, barqApi, pager, stop };
}
