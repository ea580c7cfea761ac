import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { AxiosInstance } from 'axios';

import type { Config } from '../config/schema.js';
import type { PublicStatus, Severity } from '../shared/incident.js';
import { translateHttpError } from './http-errors.js';
import {
  createStatuspageIncident,
  resolveStatuspageIncident,
  updateStatuspageIncident,
  type StatuspageComponentStatus,
  type StatuspageTarget,
} from './statuspage-io.js';

export interface StatusUpdateDeps {
  config: Config;
  http: AxiosInstance;
  devInboxUrl: string;
  /** Defaults to `process.env`, read at each call. */
  env?: NodeJS.ProcessEnv;
}

export interface StatusUpdateRequest {
  incidentId: string;
  /** Run that publishes the update; with `step` it forms the idempotency key. */
  runId: string;
  step: string;
  service: string;
  severity: Severity;
  status: PublicStatus;
  /** Public text: no internal hosts, people or error details. */
  message: string;
  /** Public one-line title; a generic one is used without it. */
  title?: string;
  /** Statuspage incident created by an earlier update of this incident. */
  statuspageIncidentId?: string;
}

export interface StatusUpdateResult {
  /** HTTP status of the webhook, absent when `statusPage.webhook` is `none`. */
  httpStatus?: number;
  /** Statuspage incident that mirrors this one, when Statuspage is configured. */
  statuspageIncidentId?: string;
}

/** Delivery target name used in the development inbox. */
const STATUS_PAGE_INBOX = 'status-page';

const COMPONENT_STATUS: Record<Severity, StatuspageComponentStatus> = {
  P0: 'major_outage',
  P1: 'partial_outage',
  P2: 'degraded_performance',
  P3: 'degraded_performance',
};

/**
 * Publishes one status update: posts it as JSON to the configured webhook,
 * with an `Idempotency-Key` so a retry publishes it once, and mirrors it to
 * Atlassian Statuspage when that is configured.
 */
export async function publishStatusUpdate(deps: StatusUpdateDeps, request: StatusUpdateRequest): Promise<StatusUpdateResult> {
  const result: StatusUpdateResult = {};
  const { webhook } = deps.config.statusPage;
  const idempotencyKey = `${request.incidentId}/${request.runId}/${request.step}/status-page`;
  const publicName = deps.config.statusPage.services[request.service] ?? request.service;
  const title = request.title ?? `${publicName}: service disruption`;

  if (webhook !== 'none') {
    const url = webhook === 'dev-inbox' ? new URL(`/dev/inbox/${STATUS_PAGE_INBOX}`, deps.devInboxUrl).toString() : webhook;
    try {
      const response = await deps.http.post(
        url,
        {
          idempotencyKey,
          incidentId: request.incidentId,
          service: request.service,
          publicService: publicName,
          severity: request.severity,
          status: request.status,
          title,
          message: request.message,
          publishedAt: new Date().toISOString(),
        },
        { timeout: 10_000, headers: { 'Idempotency-Key': idempotencyKey, 'Content-Type': 'application/json' } },
      );
      result.httpStatus = response.status;
    } catch (error) {
      const translated = translateHttpError(error, 'status page');
      log.warn('status update failed', { incidentId: request.incidentId, step: request.step, error: translated.message });
      throw translated;
    }
  }

  const statuspage = deps.config.statusPage.statuspage;
  if (statuspage !== undefined) {
    result.statuspageIncidentId = await mirrorToStatuspage(deps, statuspage, request, title, idempotencyKey);
  }
  log.info('status update published', { incidentId: request.incidentId, step: request.step, status: request.status });
  return result;
}

async function mirrorToStatuspage(
  deps: StatusUpdateDeps,
  settings: NonNullable<Config['statusPage']['statuspage']>,
  request: StatusUpdateRequest,
  title: string,
  idempotencyKey: string,
): Promise<string> {
  const apiKey = (deps.env ?? process.env)['STATUSPAGE_API_KEY'];
  if (apiKey === undefined || apiKey === '') {
    throw ApplicationFailure.create({
      type: 'ConfigurationMissing',
      nonRetryable: true,
      message: 'statusPage.statuspage is configured but STATUSPAGE_API_KEY is not set in the worker environment',
    });
  }
  const target: StatuspageTarget = { baseUrl: settings.apiUrl, apiKey, pageId: settings.pageId };
  const component = settings.components[request.service];
  const componentIds = component === undefined ? [] : [component];

  if (request.statuspageIncidentId === undefined) {
    return createStatuspageIncident(deps.http, target, {
      name: title,
      status: request.status === 'resolved' ? 'resolved' : request.status,
      body: request.message,
      componentIds,
      componentStatus: request.status === 'resolved' ? 'operational' : COMPONENT_STATUS[request.severity],
      idempotencyKey,
    });
  }
  if (request.status === 'resolved') {
    await resolveStatuspageIncident(deps.http, target, request.statuspageIncidentId, { body: request.message, componentIds });
  } else {
    await updateStatuspageIncident(deps.http, target, request.statuspageIncidentId, {
      status: request.status,
      body: request.message,
      ...(componentIds.length === 0 ? {} : { componentIds, componentStatus: COMPONENT_STATUS[request.severity] }),
    });
  }
  return request.statuspageIncidentId;
}
