import { ApplicationFailure, condition, defineQuery, defineUpdate, log, proxyActivities, setHandler } from '@temporalio/workflow';

import type { Activities } from '../activities/index.js';
import { durationToMs } from '../shared/duration.js';
import { INVALID_TRANSITION } from '../shared/incident.js';
import type { EndMaintenanceRequest, MaintenanceWindowInput, MaintenanceWindowView } from '../shared/maintenance.js';

/** Ends the window now. Rejected once it has ended. */
export const endMaintenanceUpdate = defineUpdate<MaintenanceWindowView, [EndMaintenanceRequest]>('endMaintenance');

export const maintenanceWindowQuery = defineQuery<MaintenanceWindowView>('maintenanceWindow');

// A reminder is worth a few tries over about four minutes.
const reminderActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5, initialInterval: '5s', backoffCoefficient: 2 },
});

/**
 * Keeps one maintenance window: reminds its author `remindBefore` its end
 * and completes at the end, or when an engineer ends it early. The API
 * reads running windows to hold the pages of matching alerts.
 */
export async function maintenanceWindow(input: MaintenanceWindowInput): Promise<MaintenanceWindowView> {
  let endedAt: string | undefined;
  let endedBy: string | undefined;
  const endsAtMs = Date.parse(input.endsAt);
  const remindAtMs = endsAtMs - durationToMs(input.remindBefore);
  let reminder: MaintenanceWindowView['reminder'] =
    remindAtMs <= Date.parse(input.createdAt)
      ? { state: 'skipped', detail: `the window is shorter than the ${input.remindBefore} reminder lead` }
      : { state: 'pending', at: new Date(remindAtMs).toISOString() };

  const view = (): MaintenanceWindowView => {
    const now = Date.now();
    let status: MaintenanceWindowView['status'] = 'active';
    if (endedAt !== undefined) status = 'ended';
    else if (now < Date.parse(input.startsAt)) status = 'scheduled';
    return {
      ...input,
      status,
      ...(endedAt === undefined ? {} : { endedAt }),
      ...(endedBy === undefined ? {} : { endedBy }),
      reminder: { ...reminder },
    };
  };

  setHandler(maintenanceWindowQuery, view);
  setHandler(
    endMaintenanceUpdate,
    (request) => {
      endedAt = new Date().toISOString();
      endedBy = request.actor;
      if (reminder.state === 'pending') reminder = { state: 'skipped', detail: `ended early by ${request.actor}` };
      return view();
    },
    {
      validator: (request: EndMaintenanceRequest) => {
        if (endedAt !== undefined) {
          throw ApplicationFailure.create({
            type: INVALID_TRANSITION,
            nonRetryable: true,
            message: `cannot end maintenance window ${input.id}: it ended at ${endedAt}`,
            details: [{ status: 'ended', endedAt, endedBy }],
          });
        }
        if (request.actor === '') throw ApplicationFailure.create({ type: INVALID_TRANSITION, nonRetryable: true, message: 'actor is empty' });
      },
    },
  );

  // The reminder runs beside the end timer, so retries of a failing chat
  // never delay the end.
  const remind = async (): Promise<void> => {
    try {
      await reminderActivities.remindMaintenanceAuthor.executeWithOptions(
        { summary: `remind ${input.author} that the window ends at ${input.endsAt}` },
        [{ windowId: input.id, author: input.author, reason: input.reason, endsAt: input.endsAt, remindBefore: input.remindBefore }],
      );
      reminder = { state: 'sent', at: new Date().toISOString() };
    } catch (error) {
      const detail = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      log.warn('maintenance reminder failed', { windowId: input.id, error: detail });
      reminder = { state: 'failed', at: new Date().toISOString(), detail };
    }
  };
  if (reminder.state === 'pending') {
    const waitMs = remindAtMs - Date.now();
    const ended = waitMs > 0 ? await condition(() => endedAt !== undefined, waitMs) : endedAt !== undefined;
    if (!ended) void remind();
  }

  const remainingMs = endsAtMs - Date.now();
  if (endedAt === undefined && remainingMs > 0) {
    await condition(() => endedAt !== undefined, remainingMs);
  }
  if (endedAt === undefined) {
    endedAt = input.endsAt;
    endedBy = 'system';
  }
  return view();
}
