import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startStack, type Stack } from '../helpers/stack.js';

const run = promisify(execFile);
const TOKEN = 'schemathesis-token-0123456789';
const SCHEMATHESIS = fileURLToPath(new URL('../../tools/schemathesis/bin/schemathesis', import.meta.url));

let stack: Stack;
let workDir: string;

beforeAll(async () => {
  stack = await startStack({ tokens: `fuzzer=${TOKEN}` });
  workDir = mkdtempSync(join(tmpdir(), 'schemathesis-'));
});

afterAll(async () => {
  await stack?.stop();
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

interface Report {
  exit_code?: number;
  failures?: Array<{ code?: string; operations?: unknown }>;
}

describe('openapi contract under schemathesis', () => {
  it('finds no server error and no response outside the schema', async () => {
    expect(existsSync(SCHEMATHESIS), `${SCHEMATHESIS} is missing; npm test installs it (scripts/install-schemathesis.sh)`).toBe(true);
    // Its crash cache and example database would replay old failures and
    // make runs differ; both are turned off or kept in the temporary folder.
    const configFile = join(workDir, 'schemathesis.toml');
    writeFileSync(configFile, '[cache]\nenabled = false\n');
    const reportFile = join(workDir, 'report.json');

    const outcome = await run(
      SCHEMATHESIS,
      [
        '--config-file',
        configFile,
        '--no-color',
        'run',
        `${stack.apiUrl}/openapi.json`,
        '--url',
        stack.apiUrl,
        '--header',
        `Authorization: Bearer ${TOKEN}`,
        '--checks',
        'not_a_server_error,response_schema_conformance',
        '--max-examples',
        '20',
        '--seed',
        '1',
        '--workers',
        '1',
        '--generation-database',
        'none',
        '--request-timeout',
        '40',
        '--report',
        'json',
        '--report-json-path',
        reportFile,
      ],
      { cwd: workDir, env: { ...process.env, HYPOTHESIS_STORAGE_DIRECTORY: join(workDir, 'hypothesis'), NO_PROXY: '127.0.0.1' }, maxBuffer: 64 * 1024 * 1024 },
    ).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code?: number; stdout?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? '' }),
    );
    const report = existsSync(reportFile) ? (JSON.parse(readFileSync(reportFile, 'utf8')) as Report) : {};

    // The summary names each failing check and operation; print it when it fails.
    expect(outcome.code, outcome.stdout.split('\n').slice(-120).join('\n')).toBe(0);
    expect(report.failures ?? []).toEqual([]);
  });
});
