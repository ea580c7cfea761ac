import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';

import type { Activities } from '../activities/index.js';
import type { CheckRef, CheckResult } from '../shared/incident.js';
import type { IncidentState } from './incident-state.js';

// A check's failure is a result, not an error, so a check is retried only
// for a worker or network fault around it.
const checkActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 2, initialInterval: '1s' },
});

// A command check runs a script for up to its configured timeout (at most
// 5m, checked by the loader), so it gets 10m and must heartbeat every 30s.
const commandCheckActivities = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '30s',
  retry: { maximumAttempts: 2, initialInterval: '1s' },
});

// A page is retried with backoff for 30 minutes; a receiver's 4xx other than
// 408 and 429 is a non-retryable failure raised by the activity.
const pageActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '30m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/**
 * Returns the message of the activity's own failure. Temporal wraps it in an
 * ActivityFailure whose own message only states that the activity failed.
 */
export function failureMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.cause instanceof Error) return error.cause.message;
  return error.message;
}

/**
 * Pages one contact and records the outcome. Never throws: a page that
 * fails after its retries is flagged on the timeline instead of lost.
 */
export async function sendPage(state: IncidentState, contactId: string, step: string, reason: string): Promise<void> {
  const { input } = state;
  const page = state.startPage(contactId, step);
  try {
    const result = await pageActivities.pageContact.executeWithOptions({ summary: `page ${contactId}: ${reason}` }, [
      {
        incidentId: input.incidentId,
        runId: workflowInfo().runId,
        contactId,
        step,
        severity: input.severity,
        service: input.service,
        summary: input.summary,
        stage: state.currentStage,
        reason,
      },
    ]);
    page.state = 'delivered';
    page.deliveredAt = new Date().toISOString();
    const note = result.duplicate ? ' (receiver had it already)' : '';
    state.record({ type: 'page-sent', contactId, message: `paged ${contactId}: ${reason}${note}` });
    if (step.startsWith('escalation-')) state.completeTask('notify-primary', 'system', `${contactId} paged`);
  } catch (error) {
    page.state = 'failed';
    const cause = failureMessage(error);
    log.warn('page failed', { incidentId: input.incidentId, contactId, step, error: cause });
    state.record({ type: 'page-failed', contactId, flagged: true, message: `page to ${contactId} failed: ${cause}` });
  }
}

/** Runs every configured check at once and records each result as it arrives. */
export async function runChecks(state: IncidentState, phase: 'initial' | 'verification'): Promise<void> {
  const { checks } = state.input.policy;
  await Promise.all(
    checks.map(async (check) => {
      const result = await runCheck(state.input.incidentId, check, phase);
      state.addCheckResult(phase, result);
    }),
  );
}

export async function runCheck(incidentId: string, check: CheckRef, phase: string): Promise<CheckResult> {
  const options = { summary: `${phase} check ${check.id}` };
  const request = { incidentId, checkId: check.id };
  try {
    if (check.kind === 'redis') return await checkActivities.pingRedis.executeWithOptions(options, [request]);
    if (check.kind === 'command') {
      return await commandCheckActivities.runCommandCheck.executeWithOptions(options, [request]);
    }
    return await checkActivities.probeHttp.executeWithOptions(options, [request]);
  } catch (error) {
    // The check could not run at all (a worker fault or a configuration
    // error). Record that as a failed result rather than lose the step.
    return {
      checkId: check.id,
      kind: check.kind,
      ok: false,
      latencyMs: 0,
      error: `check did not run: ${failureMessage(error)}`,
      checkedAt: new Date().toISOString(),
    };
  }
}
