import { condition } from '@temporalio/workflow';

import { sendPage } from './incident-activities.js';
import type { SideTasks } from './incident-escalation.js';
import { SYSTEM_ACTOR, type IncidentState } from './incident-state.js';

/**
 * Waits for each SLA stage in order. A missed deadline is flagged and pages
 * the breach escalation contacts plus the business contacts named for that
 * stage. `onChange` publishes progress after each stage.
 */
export async function watchDeadlines(state: IncidentState, sideTasks: SideTasks, onChange: () => void): Promise<void> {
  const { policy } = state.input;
  const metBeforeChange = new Set(Object.keys(state.input.carried?.stageMetAt ?? {}));
  for (const [index, stage] of policy.stages.entries()) {
    const deadline = state.deadlines[index];
    if (deadline === undefined || metBeforeChange.has(stage.id)) continue;

    const remainingMs = Date.parse(deadline.dueAt) - Date.now();
    const met =
      state.isStageMet(stage) ||
      (remainingMs > 0 &&
        (await condition(() => state.isStageMet(stage) || state.pendingSeverityChange !== undefined, remainingMs, {
          summary: `${policy.severity} ${stage.title.toLowerCase()} deadline (${stage.due} from declaration)`,
        })));
    if (state.pendingSeverityChange !== undefined) return;

    if (met) {
      state.trackStages();
    } else {
      state.markStageBreached(stage.id);
      for (const contactId of policy.breachEscalation) {
        state.record({ type: 'escalated', actor: SYSTEM_ACTOR, contactId, message: `${stage.title} deadline missed; paging ${contactId}` });
        sideTasks.push(sendPage(state, contactId, `breach-${stage.id}`, `${stage.title} deadline missed`));
      }
      for (const contactId of policy.business.onBreach[stage.id] ?? []) {
        state.record({ type: 'business-notified', actor: SYSTEM_ACTOR, contactId, message: `${stage.title} deadline missed; informing ${contactId}` });
        sideTasks.push(sendPage(state, contactId, `business-breach-${stage.id}`, `${policy.severity} ${stage.title} deadline missed`));
      }
    }
    onChange();
  }
}

/**
 * Informs the business contacts the policy names at declaration. After a
 * severity change it skips contacts an earlier run of the incident already
 * paged, so P0 -> P1 -> P0 informs them once.
 */
export function informBusinessAtDeclaration(state: IncidentState, sideTasks: SideTasks): void {
  const { policy } = state.input;
  const informed = new Set(state.paged.filter((page) => page.step === 'business-declared').map((page) => page.contactId));
  const reason = state.input.carried === undefined ? `${policy.severity} incident declared` : `severity is now ${policy.severity}`;
  for (const contactId of policy.business.atDeclaration) {
    if (informed.has(contactId)) continue;
    state.record({ type: 'business-notified', actor: SYSTEM_ACTOR, contactId, message: `informing ${contactId} of the ${policy.severity} incident` });
    sideTasks.push(sendPage(state, contactId, 'business-declared', `${reason} (for information)`));
  }
}

/**
 * Ends each cool-down that runs out without a re-fire: a policy with
 * `autoResolve` resolves the incident, any other asks a person to confirm by
 * paging the incident commander, else the current escalation level's first
 * contact.
 */
export async function watchCooldown(state: IncidentState, sideTasks: SideTasks, onChange: () => void): Promise<void> {
  const { policy } = state.input;
  while (!state.stopping) {
    await condition(() => state.stopping || state.status === 'resolved-pending');
    if (state.stopping) return;

    // A cool-down carried over a severity change keeps its original end.
    const endsAtMs = state.cooldownEndsAt === undefined ? Date.now() : Date.parse(state.cooldownEndsAt);
    const cooldownMs = Math.max(endsAtMs - Date.now(), 1);
    if (state.confirmationRequested) {
      await condition(() => state.stopping || state.status !== 'resolved-pending');
      continue;
    }
    const ended = await condition(() => state.stopping || state.status !== 'resolved-pending', cooldownMs, {
      summary: `alert cool-down (${policy.cooldown}) before resolving`,
    });
    if (ended) continue;

    if (policy.autoResolve) {
      state.beginResolution(SYSTEM_ACTOR, `alerts stayed resolved for ${policy.cooldown}`, 'other');
      onChange();
      return;
    }

    state.requestConfirmation();
    state.stepCounters.confirmation += 1;
    const contactId = state.roles['incident-commander'] ?? firstContact(state);
    if (contactId !== undefined) {
      const step = `confirm-resolution-${state.stepCounters.confirmation}`;
      sideTasks.push(sendPage(state, contactId, step, 'alerts resolved; confirm the resolution'));
    }
    onChange();
    await condition(() => state.stopping || state.status !== 'resolved-pending');
  }
}

function firstContact(state: IncidentState): string | undefined {
  const levels = state.input.policy.escalation.levels;
  const current = levels[state.escalation.level]?.targets ?? [];
  return [...current, ...(levels[0]?.targets ?? [])].find((target) => !target.startsWith('role:'));
}
