import { execFile, type ExecFileException } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { beforeAll, describe, expect, it } from 'vitest';

import { SearchAttributeType } from '@temporalio/common';

import { INCIDENT_SEARCH_ATTRIBUTE_KEYS } from '../src/workflows/search-attributes.js';

// Validates docker-compose.yml with the Docker Compose v2 CLI plugin
// (`docker compose config`), which needs no Docker engine.
// scripts/install-compose.sh installs the plugin.

const execFileAsync = promisify(execFile);

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const composeFile = path.join(repoRoot, 'docker-compose.yml');
const testToken = 'compose-test-token';
const installHint = 'Run scripts/install-compose.sh to install the Docker Compose v2 plugin.';

interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

interface PortMapping {
  target: number;
  published?: string;
}

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[] | null;
  environment?: Record<string, string | null>;
  ports?: PortMapping[];
}

interface ComposeConfig {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/**
 * Runs `docker ARGS` and returns its exit code and output. A non-zero exit
 * code is returned, but a CLI that cannot be started (ENOENT) throws.
 */
async function runDocker(args: string[], env: NodeJS.ProcessEnv): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await execFileAsync('docker', args, {
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { exitCode: 0, stdout, stderr };
  } catch (error) {
    const failure = error as ExecFileException & { stdout?: string; stderr?: string };
    if (typeof failure.code !== 'number') {
      throw error;
    }
    return { exitCode: failure.code, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

/**
 * Builds the environment for `docker compose`: the test's environment without
 * BARQ_API_TOKEN, plus `overrides`.
 */
function composeEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...overrides };
  if (!('BARQ_API_TOKEN' in overrides)) {
    delete env.BARQ_API_TOKEN;
  }
  return env;
}

/**
 * Runs `docker compose config` on the repo's compose file. The empty
 * --env-file keeps a developer's local .env from setting BARQ_API_TOKEN.
 */
function composeConfig(configArgs: string[], env: NodeJS.ProcessEnv): Promise<CommandResult> {
  return runDocker(
    [
      'compose',
      '--file',
      composeFile,
      '--project-directory',
      repoRoot,
      '--env-file',
      '/dev/null',
      'config',
      ...configArgs,
    ],
    env,
  );
}

async function loadConfig(): Promise<ComposeConfig> {
  const result = await composeConfig(['--format', 'json'], composeEnv({ BARQ_API_TOKEN: testToken }));
  if (result.exitCode !== 0) {
    throw new Error(
      `docker compose config --format json failed with exit code ${result.exitCode}: ${result.stderr.trim()}`,
    );
  }
  return JSON.parse(result.stdout) as ComposeConfig;
}

function publishedPorts(service: ComposeService | undefined): string[] {
  return (service?.ports ?? []).map((port) => `${port.published ?? ''}:${port.target}`);
}

/** Returns why `docker compose` cannot run, with the install hint, or undefined when it can. */
async function findComposeProblem(): Promise<Error | undefined> {
  let version: CommandResult;
  try {
    version = await runDocker(['compose', 'version'], process.env);
  } catch (error) {
    return new Error(`docker CLI could not be started (${(error as Error).message}). ${installHint}`);
  }
  if (version.exitCode !== 0) {
    return new Error(
      `'docker compose version' failed with exit code ${version.exitCode}: ` +
        `${version.stderr.trim()}. ${installHint}`,
    );
  }
  return undefined;
}

describe('docker compose file', () => {
  // Each test throws composeProblem itself, so a missing plugin fails every
  // test with the install hint instead of marking them skipped.
  let composeProblem: Error | undefined;
  let configPromise: Promise<ComposeConfig> | undefined;

  beforeAll(async () => {
    composeProblem = await findComposeProblem();
  });

  function requireCompose(): void {
    if (composeProblem !== undefined) {
      throw composeProblem;
    }
  }

  /** Loads the resolved config once and shares it between the tests. */
  function config(): Promise<ComposeConfig> {
    requireCompose();
    configPromise ??= loadConfig();
    return configPromise;
  }

  it('config --quiet exits 0', async () => {
    requireCompose();
    const result = await composeConfig(['--quiet'], composeEnv({ BARQ_API_TOKEN: testToken }));

    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  it('defines expected services', async () => {
    const { services } = await config();

    expect(Object.keys(services).sort()).toEqual([
      'api',
      'postgresql',
      'redis',
      'temporal',
      'temporal-setup',
      'temporal-ui',
      'worker',
    ]);
  });

  it('publishes Temporal, UI and API ports', async () => {
    const { services } = await config();

    expect(publishedPorts(services.temporal)).toEqual(['7233:7233']);
    expect(publishedPorts(services['temporal-ui'])).toEqual(['8233:8080']);
    expect(publishedPorts(services.api)).toEqual(['3000:3000']);
  });

  it('points worker and api at temporal', async () => {
    const { services } = await config();

    for (const name of ['worker', 'api']) {
      const environment = services[name]?.environment ?? {};
      expect(environment.TEMPORAL_ADDRESS, name).toBe('temporal:7233');
      expect(environment.TEMPORAL_NAMESPACE, name).toBe('default');
      expect(environment.REDIS_URL, name).toBe('redis://redis:6379');
      expect(environment.BARQ_CONFIG, name).toBe('/app/config/barq.yaml');
      expect(environment.NODE_ENV, name).toBe('production');
      expect(environment.BARQ_API_TOKEN, name).toBe(testToken);
    }
    expect(services['temporal-ui']?.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('builds worker and api from one image', async () => {
    const { services } = await config();
    const worker = services.worker;
    const api = services.api;

    expect(worker?.build?.context).toBe(repoRoot);
    expect(worker?.build?.dockerfile).toBe('Dockerfile');
    expect(api?.build).toEqual(worker?.build);
    expect(api?.image).toBe(worker?.image);
    expect(worker?.command).toEqual(['node', 'dist/worker/main.js']);
    expect(api?.command).toEqual(['node', 'dist/api/main.js']);
  });

  it('registers incident search attributes', async () => {
    const { services } = await config();
    const script = (services['temporal-setup']?.command ?? []).join('\n');

    for (const key of INCIDENT_SEARCH_ATTRIBUTE_KEYS) {
      const type = key.type === SearchAttributeType.BOOL ? 'Bool' : 'Keyword';
      expect(script, key.name).toContain(`--name ${key.name} --type ${type}`);
    }
  });

  it('fails without BARQ_API_TOKEN', async () => {
    requireCompose();
    const result = await composeConfig(['--quiet'], composeEnv());

    expect(result.exitCode, 'exit code with BARQ_API_TOKEN unset').not.toBe(0);
    expect(result.stderr).toContain('BARQ_API_TOKEN');
    expect(result.stderr).toContain('set BARQ_API_TOKEN');
  });

  it('fails with empty BARQ_API_TOKEN', async () => {
    requireCompose();
    const result = await composeConfig(['--quiet'], composeEnv({ BARQ_API_TOKEN: '' }));

    expect(result.exitCode, 'exit code with BARQ_API_TOKEN empty').not.toBe(0);
    expect(result.stderr).toContain('set BARQ_API_TOKEN');
  });
});
