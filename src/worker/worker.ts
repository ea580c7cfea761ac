import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { DefaultLogger, Worker, bundleWorkflowCode, type NativeConnection } from '@temporalio/worker';
import axios from 'axios';

import { flowableCredentialsFromEnv } from '../activities/flowable.js';
import { createActivities } from '../activities/index.js';
import type { Config } from '../config/schema.js';

export interface CreateWorkerOptions {
  config: Config;
  connection: NativeConnection;
  /** Base URL of the API whose development inbox receives `dev-inbox` pages. */
  devInboxUrl?: string;
}

/**
 * Resolves the workflow entry point whether the worker runs from the
 * TypeScript sources (tsx, tests) or from the compiled `dist/` folder.
 */
export function workflowsPath(): string {
  const compiled = fileURLToPath(new URL('../workflows/index.js', import.meta.url));
  if (existsSync(compiled)) return compiled;
  return fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
}

/** Creates the worker that runs every incident workflow and its activities. */
export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const { config, connection } = options;
  const activities = createActivities({
    config,
    http: axios.create({ headers: { 'User-Agent': 'barq-incident' } }),
    devInboxUrl: options.devInboxUrl ?? config.api.publicUrl,
    flowableCredentials: flowableCredentialsFromEnv(),
  });

  // Bundled here rather than by Worker.create so webpack's build report stays
  // out of the log; warnings and errors still show.
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('WARN') });
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundle,
    activities,
  });
}
