import { randomUUID } from 'node:crypto';

import { WorkflowUpdateFailedError, WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { Activities } from '../../src/activities/index.js';
import { severityPolicy } from '../../src/config/policy.js';
import type { CheckResult, IncidentView, ResolutionType, Role } from '../../src/shared/incident.js';
import {
  acknowledgeUpdate,
  addNoteUpdate,
  assignRoleUpdate,
  changeSeverityUpdate,
  completeTaskUpdate,
  escalateUpdate,
  resolveUpdate,
  viewQuery,
} from '../../src/workflows/incident-messages.js';
import { type p0CriticalIncident } from '../../src/workflows/index.js';
import { testConfig } from '../helpers/config.js';
import { closeFollowUp, fakeActivities } from '../helpers/fake-activities.js';
import { startTimeSkippingServer } from '../helpers/temporal.js';
import { declareIncident, minutesAfter, terminateLeftovers, timedPages } from '../helpers/incidents.js';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  ({ env, bundle } = await startTimeSkippingServer());
});

afterAll(async () => {
  await env?.teardown();
});

/** IDs of the incidents the current test started, for `terminateLeftovers`. */
const startedIds: string[] = [];

afterEach(async () => {
  await terminateLeftovers(env.client, startedIds.splice(0));
});

type IncidentHandle = WorkflowHandle<typeof p0CriticalIncident>;

const config = testConfig();
const resolution = { summary: 'rolled back the release', resolutionType: 'rollback' as const };

function fakes(overrides: Partial<Activities> = {}) {
  return fakeActivities(() => env.currentTimeMs(), overrides);
}

function newWorker(taskQueue: string, activities: Activities): Promise<Worker> {
  return Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
}

/** Declares a P0 incident the way the Alertmanager route does. */
async function startP0(taskQueue: string) {
  const started = await declareIncident(env, taskQueue, 'P0', config);
  startedIds.push(started.incidentId);
  return started;
}

async function resolveAndClose(handle: IncidentHandle): Promise<IncidentView> {
  const final = await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', ...resolution }] });
  await closeFollowUp(env.client, final);
  return final;
}

