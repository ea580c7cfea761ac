import { randomUUID } from 'node:crypto';

import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { IncidentInput } from '../../src/shared/incident.js';
import type { MaintenanceWindowInput } from '../../src/shared/maintenance.js';
import { maintenanceEndedSignal, resolveUpdate, viewQuery } from '../../src/workflows/incident-messages.js';
import { endMaintenanceUpdate, maintenanceWindowQuery } from '../../src/workflows/maintenance-window.js';
import { incidentInput, testConfig } from '../helpers/config.js';
import { closeFollowUp, fakeActivities } from '../helpers/fake-activities.js';
import { startTimeSkippingServer } from '../helpers/temporal.js';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  ({ env, bundle } = await startTimeSkippingServer());
});

afterAll(async () => {
  await env?.teardown();
});

/** Builds a P2 incident declared now whose alert matched a window ending `holdMinutes` later. */
async function heldIncident(holdMinutes: number): Promise<IncidentInput> {
  const declaredAt = new Date(await env.currentTimeMs());
  const input = incidentInput(`held-${randomUUID()}`, 'P2', testConfig(), declaredAt);
  input.maintenance = {
    windowId: 'maintenance-0123456789ab',
    endsAt: new Date(declaredAt.getTime() + holdMinutes * 60_000).toISOString(),
    reason: 'database upgrade',
    author: 'alice',
  };
  return input;
}

async function windowInput(minutes: number): Promise<MaintenanceWindowInput> {
  const now = await env.currentTimeMs();
  return {
    id: `maintenance-${randomUUID().replaceAll('-', '').slice(0, 12)}`,
    startsAt: new Date(now).toISOString(),
    endsAt: new Date(now + minutes * 60_000).toISOString(),
    matchers: { service: 'barq-api' },
    reason: 'database upgrade',
    author: 'alice',
    createdAt: new Date(now).toISOString(),
    remindBefore: '15m',
  };
}

describe('incident held by a maintenance window', () => {
  it('pages nobody until the window ends, then pages the first level', async () => {
    const taskQueue = `held-${randomUUID()}`;
    const { activities, pages } = fakeActivities(() => env.currentTimeMs());
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });

    await worker.runUntil(async () => {
      const input = await heldIncident(60);
      const startMs = await env.currentTimeMs();
      const handle = await env.client.workflow.start('p2MediumIncident', { workflowId: input.incidentId, taskQueue, args: [input] });

      await env.sleep('59m');
      const during = await handle.query(viewQuery);
      await env.sleep('2m');
      const after = await handle.query(viewQuery);
      const resolved = await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', summary: 'done', resolutionType: 'other' }] });
      await closeFollowUp(env.client, resolved);

      const incidentPages = pages.filter((page) => page.incidentId === input.incidentId && !page.step.startsWith('follow-up'));
      expect(during.paged).toHaveLength(0);
      expect(during.maintenance?.windowId).toBe('maintenance-0123456789ab');
      expect(during.timeline.some((entry) => entry.type === 'maintenance' && entry.message.includes('no one is paged until'))).toBe(true);
      expect(incidentPages.map((page) => `${page.step}:${page.contactId}`)).toEqual(['escalation-0:primary-oncall']);
      expect((incidentPages[0]!.receivedAtMs - startMs) / 60_000).toBeCloseTo(60, 0);
      expect(incidentPages[0]!.reason).toBe('maintenance window ended while the incident is open');
      expect(after.maintenance).toBeUndefined();
    });
  });

  it('pages at once when the window is ended early', async () => {
    const taskQueue = `held-early-${randomUUID()}`;
    const { activities } = fakeActivities(() => env.currentTimeMs());
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });

    await worker.runUntil(async () => {
      const input = await heldIncident(120);
      const handle = await env.client.workflow.start('p2MediumIncident', { workflowId: input.incidentId, taskQueue, args: [input] });

      await env.sleep('10m');
      await handle.signal(maintenanceEndedSignal, { windowId: 'maintenance-ffffffffffff', actor: 'bob' });
      await env.sleep('1m');
      const otherWindow = await handle.query(viewQuery);
      await handle.signal(maintenanceEndedSignal, { windowId: 'maintenance-0123456789ab', actor: 'bob' });
      await env.sleep('1m');
      const view = await handle.query(viewQuery);
      const resolved = await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', summary: 'done', resolutionType: 'other' }] });
      await closeFollowUp(env.client, resolved);

      expect(otherWindow.paged).toHaveLength(0);
      expect(view.paged.map((page) => page.contactId)).toEqual(['primary-oncall']);
      expect(view.timeline.some((entry) => entry.message === 'maintenance window maintenance-0123456789ab ended early by bob; pages are no longer held')).toBe(
        true,
      );
    });
  });

  it('holds a breach page and records it', async () => {
    const taskQueue = `held-breach-${randomUUID()}`;
    const { activities, pages } = fakeActivities(() => env.currentTimeMs());
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });

    await worker.runUntil(async () => {
      const declaredAt = new Date(await env.currentTimeMs());
      const input = incidentInput(`held-p1-${randomUUID()}`, 'P1', testConfig(), declaredAt);
      input.maintenance = { windowId: 'maintenance-0123456789ab', endsAt: new Date(declaredAt.getTime() + 120 * 60_000).toISOString(), reason: 'upgrade', author: 'alice' };
      const handle = await env.client.workflow.start('p1HighIncident', { workflowId: input.incidentId, taskQueue, args: [input] });

      await env.sleep('16m');
      const view = await handle.query(viewQuery);
      const resolved = await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', summary: 'done', resolutionType: 'other' }] });
      await closeFollowUp(env.client, resolved);

      expect(pages.filter((page) => page.incidentId === input.incidentId && !page.step.startsWith('follow-up'))).toHaveLength(0);
      expect(view.deadlines[0]!.breachedAt).toBeDefined();
      expect(view.timeline.filter((entry) => entry.type === 'page-held').length).toBeGreaterThan(0);
    });
  });
});

