import { createHash, randomBytes } from 'node:crypto';

import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';

import type { Config } from '../config/schema.js';
import { durationToMs } from '../shared/duration.js';
import type { MaintenanceHold } from '../shared/incident.js';
import {
  MAINTENANCE_ID_PREFIX,
  matchesMaintenance,
  type MaintenanceMatchers,
  type MaintenanceWindowInput,
  type MaintenanceWindowSummary,
  type MaintenanceWindowView,
} from '../shared/maintenance.js';
import { maintenanceEndedSignal } from '../workflows/incident-messages.js';
import { endMaintenanceUpdate, maintenanceWindowQuery } from '../workflows/maintenance-window.js';
import { IncidentMaintenanceWindow } from '../workflows/search-attributes.js';
import { ApiError } from './errors.js';
import type { NormalizedAlert } from './sources/snapshot.js';
import { callTemporal, type Subject } from './temporal-errors.js';

/** Running windows are read from Temporal's visibility at most this often. */
const CACHE_TTL_MS = 5_000;
/**
 * How long this API trusts its own creations and ends over visibility, which
 * lists a change a moment after it happens.
 */
const LOCAL_CHANGE_TTL_MS = 60_000;
/** More running windows than this are not expected; the list stops there. */
const MAX_WINDOWS = 500;

export interface CreateMaintenanceRequest {
  startsAt?: string;
  endsAt: string;
  matchers: MaintenanceMatchers;
  reason: string;
}

/**
 * Maintenance windows, each kept by a `maintenanceWindow` workflow. The API
 * matches every firing alert against the running ones, read from
 * visibility and cached for a few seconds.
 */
export class MaintenanceService {
  private cached: MaintenanceWindowInput[] = [];
  private cachedAt = 0;
  private refreshing?: Promise<void>;
  private readonly created = new Map<string, { window: MaintenanceWindowInput; at: number }>();
  private readonly ended = new Map<string, number>();

