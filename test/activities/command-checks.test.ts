import { chmodSync, existsSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import axios from 'axios';
import { afterEach, describe, expect, it } from 'vitest';

import type { CheckRequest } from '../../src/activities/checks.js';
import { createActivities } from '../../src/activities/index.js';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../src/config/load.js';
import type { CheckResult } from '../../src/shared/incident.js';
import { runActivity } from '../helpers/activity.js';
import { testConfig } from '../helpers/config.js';
import { configFile, loadError } from '../helpers/config-files.js';

const scriptDir = mkdtempSync(join(tmpdir(), 'barq-command-checks-'));
const request = { incidentId: 'inc-7f3a', checkId: 'script' };

/** Writes an executable `#!/bin/sh` script into this file's temporary directory. */
function writeScript(name: string, body: string, mode = 0o755): string {
  const path = join(scriptDir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, mode);
  return path;
}

/** Activities whose configuration allows `executable` and runs it as the check `script`. */
function activitiesFor(executable: string, options: { args?: string[]; timeout?: string } = {}) {
  const config = testConfig((draft) => {
    draft.commandAllowlist = [executable];
    draft.checks.push({
      id: 'script',
      kind: 'command',
      executable,
      args: options.args ?? [],
      timeout: options.timeout ?? '10s',
    });
  });
  return createActivities({ config, http: axios.create(), devInboxUrl: 'http://127.0.0.1:1' });
}

/** Sleeps until `ms` milliseconds after `startedAt`, a `Date.now()` value. */
async function waitUntil(startedAt: number, ms: number): Promise<void> {
  await sleep(Math.max(0, startedAt + ms - Date.now()));
}

describe('runCommandCheck', () => {
  const savedEnv = { ...process.env };

  afterEach(() => {
    process.env = { ...savedEnv };
  });

  it('passes on exit code zero', async () => {
    const executable = writeScript('pass.sh', 'echo "all services healthy"\nexit 0');
    const activities = activitiesFor(executable);

    const result = await runActivity(activities.runCommandCheck, request);

    expect(result.ok).toBe(true);
    expect(result.kind).toBe('command');
    expect(result.exitCode).toBe(0);
    expect(result.outputTail).toBe('all services healthy');
    expect(result.error).toBeUndefined();
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('fails on non-zero exit with output', async () => {
    const executable = writeScript('fail.sh', 'echo "checking disk"\necho "disk full" >&2\nexit 3');
    const activities = activitiesFor(executable);

    const result = await runActivity(activities.runCommandCheck, request);

    expect(result.ok).toBe(false);
    expect(result.exitCode).toBe(3);
    expect(result.error).toBe('exited with code 3');
    // stdout and stderr are separate pipes, so their relative order is not fixed.
    expect(result.outputTail?.split('\n').sort()).toEqual(['checking disk', 'disk full']);
  });

  it('kills a script group after timeout', async () => {
    const marker = join(scriptDir, 'timeout-marker');
    // The marker is written by a child of the script, so it stays absent only
    // if the whole process group is killed.
    const executable = writeScript('slow.sh', '(sleep 3; touch "$1") &\nwait');
    const activities = activitiesFor(executable, { args: [marker], timeout: '1s' });
    const startedAt = Date.now();

    const result = await runActivity(activities.runCommandCheck, request);

    expect(result.ok).toBe(false);
    expect(result.error).toBe('timed out after 1s');
    expect(result.exitCode).toBeUndefined();
    await waitUntil(startedAt, 4000);
    expect(existsSync(marker)).toBe(false);
  });

  it('keeps the last 20 lines', async () => {
    const executable = writeScript('chatty.sh', 'i=1\nwhile [ $i -le 30 ]; do echo "line $i"; i=$((i + 1)); done');
    const activities = activitiesFor(executable);

    const result = await runActivity(activities.runCommandCheck, request);

    const expected = Array.from({ length: 20 }, (_, index) => `line ${index + 11}`);
    expect(result.outputTail?.split('\n')).toEqual(expected);
  });

  it('keeps at most 4 KiB of output', async () => {
    // 3000 two-byte characters: the kept 4096 bytes start inside a character.
    const executable = writeScript('wide.sh', `echo "${'é'.repeat(3000)}"`);
    const activities = activitiesFor(executable);

    const result = await runActivity(activities.runCommandCheck, request);

    const tail = result.outputTail ?? '';
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(4096);
    expect(tail.length).toBeGreaterThan(2000);
    expect(tail).toMatch(/^é+$/);
  });

  it('reports a missing executable as failed', async () => {
    const activities = activitiesFor(join(scriptDir, 'missing.sh'));

    const result = await runActivity(activities.runCommandCheck, request);

    expect(result.ok).toBe(false);
    expect(result.error).toBe(`failed to start ${join(scriptDir, 'missing.sh')}: ENOENT, check that it exists and is executable`);
    expect(result.exitCode).toBeUndefined();
  });

  it('reports a non-executable file as failed', async () => {
    const executable = writeScript('not-executable.sh', 'exit 0', 0o644);
    const activities = activitiesFor(executable);

    const result = await runActivity(activities.runCommandCheck, request);

    expect(result.ok).toBe(false);
    expect(result.error).toBe(`failed to start ${executable}: EACCES, check that it exists and is executable`);
  });

  it('passes only PATH, HOME and LANG', async () => {
    process.env['LANG'] = 'C.UTF-8';
    process.env['BARQ_TEST_SECRET'] = 'must-not-leak';
    // env itself, not a script, because sh adds PWD to what it prints.
    const activities = activitiesFor('/usr/bin/env');

    const result = await runActivity(activities.runCommandCheck, request);

    const lines = result.outputTail?.split('\n') ?? [];
    const names = lines.map((line) => line.slice(0, line.indexOf('='))).sort();
    expect(names).toEqual(['HOME', 'LANG', 'PATH']);
    expect(lines).toContain(`PATH=${process.env['PATH']}`);
    expect(result.outputTail).not.toContain('must-not-leak');
  });

  it('passes configured arguments only', async () => {
    const executable = writeScript('arguments.sh', 'printf "%s\\n" "$@"');
    const activities = activitiesFor(executable, { args: ['--service', 'barq api'] });

    const result = await runActivity(activities.runCommandCheck, request);

    expect(result.outputTail).toBe('--service\nbarq api');
    expect(result.outputTail).not.toContain(request.incidentId);
  });

  it('runs in a removed temporary directory', async () => {
    const executable = writeScript('where.sh', 'pwd');
    const activities = activitiesFor(executable);

    const result = await runActivity(activities.runCommandCheck, request);

    const directory = result.outputTail ?? '';
    expect(directory.startsWith(join(realpathSync(tmpdir()), 'barq-check-'))).toBe(true);
    expect(existsSync(directory)).toBe(false);
  });

  it('heartbeats while the script runs', async () => {
    const executable = writeScript('long.sh', 'sleep 6');
    const activities = activitiesFor(executable);
    const environment = new MockActivityEnvironment();
    let heartbeats = 0;
    environment.on('heartbeat', () => {
      heartbeats += 1;
    });

    const result = await environment.run<[CheckRequest], CheckResult, typeof activities.runCommandCheck>(
      activities.runCommandCheck,
      request,
    );

    expect(result.ok).toBe(true);
    expect(heartbeats).toBeGreaterThanOrEqual(2);
  });

  it('kills the script on cancellation', async () => {
    const marker = join(scriptDir, 'cancel-marker');
    const started = join(scriptDir, 'cancel-started');
    const executable = writeScript('cancelled.sh', 'touch "$2"\n(sleep 2; touch "$1") &\nwait');
    const activities = activitiesFor(executable, { args: [marker, started], timeout: '30s' });
    const environment = new MockActivityEnvironment();
    const startedAt = Date.now();

    const run = environment.run(activities.runCommandCheck, request);
    while (!existsSync(started)) await sleep(20);
    environment.cancel();

    await expect(run).rejects.toBeInstanceOf(CancelledFailure);
    await waitUntil(startedAt, 3000);
    expect(existsSync(marker)).toBe(false);
  });

  it('rejects an unknown check ID', async () => {
    const activities = activitiesFor('/usr/bin/env');

    const run = runActivity(activities.runCommandCheck, { incidentId: 'inc-7f3a', checkId: 'api-live' });

    await expect(run).rejects.toMatchObject({ type: 'UnknownCheck', nonRetryable: true });
  });
});

function commandCheck(executable: string, timeout = '30s') {
  return { id: 'health-script', kind: 'command', executable, args: [], timeout };
}

describe('command check configuration', () => {
  it('loads the shipped commented-out checks', () => {
    const commentedCheckLine = /^ {2}# (- id: | {2}(kind|executable|args|timeout): )/gm;
    const text = readFileSync(DEFAULT_CONFIG_PATH, 'utf8').replace(commentedCheckLine, '  $1');
    const path = join(mkdtempSync(join(tmpdir(), 'barq-config-')), 'barq.yaml');
    writeFileSync(path, text);

    const config = loadConfig({ path, env: {} });

    const commands = config.checks.flatMap((check) => (check.kind === 'command' ? [check.executable] : []));
    expect(commands).toEqual(['/opt/barq/bin/health-check.sh', '/opt/barq/bin/e2e-smoke-test.sh']);
  });

  it('rejects an executable not allowlisted', () => {
    const path = configFile((config) => {
      config['checks'].push(commandCheck('/usr/local/bin/other.sh'));
    });

    const error = loadError(path);

    expect(error.key).toBe('checks.3.executable');
    expect(error.value).toBe('/usr/local/bin/other.sh');
    expect(error.expected).toContain('a path listed in commandAllowlist');
    expect(error.expected).toContain('/opt/barq/bin/health-check.sh');
  });

  it('rejects a relative allowlist path', () => {
    const path = configFile((config) => {
      config['commandAllowlist'] = ['bin/health-check.sh'];
    });

    const error = loadError(path);

    expect(error.key).toBe('commandAllowlist.0');
    expect(error.expected).toContain('an absolute path');
  });

  it('rejects .. in an allowlist path', () => {
    const path = configFile((config) => {
      config['commandAllowlist'] = ['/opt/barq/bin/../../../bin/sh'];
    });

    const error = loadError(path);

    expect(error.key).toBe('commandAllowlist.0');
    expect(error.expected).toBe('an absolute path without .. segments');
  });

  it('rejects a zero command timeout', () => {
    const path = configFile((config) => {
      config['checks'].push(commandCheck('/opt/barq/bin/health-check.sh', '0s'));
    });

    const error = loadError(path);

    expect(error.key).toBe('checks.3.timeout');
    expect(error.expected).toBe('a timeout from 1s to 5m');
  });
});
