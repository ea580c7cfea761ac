import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import proto from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

import { workflowsPath } from '../../src/worker/worker.js';

const HISTORY_DIR = join(import.meta.dirname, '..', 'histories');

/** Reads a history written by `scripts/record-histories.ts` (protobuf.js object form). */
function readHistory(file: string): proto.temporal.api.history.v1.History {
  const parsed: unknown = JSON.parse(readFileSync(join(HISTORY_DIR, file), 'utf8'));
  return proto.temporal.api.history.v1.History.fromObject(parsed as Record<string, unknown>);
}

describe('recorded histories', () => {
  const files = readdirSync(HISTORY_DIR).filter((file) => file.endsWith('.json'));

  it('exist to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const history = readHistory(file);

    const replay = Worker.runReplayHistory({ workflowsPath: workflowsPath() }, history, file.replace(/\.json$/, ''));

    await expect(replay).resolves.toBeUndefined();
  });
});
