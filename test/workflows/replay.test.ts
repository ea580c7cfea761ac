import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import proto from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker, type ReplayResult } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';

import { workflowsPath } from '../../src/worker/worker.js';

const HISTORY_DIR = join(import.meta.dirname, '..', 'histories');
const ALTERED_WORKFLOWS = fileURLToPath(new URL('../fixtures/altered-workflows.ts', import.meta.url));

interface RecordedHistory {
  workflowId: string;
  history: proto.temporal.api.history.v1.History;
}

/** Reads the histories written by `scripts/record-histories.ts` (protobuf.js object form). */
function readHistories(): RecordedHistory[] {
  return readdirSync(HISTORY_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const parsed: unknown = JSON.parse(readFileSync(join(HISTORY_DIR, file), 'utf8'));
      return {
        workflowId: file.replace(/\.json$/, ''),
        history: proto.temporal.api.history.v1.History.fromObject(parsed as Record<string, unknown>),
      };
    });
}

async function replayAll(path: string): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for await (const result of Worker.runReplayHistories({ workflowsPath: path }, readHistories())) results.push(result);
  return results;
}

beforeAll(() => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
});

describe('recorded histories', () => {
  it('cover every severity and a recovery', () => {
    const ids = readHistories().map((recorded) => recorded.workflowId);

    expect(ids).toEqual(['p0-main-path', 'p0-recovery', 'p1-main-path', 'p2-main-path', 'p3-main-path']);
  });

  it('replay on the current workflows', async () => {
    const results = await replayAll(workflowsPath());

    const failures = results.filter((result) => result.error !== undefined).map((result) => `${result.workflowId}: ${String(result.error)}`);
    expect(failures).toEqual([]);
    expect(results).toHaveLength(5);
  });

  it('fail on an unguarded command change', async () => {
    const results = await replayAll(ALTERED_WORKFLOWS);

    const failed = results.filter((result) => result.error !== undefined).map((result) => result.workflowId);
    expect(failed).toEqual(['p0-main-path', 'p0-recovery']);
    const p0 = results.find((result) => result.workflowId === 'p0-main-path');
    expect(p0?.error?.name).toBe('DeterminismViolationError');
  });
});
