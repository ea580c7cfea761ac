import { condition } from '@temporalio/workflow';

import { durationToMs } from '../shared/duration.js';
import type { EscalateRequest, Role } from '../shared/incident.js';
import { sendPage } from './incident-activities.js';
import { trackPublicStatus } from './incident-public-status.js';
import { SYSTEM_ACTOR, type IncidentState } from './incident-state.js';

/** Pending side effects (pages) the lifecycle waits for before the run ends. */
export type SideTasks = Array<Promise<void>>;

/**
 * Walks the escalation ladder until someone acknowledges. Each level waits
 * its `wait`, then the next level is paged. After the last level the ladder
 * starts over `repeat` more times. The ladder pauses while the incident is
 * acknowledged or in its cool-down, and pages the current level again when
 * an acknowledgement lapses.
 */
export async function escalateUntilAcknowledged(state: IncidentState, sideTasks: SideTasks): Promise<void> {
  const { policy } = state.input;
  if (!policy.page) {
    if (state.input.carried === undefined) {
      state.record({ type: 'escalated', actor: SYSTEM_ACTOR, message: `${policy.severity} policy sends no page` });
    }
    return;
  }

  const { levels, repeat } = policy.escalation;
  let reason = state.input.carried === undefined ? 'incident declared' : `severity is now ${policy.severity}`;
  if (state.maintenance !== undefined) {
    await holdForMaintenance(state, sideTasks);
    reason = 'maintenance window ended while the incident is open';
  }
  if (!state.acknowledged && state.status === 'open') pageLevel(state, sideTasks, reason);

  while (!state.stopping) {
    if (state.acknowledged || state.status !== 'open') {
      state.nextEscalationAt = undefined;
      await condition(() => state.stopping || (!state.acknowledged && state.status === 'open'));
      if (state.repageRequested && !state.stopping) {
        state.repageRequested = false;
        state.stepCounters.lapse += 1;
        pageLevel(state, sideTasks, 'acknowledgement lapsed', `lapse-${state.stepCounters.lapse}`);
      }
      continue;
    }

    const level = levels[state.escalation.level];
    if (state.escalation.exhausted || level === undefined) {
      state.nextEscalationAt = undefined;
      const epoch = state.escalationEpoch;
      await condition(() => state.stopping || state.acknowledged || state.escalationEpoch !== epoch);
      continue;
    }

    const waitMs = durationToMs(level.wait);
    const epoch = state.escalationEpoch;
    state.nextEscalationAt = new Date(Date.now() + waitMs).toISOString();
    const interrupted = await condition(
      () => state.stopping || state.acknowledged || state.status !== 'open' || state.escalationEpoch !== epoch,
      waitMs,
      { summary: `${policy.severity} escalation level ${state.escalation.level + 1}: wait ${level.wait} for acknowledgement` },
    );
    if (interrupted) continue;

    let next = state.escalation.level + 1;
    if (next >= levels.length) {
      if (state.escalation.cycle >= repeat) {
        state.escalation.exhausted = true;
        state.record({
          type: 'escalated',
          actor: SYSTEM_ACTOR,
          flagged: true,
          message: `escalation ladder exhausted after ${repeat + 1} round(s); nobody acknowledged`,
        });
        continue;
      }
      state.escalation.cycle += 1;
      next = 0;
    }
    state.escalation.level = next;
    state.record({
      type: 'escalated',
      actor: SYSTEM_ACTOR,
      message: `not acknowledged within ${level.wait}; escalating to level ${next + 1}`,
    });
    pageLevel(state, sideTasks, `not acknowledged within ${level.wait}`);
  }
  state.nextEscalationAt = undefined;
}

/**
 * Waits, paging no one, until the maintenance window that matched the
 * declaring alert ends or is ended early, then sends the pages it held.
 * The ladder then starts as if the incident had just been declared.
 */