describe('business pages held by a maintenance window', () => {
  it('sends them when the window ends with the incident open', async () => {
    const taskQueue = `held-business-${randomUUID()}`;
    const { activities, pages } = fakeActivities(() => env.currentTimeMs());
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });

    await worker.runUntil(async () => {
      const declaredAt = new Date(await env.currentTimeMs());
      const input = incidentInput(`held-p0-${randomUUID()}`, 'P0', testConfig(), declaredAt);
      input.maintenance = { windowId: 'maintenance-0123456789ab', endsAt: new Date(declaredAt.getTime() + 30 * 60_000).toISOString(), reason: 'upgrade', author: 'alice' };
      const handle = await env.client.workflow.start('p0CriticalIncident', { workflowId: input.incidentId, taskQueue, args: [input] });

      await env.sleep('10m');
      const during = pages.filter((page) => page.incidentId === input.incidentId).map((page) => page.contactId);
      await env.sleep('21m');
      const after = pages.filter((page) => page.incidentId === input.incidentId && !page.step.startsWith('follow-up')).map((page) => page.contactId);
      const resolved = await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', summary: 'done', resolutionType: 'other' }] });
      await closeFollowUp(env.client, resolved);

      const business = testConfig().severities.P0.business.atDeclaration;
      expect(during).toEqual([]);
      expect(business.length).toBeGreaterThan(0);
      for (const contactId of business) expect(after).toContain(contactId);
      expect(after).toContain('primary-oncall');
    });
  });
});

describe('maintenance window workflow', () => {
  it('reminds the author 15 min before the end and completes at the end', async () => {
    const taskQueue = `window-${randomUUID()}`;
    const { activities, reminders } = fakeActivities(() => env.currentTimeMs());
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });

    await worker.runUntil(async () => {
      const input = await windowInput(120);
      const handle = await env.client.workflow.start('maintenanceWindow', { workflowId: input.id, taskQueue, args: [input] });

      await env.sleep('104m');
      const before = await handle.query(maintenanceWindowQuery);
      await env.sleep('2m');
      const reminded = await handle.query(maintenanceWindowQuery);
      const final = await handle.result();

      expect(before.reminder.state).toBe('pending');
      expect(reminders).toEqual([{ windowId: input.id, author: 'alice', reason: 'database upgrade', endsAt: input.endsAt, remindBefore: '15m' }]);
      expect(reminded.reminder.state).toBe('sent');
      expect(final).toMatchObject({ status: 'ended', endedAt: input.endsAt, endedBy: 'system' });
    });
  });

  it('ends early on request and sends no reminder', async () => {
    const taskQueue = `window-end-${randomUUID()}`;
    const { activities, reminders } = fakeActivities(() => env.currentTimeMs());
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });

    await worker.runUntil(async () => {
      const input = await windowInput(120);
      const handle = await env.client.workflow.start('maintenanceWindow', { workflowId: input.id, taskQueue, args: [input] });

      await env.sleep('30m');
      const ended = await handle.executeUpdate(endMaintenanceUpdate, { args: [{ actor: 'bob' }] });
      const final = await handle.result();

      expect(ended).toMatchObject({ status: 'ended', endedBy: 'bob', reminder: { state: 'skipped', detail: 'ended early by bob' } });
      expect(final.status).toBe('ended');
      expect(reminders).toHaveLength(0);
    });
  });

  it('skips the reminder of a window shorter than the lead', async () => {
    const taskQueue = `window-short-${randomUUID()}`;
    const { activities, reminders } = fakeActivities(() => env.currentTimeMs());
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });

    await worker.runUntil(async () => {
      const input = await windowInput(10);
      const handle = await env.client.workflow.start('maintenanceWindow', { workflowId: input.id, taskQueue, args: [input] });

      const final = await handle.result();

      expect(final.reminder).toEqual({ state: 'skipped', detail: 'the window is shorter than the 15m reminder lead' });
      expect(reminders).toHaveLength(0);
    });
  });
});
