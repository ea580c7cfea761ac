import { ActivityFailure, ApplicationFailure, log, patched, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';

import type { Activities } from '../activities/index.js';
import { durationToMs } from '../shared/duration.js';
import {
  DEFAULT_DELIVERY,
  type CheckRef,
  type CheckResult,
  type DeliveryResult,
  type PageRecord,
  type PageRequest,
} from '../shared/incident.js';
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

// One attempt per activity: the workflow retries a page itself, so that
// every failed attempt is on the timeline and it can switch channels. A
// worker that dies mid-attempt surfaces as the 30s timeout.
const deliveryActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 1 },
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
  const hold = state.pagesHeld ? state.maintenance : undefined;
  if (hold !== undefined) {
    state.heldPages.push({ contactId, step, reason });
    state.record({
      type: 'page-held',
      contactId,
      message: `page to ${contactId} held by maintenance window ${hold.windowId} until ${hold.endsAt}: ${reason}`,
    });
    return;
  }
  const page = state.startPage(contactId, step);
  const request: PageRequest = {
    incidentId: input.incidentId,
    runId: workflowInfo().runId,
    contactId,
    step,
    severity: input.severity,
    service: input.service,
    summary: input.summary,
    stage: state.currentStage,
    ...stageDeadline(state),
    reason,
  };
  // Runs recorded before channels existed page through one activity with
  // Temporal's retries; the patch keeps them replaying as they were.
  if (!patched('page-through-channels')) {
    await sendPageOnce(state, page, request);
    return;
  }

  const result = await deliverThroughChannels(state, request);
  if (typeof result === 'string') {
    page.state = 'failed';
    log.warn('page failed', { incidentId: input.incidentId, contactId, step, error: result });
    state.record({ type: 'page-failed', contactId, flagged: true, message: `page to ${contactId} failed: ${result} (${reason})` });
    return;
  }
  page.state = 'delivered';
  page.deliveredAt = new Date().toISOString();
  page.channel = result.channel;
  page.channelIndex = result.channelIndex;
  if (result.personId !== undefined) page.personId = result.personId;
  const note = result.duplicate ? ' (receiver had it already)' : '';
  let person = '';
  if (result.personId !== undefined) person = result.onCall === true ? ` (on call: ${result.personId})` : ` (${result.personId})`;
  state.record({ type: 'page-sent', contactId, message: `paged ${contactId}${person} via ${result.channel}: ${reason}${note}` });
  if (step.startsWith('escalation-')) state.completeTask('notify-primary', 'system', `${contactId} paged`);
}

async function sendPageOnce(state: IncidentState, page: PageRecord, request: PageRequest): Promise<void> {
  const { contactId, reason } = request;
  try {
    const result = await pageActivities.pageContact.executeWithOptions({ summary: `page ${contactId}: ${reason}` }, [request]);
    page.state = 'delivered';
    page.deliveredAt = new Date().toISOString();
    const note = result.duplicate ? ' (receiver had it already)' : '';
    state.record({ type: 'page-sent', contactId, message: `paged ${contactId}: ${reason}${note}` });
    if (request.step.startsWith('escalation-')) state.completeTask('notify-primary', 'system', `${contactId} paged`);
  } catch (error) {
    page.state = 'failed';
    const cause = failureMessage(error);
    log.warn('page failed', { incidentId: request.incidentId, contactId, step: request.step, error: cause });
    state.record({ type: 'page-failed', contactId, flagged: true, message: `page to ${contactId} failed: ${cause}` });
  }
}

/**
 * Tries the contact's channels in order. Each failed attempt goes on the
 * timeline; a channel that fails `attemptsPerChannel` times, or rejects the
 * page outright, hands over to the next. When every channel failed, the
 * first is tried again after `roundPause`, until `giveUpAfter` has passed,
 * unless every channel rejected the page outright. Returns the last failure
 * when the page was given up.
 */
