import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { inject } from 'vitest';

import { INCIDENT_SEARCH_ATTRIBUTE_KEYS } from '../../src/workflows/search-attributes.js';
import { registerSearchAttributes } from '../../src/temporal/search-attributes-setup.js';
import { workflowsPath } from '../../src/worker/worker.js';

let runtimeInstalled = false;

/** Installs the SDK runtime once per test file, logging warnings and errors only. */
function installRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  runtimeInstalled = true;
}

/** Starts a real Temporal dev server (in memory) with the incident search attributes. */
export async function startDevServer(): Promise<TestWorkflowEnvironment> {
  installRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: inject('temporalCliPath') },
      ip: '127.0.0.1',
      searchAttributes: INCIDENT_SEARCH_ATTRIBUTE_KEYS,
    },
  });
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Starts a time-skipping test server with the incident search attributes and bundles the workflows. */
export async function startTimeSkippingServer(): Promise<{ env: TestWorkflowEnvironment; bundle: WorkflowBundleWithSourceMap }> {
  installRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('temporalTestServerPath') } },
  });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  const bundle = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('WARN') });
  return { env, bundle };
}