  constructor(
    private readonly client: Client,
    private readonly config: Config,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Starts a window. The same Idempotency-Key from the same engineer returns
   * the window the first request created instead of a second one.
   */
  async create(request: CreateMaintenanceRequest, author: string, idempotencyKey?: string): Promise<MaintenanceWindowSummary> {
    const now = this.now();
    const window = this.validate(request, author, now, idempotencyKey);
    const subject: Subject = { kind: 'maintenance window', id: window.id };
    try {
      await this.call(subject, () =>
        this.client.workflow.start('maintenanceWindow', {
          workflowId: window.id,
          taskQueue: this.config.temporal.taskQueue,
          args: [window],
          memo: { window },
          staticSummary: `Maintenance ${describeMatchers(window.matchers)} until ${window.endsAt}`,
          staticDetails: `Created by ${window.author}: ${window.reason}`,
        }),
      );
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      // A retried request: return the window the first one created.
      const description = await this.call(subject, () => this.client.workflow.getHandle(window.id).describe());
      const first = description.memo?.['window'] as MaintenanceWindowInput | undefined;
      if (first === undefined) throw error;
      return summaryOf(first, now);
    }
    this.created.set(window.id, { window, at: now });
    return summaryOf(window, now);
  }

  /** Running windows (scheduled or active), soonest end first. */
  async list(): Promise<MaintenanceWindowSummary[]> {
    await this.refresh();
    const now = this.now();
    return this.windows()
      .map((window) => summaryOf(window, now))
      .sort((a, b) => Date.parse(a.endsAt) - Date.parse(b.endsAt));
  }

  async get(id: string): Promise<MaintenanceWindowView> {
    const subject: Subject = { kind: 'maintenance window', id };
    const handle = this.client.workflow.getHandle(id);
    const description = await this.call(subject, () => handle.describe());
    if (description.type !== 'maintenanceWindow') {
      throw new ApiError('MAINTENANCE_WINDOW_NOT_FOUND', `no maintenance window with ID ${id}`, { windowId: id });
    }
    if (description.status.name === 'RUNNING') return this.call(subject, () => handle.query(maintenanceWindowQuery));
    if (description.status.name === 'COMPLETED') return this.call(subject, () => handle.result() as Promise<MaintenanceWindowView>);
    throw new ApiError('MAINTENANCE_WINDOW_NOT_FOUND', `maintenance window ${id} stopped without completing (${description.status.name})`, {
      windowId: id,
    });
  }

  /**
   * Ends a window now and releases the pages of the incidents it holds.
   * Those incidents also release them on their own at the planned end, so
   * one missed by visibility's short lag still pages then.
   */
  async end(id: string, actor: string, idempotencyKey?: string): Promise<MaintenanceWindowView> {
    const subject: Subject = { kind: 'maintenance window', id };
    const current = await this.get(id);
    if (current.status === 'ended') {
      throw new ApiError('INVALID_TRANSITION', `cannot end maintenance window ${id}: it ended at ${current.endedAt ?? current.endsAt}`, {
        windowId: id,
        status: 'ended',
      });
    }
    const handle = this.client.workflow.getHandle(id);
    const view = await this.call(subject, () =>
      handle.executeUpdate(endMaintenanceUpdate, { args: [{ actor }], ...(idempotencyKey === undefined ? {} : { updateId: idempotencyKey }) }),
    );
    this.ended.set(id, this.now());
    this.created.delete(id);

    const held = this.client.workflow.list({
      query: `${IncidentMaintenanceWindow.name} = '${id}' AND ExecutionStatus = 'Running'`,
    });
    await this.call(subject, async () => {
      for await (const incident of held) {
        await this.client.workflow.getHandle(incident.workflowId).signal(maintenanceEndedSignal, { windowId: id, actor });
      }
    });
    return view;
  }

  /** Returns the active window that matches a firing alert, if any; its pages are then held. */
  async holdFor(alert: NormalizedAlert): Promise<MaintenanceHold | undefined> {
    await this.refresh();
    const now = this.now();
    const labels = { ...alert.snapshot.groupLabels, ...alert.snapshot.commonLabels };
    // Of several matching windows, the one that ends last delays the pages.
    const window = this.windows()
      .filter((candidate) => statusAt(candidate, now) === 'active' && matchesMaintenance(candidate.matchers, alert.service, labels))
      .sort((a, b) => Date.parse(b.endsAt) - Date.parse(a.endsAt))[0];
    if (window === undefined) return undefined;
    return { windowId: window.id, endsAt: window.endsAt, reason: window.reason, author: window.author };
  }

  private windows(): MaintenanceWindowInput[] {
    const now = this.now();
    const byId = new Map(this.cached.map((window) => [window.id, window]));
    for (const [id, { window, at }] of this.created) {
      if (now - at > LOCAL_CHANGE_TTL_MS) this.created.delete(id);
      else byId.set(id, window);
    }
    for (const [id, at] of this.ended) {
      if (now - at > LOCAL_CHANGE_TTL_MS) this.ended.delete(id);
      else byId.delete(id);
    }
    return [...byId.values()].filter((window) => Date.parse(window.endsAt) > now);
  }

  private async refresh(): Promise<void> {
    if (this.now() - this.cachedAt < CACHE_TTL_MS) return;
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = undefined;
    });
    await this.refreshing;
  }

  private async load(): Promise<void> {
    const windows: MaintenanceWindowInput[] = [];
    await this.call({ kind: 'maintenance window', id: '(list)' }, async () => {
      const running = this.client.workflow.list({
        query: `WorkflowType = 'maintenanceWindow' AND ExecutionStatus = 'Running'`,
      });
      for await (const execution of running) {
        const window = execution.memo?.['window'] as MaintenanceWindowInput | undefined;
        if (window !== undefined) windows.push(window);
        if (windows.length >= MAX_WINDOWS) break;
      }
    });
    this.cached = windows;
    this.cachedAt = this.now();
  }

  private validate(request: CreateMaintenanceRequest, author: string, now: number, idempotencyKey?: string): MaintenanceWindowInput {
    const { maxDuration, maxLeadTime, remindBefore } = this.config.maintenance;
    const startsAtMs = request.startsAt === undefined ? now : Date.parse(request.startsAt);
    const endsAtMs = Date.parse(request.endsAt);
    if (Number.isNaN(startsAtMs)) throw invalid('body.startsAt', `is ${JSON.stringify(request.startsAt)}; expected an ISO 8601 date-time`);
    if (Number.isNaN(endsAtMs)) throw invalid('body.endsAt', `is ${JSON.stringify(request.endsAt)}; expected an ISO 8601 date-time`);
    if (endsAtMs <= now) throw invalid('body.endsAt', `is ${request.endsAt}; expected a time in the future`);
    if (endsAtMs <= startsAtMs) throw invalid('body.endsAt', `is ${request.endsAt}; expected a time after body.startsAt`);
    if (endsAtMs - startsAtMs > durationToMs(maxDuration)) {
      throw invalid('body.endsAt', `is more than ${maxDuration} after the start; a window lasts at most maintenance.maxDuration (${maxDuration})`);
    }
    if (startsAtMs - now > durationToMs(maxLeadTime)) {
      throw invalid('body.startsAt', `is more than ${maxLeadTime} ahead; expected a start within maintenance.maxLeadTime (${maxLeadTime})`);
    }
    const labels = request.matchers.labels ?? {};
    if (request.matchers.service === undefined && Object.keys(labels).length === 0) {
      throw invalid('body.matchers', 'matches every alert; expected a service or at least one label');
    }

    const suffix =
      idempotencyKey === undefined
        ? randomBytes(6).toString('hex')
        : createHash('sha256').update(`${author}\n${idempotencyKey}`).digest('hex').slice(0, 12);
    return {
      id: `${MAINTENANCE_ID_PREFIX}${suffix}`,
      startsAt: new Date(startsAtMs).toISOString(),
      endsAt: new Date(endsAtMs).toISOString(),
      matchers: {
        ...(request.matchers.service === undefined ? {} : { service: request.matchers.service }),
        ...(Object.keys(labels).length === 0 ? {} : { labels }),
      },
      reason: request.reason,
      author,
      createdAt: new Date(now).toISOString(),
      remindBefore,
    };
  }

  private async call<T>(subject: Subject, fn: () => Promise<T>): Promise<T> {
    return callTemporal(this.client, subject, fn);
  }
}

function summaryOf(window: MaintenanceWindowInput, at: number): MaintenanceWindowSummary {
  return { ...window, status: statusAt(window, at) };
}

function statusAt(window: MaintenanceWindowInput, at: number): MaintenanceWindowView['status'] {
  if (at >= Date.parse(window.endsAt)) return 'ended';
  return at < Date.parse(window.startsAt) ? 'scheduled' : 'active';
}

function describeMatchers(matchers: MaintenanceMatchers): string {
  const parts = [
    ...(matchers.service === undefined ? [] : [`service=${matchers.service}`]),
    ...Object.entries(matchers.labels ?? {}).map(([name, value]) => `${name}=${value}`),
  ];
  return parts.join(', ');
}

function invalid(field: string, reason: string): ApiError {
  return new ApiError('INVALID_BODY', `${field} ${reason}`, { field });
}
