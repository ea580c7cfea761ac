import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Context, log } from '@temporalio/activity';

import { durationToMs } from '../shared/duration.js';
import type { CheckResult } from '../shared/incident.js';
import { findCheck, type CheckDeps, type CheckRequest } from './checks.js';

/** The only environment variables a command check inherits from the worker. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG'] as const;

/** Well inside the workflow's 30 s heartbeat timeout for command checks. */
const HEARTBEAT_INTERVAL_MS = 5_000;

const TAIL_LINES = 20;
const TAIL_BYTES = 4 * 1024;

/** Exit status, output tail and start error of a command check's process. */
interface ProcessOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** errno code when the process could not start, such as ENOENT or EACCES. */
  startError?: string;
  outputTail: string;
}

interface ProcessOptions {
  cwd: string;
  timeoutMs: number;
  cancellationSignal: AbortSignal;
  heartbeat: () => void;
}

/**
 * Runs one configured command check: the allowlisted executable with its
 * configured arguments, no shell, an environment of only PATH, HOME and LANG,
 * and a fresh temporary directory as cwd. Exit code 0 passes. A non-zero exit,
 * a signal, the timeout or an executable that cannot start is a failed result,
 * not an error. Cancelling the activity kills the process and rethrows the
 * cancellation.
 */
export async function runCommandCheck(deps: CheckDeps, request: CheckRequest): Promise<CheckResult> {
  const check = findCheck(deps.config, request.checkId, 'command');
  const context = Context.current();
  const logFields = { incidentId: request.incidentId, checkId: check.id, executable: check.executable };
  const cwd = await mkdtemp(join(tmpdir(), 'barq-check-'));
  const checkedAt = new Date().toISOString();
  const started = performance.now();

  log.info('command check started', logFields);
  let outcome: ProcessOutcome;
  let latencyMs: number;
  try {
    outcome = await runProcess(check.executable, check.args, {
      cwd,
      timeoutMs: durationToMs(check.timeout),
      cancellationSignal: context.cancellationSignal,
      heartbeat: () => context.heartbeat(),
    });
    latencyMs = Math.round(performance.now() - started);
  } finally {
    await removeDirectory(cwd, logFields);
  }

  if (context.cancellationSignal.aborted) {
    log.info('command check cancelled', { ...logFields, latencyMs });
    // Rejects with the CancelledFailure that Temporal expects from a cancelled activity.
    await context.cancelled;
  }

  const error = describeFailure(outcome, check.executable, check.timeout);
  log.info('command check finished', { ...logFields, ok: error === undefined, exitCode: outcome.exitCode, latencyMs, error });
  return {
    checkId: check.id,
    kind: 'command',
    ok: error === undefined,
    ...(outcome.exitCode === null ? {} : { exitCode: outcome.exitCode }),
    outputTail: outcome.outputTail,
    latencyMs,
    checkedAt,
    ...(error === undefined ? {} : { error }),
  };
}

/** Returns the reason a command check failed, or undefined when it passed. */
function describeFailure(outcome: ProcessOutcome, executable: string, timeout: string): string | undefined {
  if (outcome.startError !== undefined) {
    return `failed to start ${executable}: ${outcome.startError}, check that it exists and is executable`;
  }
  if (outcome.timedOut) return `timed out after ${timeout}`;
  if (outcome.signal !== null) return `killed by signal ${outcome.signal}`;
  if (outcome.exitCode !== 0) return `exited with code ${String(outcome.exitCode)}`;
  return undefined;
}

/**
 * Runs the executable without a shell in a process group of its own, so that
 * the timeout and a cancellation kill the children of a script too, and
 * heartbeats while it runs. Never rejects: every way the process can end is
 * an outcome. Only the last 4 KiB of output are kept in memory.
 */
function runProcess(executable: string, args: string[], options: ProcessOptions): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    let tail = Buffer.alloc(0);
    let timedOut = false;

    // execFile would buffer all output and ignores `detached`, so it cannot
    // start the process group that the timeout kills.
    let child: ChildProcess;
    try {
      child = spawn(executable, args, {
        cwd: options.cwd,
        env: inheritedEnvironment(),
        // No input: /dev/null gives a script that reads stdin an immediate EOF.
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
    } catch (error) {
      // spawn throws for start errors other than ENOENT, EACCES, EAGAIN, EMFILE and ENFILE.
      resolve({ exitCode: null, signal: null, timedOut, startError: errorCode(error), outputTail: '' });
      return;
    }

    const appendOutput = (chunk: Buffer) => {
      const combined = Buffer.concat([tail, chunk]);
      tail = combined.subarray(Math.max(0, combined.length - TAIL_BYTES));
    };
    child.stdout?.on('data', appendOutput);
    child.stderr?.on('data', appendOutput);

    // Destroying the pipes too lets 'close' fire even when a process that
    // left the group keeps them open.
    function killProcessGroup() {
      child.stdout?.destroy();
      child.stderr?.destroy();
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // ESRCH: the whole group has already exited.
      }
    }

    const timeoutTimer = setTimeout(() => {
      timedOut = true;
      killProcessGroup();
    }, options.timeoutMs);
    const heartbeatTimer = setInterval(options.heartbeat, HEARTBEAT_INTERVAL_MS);
    options.heartbeat();
    if (options.cancellationSignal.aborted) killProcessGroup();
    else options.cancellationSignal.addEventListener('abort', killProcessGroup, { once: true });

    const finish = (outcome: Pick<ProcessOutcome, 'exitCode' | 'signal' | 'startError'>) => {
      clearTimeout(timeoutTimer);
      clearInterval(heartbeatTimer);
      options.cancellationSignal.removeEventListener('abort', killProcessGroup);
      resolve({ ...outcome, timedOut, outputTail: tailText(tail) });
    };
    // A process that never started has no pid and reports ENOENT or EACCES
    // through 'error'. Once started, 'close' follows its exit and closed pipes.
    child.on('error', (error) => {
      if (child.pid === undefined) finish({ exitCode: null, signal: null, startError: errorCode(error) });
    });
    child.on('close', (exitCode, signal) => {
      if (child.pid !== undefined) finish({ exitCode, signal });
    });
  });
}

function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : String(error);
}

function inheritedEnvironment(): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {};
  for (const name of INHERITED_ENV) {
    const value = process.env[name];
    if (value !== undefined) environment[name] = value;
  }
  return environment;
}

/**
 * Decodes the kept bytes and keeps the last lines. The bytes may start inside
 * a UTF-8 character, which decodes to U+FFFD and is dropped.
 */
function tailText(bytes: Buffer): string {
  const text = bytes.toString('utf8').replace(/^\uFFFD+/, '').replace(/\n$/, '');
  return text.split('\n').slice(-TAIL_LINES).join('\n');
}

async function removeDirectory(path: string, logFields: Record<string, string>): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
  } catch (error) {
    log.warn('failed to remove the temporary directory of a command check', {
      ...logFields,
      path,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