async function holdForMaintenance(state: IncidentState, sideTasks: SideTasks): Promise<void> {
  const hold = state.maintenance;
  if (hold === undefined) return;
  if (state.input.carried === undefined) {
    state.record({
      type: 'maintenance',
      actor: SYSTEM_ACTOR,
      message: `alert matched maintenance window ${hold.windowId} by ${hold.author} (${hold.reason}); no one is paged until ${hold.endsAt}`,
    });
  }
  const remainingMs = Date.parse(hold.endsAt) - Date.now();
  if (remainingMs > 0) {
    await condition(() => state.stopping || state.maintenance === undefined, remainingMs, {
      summary: `hold pages until maintenance window ${hold.windowId} ends`,
    });
  }
  if (state.maintenance !== undefined && !state.stopping) state.endMaintenance('ended');
  // Business and breach pages held meanwhile go out now, and the status
  // page learns of the incident, if it is still open.
  if (state.stopping || (state.status !== 'open' && state.status !== 'acknowledged')) return;
  trackPublicStatus(state, sideTasks);
  for (const page of state.heldPages.splice(0)) {
    sideTasks.push(sendPage(state, page.contactId, page.step, `${page.reason} (held by the maintenance window)`));
  }
}

/**
 * Pages at once for an engineer's `escalate` command: the named contact, or
 * the next level of the ladder, which then waits from there.
 */
export function escalateByHand(state: IncidentState, sideTasks: SideTasks, request: EscalateRequest): void {
  state.stepCounters.manual += 1;
  state.progress += 1;
  const step = `manual-escalation-${state.stepCounters.manual}`;
  const reason = `escalated by ${request.actor}: ${request.reason}`;

  if (request.contactId !== undefined) {
    state.record({ type: 'escalated', actor: request.actor, contactId: request.contactId, message: reason });
    sideTasks.push(sendPage(state, request.contactId, step, reason));
    return;
  }

  const { levels } = state.input.policy.escalation;
  state.escalation.level = Math.min(state.escalation.level + 1, levels.length - 1);
  state.escalation.exhausted = false;
  state.escalationEpoch += 1;
  state.record({ type: 'escalated', actor: request.actor, message: `${reason}; paging level ${state.escalation.level + 1}` });
  pageLevel(state, sideTasks, reason, step);
}

/**
 * Pages every target of the current level. A role target pages whoever
 * holds the role, and is skipped, with a timeline entry, while nobody does.
 */
function pageLevel(state: IncidentState, sideTasks: SideTasks, reason: string, step?: string): void {
  const { level, cycle } = state.escalation;
  const targets = state.input.policy.escalation.levels[level]?.targets ?? [];
  const pageStep = step ?? (cycle === 0 ? `escalation-${level}` : `escalation-${level}-round-${cycle + 1}`);

  for (const target of targets) {
    const contactId = target.startsWith('role:') ? state.roles[target.slice('role:'.length) as Role] : target;
    if (contactId === undefined) {
      state.record({ type: 'escalated', actor: SYSTEM_ACTOR, flagged: true, message: `nobody holds ${target}; not paged` });
      continue;
    }
    sideTasks.push(sendPage(state, contactId, pageStep, reason));
  }
}

/**
 * Lapses an acknowledgement followed by no progress (note, task, role,
 * escalation) within the policy's `acknowledgementLapse`.
 */
export async function watchAcknowledgement(state: IncidentState): Promise<void> {
  const lapse = state.input.policy.acknowledgementLapse;
  const lapseMs = durationToMs(lapse);

  while (!state.stopping) {
    await condition(() => state.stopping || (state.acknowledged && state.status === 'acknowledged'));
    if (state.stopping) return;

    const progress = state.progress;
    const moved = await condition(
      () => state.stopping || !state.acknowledged || state.status !== 'acknowledged' || state.progress !== progress,
      lapseMs,
      { summary: `acknowledgement lapses after ${lapse} without progress` },
    );
    if (!moved) state.lapseAcknowledgement();
  }
}
