import { randomUUID } from 'node:crypto';

import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { WORKFLOW_TYPE_BY_SEVERITY, type Severity } from '../../src/shared/incident.js';
import { resolveUpdate, viewQuery } from '../../src/workflows/incident-messages.js';
import { incidentInput, testConfig } from '../helpers/config.js';
import { closeFollowUp, fakeActivities } from '../helpers/fake-activities.js';
import { startTimeSkippingServer } from '../helpers/temporal.js';

const resolution = { summary: 'fixed', resolutionType: 'hotfix' as const };

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  ({ env, bundle } = await startTimeSkippingServer());
});

afterAll(async () => {
  await env?.teardown();
});

async function runUnacknowledged(severity: Severity, waitFor: string) {
  const taskQueue = `${severity}-${randomUUID()}`;
  const { activities, pages } = fakeActivities(() => env.currentTimeMs());
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });

  return worker.runUntil(async () => {
    const incidentId = `${severity}-${randomUUID()}`;
    const declaredAt = new Date(await env.currentTimeMs());
    const handle = await env.client.workflow.start(WORKFLOW_TYPE_BY_SEVERITY[severity], {
      workflowId: incidentId,
      taskQueue,
      args: [incidentInput(incidentId, severity, testConfig(), declaredAt)],
    });

    await env.sleep(waitFor);
    const view = await handle.query(viewQuery);
    const resolved = await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', ...resolution }] });
    await closeFollowUp(env.client, resolved);
    const breachMinutes = view.deadlines.map((deadline) =>
      deadline.breachedAt === undefined ? undefined : (Date.parse(deadline.breachedAt) - declaredAt.getTime()) / 60_000,
    );
    // The follow-up started at resolution sends its own pages; only the incident's count here.
    const incidentPages = pages.filter((page) => page.incidentId === incidentId && !page.step.startsWith('follow-up'));
    return { view, pages: incidentPages, breachMinutes };
  });
}

describe('severity workflows', () => {
  it('p1 breaches at 15, 45 and 60 min', async () => {
    const { view, breachMinutes } = await runUnacknowledged('P1', '61m');

    expect(view.deadlines.map((deadline) => deadline.stageId)).toEqual(['initial-assessment', 'investigation', 'resolution']);
    expect(breachMinutes[0]).toBeCloseTo(15, 1);
    expect(breachMinutes[1]).toBeCloseTo(45, 1);
    expect(breachMinutes[2]).toBeCloseTo(60, 1);
  });

  it('p2 escalates after 30 min', async () => {
    const { pages } = await runUnacknowledged('P2', '31m');

    expect(pages.map((page) => `${page.step}:${page.contactId}`)).toEqual(['escalation-0:primary-oncall', 'escalation-1:secondary-oncall']);
  });

  it('p3 pages nobody', async () => {
    const { view, pages } = await runUnacknowledged('P3', '2d');

    expect(pages).toHaveLength(0);
    expect(view.stage).toBe('triage');
    expect(view.deadlines.every((deadline) => deadline.breachedAt === undefined)).toBe(true);
  });

  it('rejects an input of another severity', async () => {
    const taskQueue = `mismatch-${randomUUID()}`;
    const { activities } = fakeActivities(() => env.currentTimeMs());
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });

    const outcome = await worker.runUntil(async () => {
      const incidentId = `mismatch-${randomUUID()}`;
      const handle = await env.client.workflow.start('p0CriticalIncident', {
        workflowId: incidentId,
        taskQueue,
        args: [incidentInput(incidentId, 'P2')],
      });
      return handle.result().then(
        () => undefined,
        (error: unknown) => error,
      );
    });

    expect(String((outcome as Error).cause)).toContain('workflow for P0 started with severity P2');
  });
});