/** Awaits a rejected update and returns the workflow's failure from its cause. */
async function updateFailure(pending: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await pending.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (error as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

function passedCheck(checkId: string): CheckResult {
  return { checkId, kind: 'http', ok: true, status: 200, latencyMs: 3, checkedAt: new Date().toISOString() };
}

/** Creates a promise that the test resolves by hand, to hold an activity in flight. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('incident command rejections', () => {
  it('rejects a second acknowledgement', async () => {
    const taskQueue = `double-ack-${randomUUID()}`;
    const worker = await newWorker(taskQueue, fakes().activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }] });

      const failure = await updateFailure(handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'bob' }] }));
      const view = await handle.query(viewQuery);

      expect(failure.type).toBe('InvalidTransition');
      expect(failure.details?.[0]).toMatchObject({ status: 'acknowledged' });
      expect(view.acknowledgedBy).toBe('alice');

      await resolveAndClose(handle);
    });
  });

  it('rejects every command while resolving', async () => {
    const taskQueue = `while-resolving-${randomUUID()}`;
    let holdChecks = false;
    const checks = gate();
    const { activities } = fakes({
      probeHttp: async ({ checkId }) => {
        if (holdChecks) await checks.opened;
        return passedCheck(checkId);
      },
    });
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);
      await env.sleep('1m');
      holdChecks = true;
      const resolving = await handle.startUpdate(resolveUpdate, {
        args: [{ actor: 'alice', ...resolution }],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      const commands: Record<string, () => Promise<IncidentView>> = {
        acknowledge: () => handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'bob' }] }),
        resolve: () => handle.executeUpdate(resolveUpdate, { args: [{ actor: 'bob', ...resolution }] }),
        escalate: () => handle.executeUpdate(escalateUpdate, { args: [{ actor: 'bob', reason: 'need the database team' }] }),
        changeSeverity: () =>
          handle.executeUpdate(changeSeverityUpdate, {
            args: [{ actor: 'bob', severity: 'P1', reason: 'only one tenant', policy: severityPolicy(config, 'P1') }],
          }),
        assignRole: () =>
          handle.executeUpdate(assignRoleUpdate, { args: [{ actor: 'bob', role: 'incident-commander', contactId: 'secondary-oncall' }] }),
        completeTask: () => handle.executeUpdate(completeTaskUpdate, { args: [{ actor: 'bob', taskId: 'assess-impact' }] }),
      };

      const types: Record<string, string> = {};
      const statuses: Record<string, unknown> = {};
      for (const [name, send] of Object.entries(commands)) {
        const failure = await updateFailure(send());
        types[name] = failure.type ?? 'none';
        statuses[name] = (failure.details?.[0] as { status?: unknown } | undefined)?.status;
      }
      checks.open();
      const final = await resolving.result();
      await closeFollowUp(env.client, final);

      const expectedTypes = Object.fromEntries(Object.keys(commands).map((name) => [name, 'InvalidTransition']));
      const expectedStatuses = Object.fromEntries(Object.keys(commands).map((name) => [name, 'resolving']));
      expect(types).toEqual(expectedTypes);
      expect(statuses).toEqual(expectedStatuses);
      expect(final.status).toBe('resolved');
      expect(final.resolvedBy).toBe('alice');
    });
  });

  it('rejects a note once resolved', async () => {
    const taskQueue = `note-after-resolve-${randomUUID()}`;
    const manualPage = gate();
    const { activities } = fakes({
      pageContact: async (request) => {
        if (request.step.startsWith('manual-escalation')) await manualPage.opened;
        return { contactId: request.contactId, idempotencyKey: `${request.runId}/${request.step}`, httpStatus: 201, duplicate: false };
      },
    });
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);
      await env.sleep('1m');
      // The held page keeps the run open after resolution, while it waits for its pages.
      await handle.executeUpdate(escalateUpdate, { args: [{ actor: 'alice', reason: 'need a DBA', contactId: 'vp-engineering' }] });
      const resolved = await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', ...resolution }] });

      const failure = await updateFailure(handle.executeUpdate(addNoteUpdate, { args: [{ actor: 'bob', text: 'late note' }] }));
      manualPage.open();
      await closeFollowUp(env.client, resolved);
      const final = await handle.result();

      expect(failure.type).toBe('InvalidTransition');
      expect(failure.details?.[0]).toMatchObject({ status: 'resolved' });
      expect(final.timeline.filter((entry) => entry.type === 'note')).toHaveLength(0);
    });
  });

  it('rejects completing an automated task', async () => {
    const taskQueue = `automated-task-${randomUUID()}`;
    const worker = await newWorker(taskQueue, fakes().activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);
      await env.sleep('1m');

      const failure = await updateFailure(handle.executeUpdate(completeTaskUpdate, { args: [{ actor: 'bob', taskId: 'notify-primary' }] }));

      expect(failure.type).toBe('InvalidTransition');
      expect(failure.message).toContain('task notify-primary is completed by the workflow');
      expect(failure.details?.[0]).toMatchObject({ status: 'open' });

      await resolveAndClose(handle);
    });
  });

  it('rejects completing a done task', async () => {
    const taskQueue = `done-task-${randomUUID()}`;
    const worker = await newWorker(taskQueue, fakes().activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);
      await handle.executeUpdate(completeTaskUpdate, { args: [{ actor: 'alice', taskId: 'assess-impact' }] });

      const failure = await updateFailure(handle.executeUpdate(completeTaskUpdate, { args: [{ actor: 'bob', taskId: 'assess-impact' }] }));
      const view = await handle.query(viewQuery);

      expect(failure.type).toBe('InvalidTransition');
      expect(failure.details?.[0]).toMatchObject({ status: 'open', taskStatus: 'done' });
      expect(view.tasks.find((task) => task.id === 'assess-impact')?.completedBy).toBe('alice');

      await resolveAndClose(handle);
    });
  });

  it('rejects an unknown task', async () => {
    const taskQueue = `unknown-task-${randomUUID()}`;
    const worker = await newWorker(taskQueue, fakes().activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);

      const failure = await updateFailure(handle.executeUpdate(completeTaskUpdate, { args: [{ actor: 'bob', taskId: 'reboot-everything' }] }));

      expect(failure.type).toBe('UnknownTask');
      expect(failure.message).toContain('has no task reboot-everything');
      expect((failure.details?.[0] as { taskIds: string[] }).taskIds).toContain('assess-impact');

      await resolveAndClose(handle);
    });
  });

  it('rejects the current severity', async () => {
    const taskQueue = `same-severity-${randomUUID()}`;
    const worker = await newWorker(taskQueue, fakes().activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);

      const failure = await updateFailure(
        handle.executeUpdate(changeSeverityUpdate, {
          args: [{ actor: 'bob', severity: 'P0', reason: 'still critical', policy: severityPolicy(config, 'P0') }],
        }),
      );
      const view = await handle.query(viewQuery);

      expect(failure.type).toBe('InvalidTransition');
      expect(failure.details?.[0]).toMatchObject({ status: 'open', severity: 'P0' });
      expect(view.severityHistory).toEqual([]);

      await resolveAndClose(handle);
    });
  });

  it('rejects invalid requests unchanged', async () => {
    const taskQueue = `invalid-requests-${randomUUID()}`;
    const worker = await newWorker(taskQueue, fakes().activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);
      await env.sleep('1m');
      const before = await handle.query(viewQuery);
      const requests: Record<string, () => Promise<IncidentView>> = {
        'resolve with an unknown resolutionType': () =>
          handle.executeUpdate(resolveUpdate, { args: [{ actor: 'bob', summary: 'fixed', resolutionType: 'reboot' as ResolutionType }] }),
        'resolve without a summary': () => handle.executeUpdate(resolveUpdate, { args: [{ actor: 'bob', summary: '', resolutionType: 'hotfix' }] }),
        'addNote with empty text': () => handle.executeUpdate(addNoteUpdate, { args: [{ actor: 'bob', text: '' }] }),
        'addNote with blank text': () => handle.executeUpdate(addNoteUpdate, { args: [{ actor: 'bob', text: '   ' }] }),
        'addNote with 4001 characters': () => handle.executeUpdate(addNoteUpdate, { args: [{ actor: 'bob', text: 'x'.repeat(4001) }] }),
        'acknowledge without an actor': () => handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: '' }] }),
        'escalate without a reason': () => handle.executeUpdate(escalateUpdate, { args: [{ actor: 'bob', reason: '' }] }),
        'assignRole with an unknown role': () =>
          handle.executeUpdate(assignRoleUpdate, { args: [{ actor: 'bob', role: 'scribe' as Role, contactId: 'secondary-oncall' }] }),
        'changeSeverity with another policy': () =>
          handle.executeUpdate(changeSeverityUpdate, {
            args: [{ actor: 'bob', severity: 'P1', reason: 'one tenant', policy: severityPolicy(config, 'P2') }],
          }),
      };

      const types: Record<string, string> = {};
      for (const [name, send] of Object.entries(requests)) {
        types[name] = (await updateFailure(send())).type ?? 'none';
      }
      const after = await handle.query(viewQuery);

      expect(types).toEqual(Object.fromEntries(Object.keys(requests).map((name) => [name, 'InvalidRequest'])));
      expect(after.timeline).toEqual(before.timeline);
      expect(after.status).toBe('open');

      await resolveAndClose(handle);
    });
  });
});

describe('incident command idempotency', () => {
  it('acknowledges once per update ID', async () => {
    const taskQueue = `ack-once-${randomUUID()}`;
    const worker = await newWorker(taskQueue, fakes().activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);
      const updateId = randomUUID();

      const first = await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }], updateId });
      const second = await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'bob' }], updateId });
      const view = await handle.query(viewQuery);

      expect(second).toEqual(first);
      expect(view.acknowledgedBy).toBe('alice');
      expect(view.timeline.filter((entry) => entry.type === 'acknowledged')).toHaveLength(1);

      await resolveAndClose(handle);
    });
  });

  it('adds a note once per update ID', async () => {
    const taskQueue = `note-once-${randomUUID()}`;
    const worker = await newWorker(taskQueue, fakes().activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);
      const updateId = randomUUID();
      const note = { actor: 'alice', text: 'rolling back the 14:02 deploy' };

      await handle.executeUpdate(addNoteUpdate, { args: [note], updateId });
      await handle.executeUpdate(addNoteUpdate, { args: [note], updateId });
      const view = await handle.query(viewQuery);

      expect(view.timeline.filter((entry) => entry.type === 'note').map((entry) => entry.message)).toEqual([note.text]);

      await resolveAndClose(handle);
    });
  });

  it('pages once per escalate update ID', async () => {
    const taskQueue = `escalate-once-${randomUUID()}`;
    const { activities, stepsFor } = fakes();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, incidentId } = await startP0(taskQueue);
      await env.sleep('1m');
      const updateId = randomUUID();
      const request = { actor: 'alice', reason: 'need the database team' };

      await handle.executeUpdate(escalateUpdate, { args: [request], updateId });
      await handle.executeUpdate(escalateUpdate, { args: [request], updateId });
      await env.sleep('1m');
      const view = await handle.query(viewQuery);

      expect(stepsFor(incidentId).filter((step) => step.startsWith('manual-escalation'))).toEqual(['manual-escalation-1:secondary-oncall']);
      expect(view.escalation.level).toBe(1);

      await resolveAndClose(handle);
    });
  });

  it('completes a task once per update ID', async () => {
    const taskQueue = `task-once-${randomUUID()}`;
    const worker = await newWorker(taskQueue, fakes().activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);
      const updateId = randomUUID();
      const request = { actor: 'alice', taskId: 'assess-impact', note: 'checkout only' };

      const first = await handle.executeUpdate(completeTaskUpdate, { args: [request], updateId });
      const second = await handle.executeUpdate(completeTaskUpdate, { args: [request], updateId });
      const view = await handle.query(viewQuery);

      expect(second).toEqual(first);
      expect(view.timeline.filter((entry) => entry.type === 'task-completed' && entry.taskId === 'assess-impact')).toHaveLength(1);

      await resolveAndClose(handle);
    });
  });

  it('assigns a role once per update ID', async () => {
    const taskQueue = `role-once-${randomUUID()}`;
    const worker = await newWorker(taskQueue, fakes().activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);
      const updateId = randomUUID();

      await handle.executeUpdate(assignRoleUpdate, { args: [{ actor: 'alice', role: 'incident-commander', contactId: 'secondary-oncall' }], updateId });
      await handle.executeUpdate(assignRoleUpdate, { args: [{ actor: 'alice', role: 'incident-commander', contactId: 'primary-oncall' }], updateId });
      const view = await handle.query(viewQuery);

      expect(view.roles['incident-commander']).toBe('secondary-oncall');
      expect(view.timeline.filter((entry) => entry.type === 'role-assigned')).toHaveLength(1);

      await resolveAndClose(handle);
    });
  });

  it('resolves once per update ID', async () => {
    const taskQueue = `resolve-once-${randomUUID()}`;
    const worker = await newWorker(taskQueue, fakes().activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);
      const updateId = randomUUID();
      const request = { actor: 'alice', ...resolution };

      const first = await handle.executeUpdate(resolveUpdate, { args: [request], updateId });
      await closeFollowUp(env.client, first);
      await handle.result();
      const second = await handle.executeUpdate(resolveUpdate, { args: [request], updateId });

      expect(second).toEqual(first);
      expect(second.timeline.filter((entry) => entry.type === 'resolving')).toHaveLength(1);
    });
  });
});

describe('manual escalation', () => {
  it('pages the next level at once', async () => {
    const taskQueue = `escalate-next-${randomUUID()}`;
    const { activities, pages } = fakes();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, declaredAt, incidentId } = await startP0(taskQueue);
      await env.sleep('2m');

      await handle.executeUpdate(escalateUpdate, { args: [{ actor: 'alice', reason: 'primary is on a plane' }] });
      const escalated = await handle.query(viewQuery);
      await env.sleep('19m');

      expect(escalated.escalation.level).toBe(1);
      expect(minutesAfter(declaredAt, escalated.nextEscalationAt)).toBe(7);
      // The ladder waits its 5 min at level 2 from the manual page, then moves on.
      expect(timedPages(pages, incidentId, declaredAt)).toEqual([
        '00 business-declared:product-manager',
        '00 escalation-0:primary-oncall',
        '02 manual-escalation-1:secondary-oncall',
        '07 escalation-2:engineering-manager',
        '15 breach-immediate-actions:engineering-manager',
        '17 escalation-0-round-2:primary-oncall',
      ]);

      await resolveAndClose(handle);
    });
  });

  it('pages a named contact', async () => {
    const taskQueue = `escalate-contact-${randomUUID()}`;
    const { activities, pages } = fakes();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, declaredAt, incidentId } = await startP0(taskQueue);
      await env.sleep('2m');

      await handle.executeUpdate(escalateUpdate, { args: [{ actor: 'alice', reason: 'needs a decision', contactId: 'vp-engineering' }] });
      await env.sleep('4m');
      const view = await handle.query(viewQuery);

      expect(timedPages(pages, incidentId, declaredAt)).toEqual([
        '00 business-declared:product-manager',
        '00 escalation-0:primary-oncall',
        '02 manual-escalation-1:vp-engineering',
        '05 escalation-1:secondary-oncall',
      ]);
      const escalated = view.timeline.find((entry) => entry.type === 'escalated' && entry.actor === 'alice');
      expect(escalated?.contactId).toBe('vp-engineering');

      await resolveAndClose(handle);
    });
  });
});

describe('roles', () => {
  it('shows the assignee of overdue tasks', async () => {
    const taskQueue = `assignee-${randomUUID()}`;
    const worker = await newWorker(taskQueue, fakes().activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);

      await handle.executeUpdate(assignRoleUpdate, { args: [{ actor: 'alice', role: 'incident-commander', contactId: 'secondary-oncall' }] });
      await env.sleep('16m');
      const view = await handle.query(viewQuery);

      const assessImpact = view.tasks.find((task) => task.id === 'assess-impact');
      expect(assessImpact?.overdue).toBe(true);
      expect(assessImpact?.assignee).toBe('secondary-oncall');
      // Nobody was assigned communications-lead, so its task has no assignee.
      const activateTeam = view.tasks.find((task) => task.id === 'activate-team');
      expect(activateTeam?.overdue).toBe(true);
      expect(activateTeam?.assignee).toBeUndefined();

      await resolveAndClose(handle);
    });
  });
});

describe('acknowledgement lapse', () => {
  it('reopens after 30 min without progress', async () => {
    const taskQueue = `lapse-${randomUUID()}`;
    const { activities, pages } = fakes();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, declaredAt, incidentId } = await startP0(taskQueue);
      await env.sleep('1m');

      await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }] });
      await env.sleep('29m');
      const beforeLapse = await handle.query(viewQuery);
      await env.sleep('2m');
      const afterLapse = await handle.query(viewQuery);

      expect(beforeLapse.status).toBe('acknowledged');
      expect(afterLapse.status).toBe('open');
      expect(afterLapse.acknowledged).toBe(false);
      const lapsed = afterLapse.timeline.filter((entry) => entry.type === 'acknowledgement-lapsed');
      expect(lapsed).toHaveLength(1);
      expect(lapsed[0]?.flagged).toBe(true);
      expect(minutesAfter(declaredAt, lapsed[0]?.at)).toBe(31);
      expect(timedPages(pages, incidentId, declaredAt).filter((page) => page.includes('lapse'))).toEqual(['31 lapse-1:primary-oncall']);

      await resolveAndClose(handle);
    });
  });

  it('postpones the lapse after a note', async () => {
    const taskQueue = `lapse-progress-${randomUUID()}`;
    const { activities, pages } = fakes();
    const worker = await newWorker(taskQueue, activities);

    await worker.runUntil(async () => {
      const { handle, declaredAt, incidentId } = await startP0(taskQueue);
      await env.sleep('1m');
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }] });
      await env.sleep('19m');

      await handle.executeUpdate(addNoteUpdate, { args: [{ actor: 'alice', text: 'database failover in progress' }] });
      await env.sleep('29m');
      const beforeLapse = await handle.query(viewQuery);
      await env.sleep('2m');
      const afterLapse = await handle.query(viewQuery);

      expect(beforeLapse.status).toBe('acknowledged');
      expect(afterLapse.status).toBe('open');
      const lapsed = afterLapse.timeline.find((entry) => entry.type === 'acknowledgement-lapsed');
      expect(minutesAfter(declaredAt, lapsed?.at)).toBe(50);
      expect(timedPages(pages, incidentId, declaredAt).filter((page) => page.includes('lapse'))).toEqual(['50 lapse-1:primary-oncall']);

      await resolveAndClose(handle);
    });
  });

  it('accepts a new acknowledgement after a lapse', async () => {
    const taskQueue = `lapse-reack-${randomUUID()}`;
    const worker = await newWorker(taskQueue, fakes().activities);

    await worker.runUntil(async () => {
      const { handle } = await startP0(taskQueue);
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }] });
      await env.sleep('31m');

      const view = await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'bob', note: 'taking over' }] });

      expect(view.status).toBe('acknowledged');
      expect(view.acknowledged).toBe(true);
      expect(view.timeline.filter((entry) => entry.type === 'acknowledged').map((entry) => entry.actor)).toEqual(['alice', 'bob']);

      await resolveAndClose(handle);
    });
  });
});