async function deliverThroughChannels(state: IncidentState, request: PageRequest): Promise<DeliveryResult | string> {
  const policy = state.input.policy.delivery ?? DEFAULT_DELIVERY;
  const giveUpAt = Date.now() + durationToMs(policy.giveUpAfter);
  const { contactId } = request;
  let channelCount = 1;
  let lastFailure = 'no channel was tried';

  for (;;) {
    // A round where every channel rejected the page outright is not repeated.
    let worthRepeating = false;
    for (let channelIndex = 0; channelIndex < channelCount; channelIndex += 1) {
      for (let attempt = 1; attempt <= policy.attemptsPerChannel; attempt += 1) {
        try {
          return await deliveryActivities.deliverPage.executeWithOptions(
            { summary: `page ${contactId}, channel ${channelIndex + 1}: ${request.reason}` },
            [{ ...request, channelIndex }],
          );
        } catch (error) {
          const failure = describeDeliveryFailure(error);
          lastFailure = failure.message;
          channelCount = failure.channelCount ?? channelCount;
          const via = failure.channel === undefined ? `channel ${channelIndex + 1}` : failure.channel;
          if (failure.retryable) worthRepeating = true;
          const last = !failure.retryable || attempt === policy.attemptsPerChannel;
          const delayMs = failure.retryAfterMs ?? Math.min(2_000 * 2 ** (attempt - 1), 60_000);
          const outOfTime = !last && Date.now() + delayMs >= giveUpAt;
          const next = last || outOfTime ? '' : `; retrying in ${formatDelay(delayMs)}`;
          state.record({
            type: 'page-retry',
            contactId,
            message: `page to ${contactId} via ${via} failed (attempt ${attempt}): ${failure.message}${next}`,
          });
          if (outOfTime) return `${lastFailure}; gave up after ${policy.giveUpAfter}`;
          if (last) break;
          await sleep(delayMs);
        }
      }
      if (channelIndex + 1 < channelCount) {
        state.record({
          type: 'page-fallback',
          contactId,
          flagged: true,
          message: `page to ${contactId} falls back to channel ${channelIndex + 2} of ${channelCount}`,
        });
      }
    }

    const pauseMs = durationToMs(policy.roundPause);
    if (!worthRepeating) return lastFailure;
    if (Date.now() + pauseMs >= giveUpAt) return `${lastFailure}; gave up after ${policy.giveUpAfter}`;
    state.record({
      type: 'page-retry',
      contactId,
      flagged: true,
      message: `every channel of ${contactId} failed; trying again in ${formatDelay(pauseMs)}`,
    });
    await sleep(pauseMs);
  }
}

interface DeliveryFailureInfo {
  retryable: boolean;
  message: string;
  retryAfterMs?: number;
  channel?: string;
  channelCount?: number;
}

/** Reads the activity's failure: retryable or not, the receiver's Retry-After and the channel it used. */
function describeDeliveryFailure(error: unknown): DeliveryFailureInfo {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure) {
    const details = (cause.details?.[0] ?? {}) as { retryAfterMs?: unknown; channel?: unknown; channelCount?: unknown };
    return {
      retryable: !cause.nonRetryable,
      message: cause.message,
      ...(typeof details.retryAfterMs === 'number' ? { retryAfterMs: details.retryAfterMs } : {}),
      ...(typeof details.channel === 'string' ? { channel: details.channel } : {}),
      ...(typeof details.channelCount === 'number' ? { channelCount: details.channelCount } : {}),
    };
  }
  // A timeout (the worker died or the receiver hung) or a cancellation: try again.
  return { retryable: true, message: failureMessage(error) };
}

function formatDelay(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.ceil(ms / 1000)}s`;
}

/** Returns the current stage's deadline for the page text, unless the stage is met. */
function stageDeadline(state: IncidentState): { stageDueAt?: string } {
  const deadline = state.deadlines.find((candidate) => candidate.stageId === state.currentStage);
  return deadline === undefined || deadline.metAt !== undefined ? {} : { stageDueAt: deadline.dueAt };
}

/**
 * Mirrors an acknowledgement or the resolution to PagerDuty for every page
 * PagerDuty delivered, so its incident follows this one. A failure is
 * flagged on the timeline.
 */
export function mirrorToPagerDuty(state: IncidentState, sideTasks: Array<Promise<void>>, event: 'acknowledge' | 'resolve'): void {
  const mirrored = new Set<string>();
  for (const page of state.paged) {
    if (page.channel !== 'pagerduty' || page.state !== 'delivered' || page.channelIndex === undefined) continue;
    const key = `${page.contactId}/${page.personId ?? ''}/${page.channelIndex}`;
    if (mirrored.has(key)) continue;
    mirrored.add(key);
    const request = {
      incidentId: state.input.incidentId,
      contactId: page.contactId,
      channelIndex: page.channelIndex,
      event,
      ...(page.personId === undefined ? {} : { personId: page.personId }),
    };
    sideTasks.push(
      pageActivities.mirrorToPagerDuty
        .executeWithOptions({ summary: `PagerDuty ${event} for ${page.contactId}` }, [request])
        .then(
          () => state.record({ type: 'page-sent', contactId: page.contactId, message: `PagerDuty incident of ${page.contactId}: ${event}` }),
          (error: unknown) =>
            state.record({
              type: 'page-failed',
              contactId: page.contactId,
              flagged: true,
              message: `PagerDuty ${event} for ${page.contactId} failed: ${failureMessage(error)}`,
            }),
        ),
    );
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
