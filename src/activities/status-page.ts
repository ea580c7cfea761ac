import { log } from '@temporalio/activity';
import type { AxiosInstance } from 'axios';

import type { Config } from '../config/schema.js';
import type { Severity } from '../shared/incident.js';
import { translateHttpError } from './http-errors.js';

export interface StatusUpdateDeps {
  config: Config;
  http: AxiosInstance;
  devInboxUrl: string;
}

export interface StatusUpdateRequest {
  incidentId: string;
  /** Run that publishes the update; with `step` it forms the idempotency key. */
  runId: string;
  step: string;
  service: string;
  severity: Severity;
  status: 'investigating' | 'monitoring' | 'resolved';
  /** Public text: no internal hosts, people or error details. */
  message: string;
}

/** Delivery target name used in the development inbox. */
const STATUS_PAGE_INBOX = 'status-page';

/**
 * Posts one status update as JSON to the configured status page webhook,
 * with an `Idempotency-Key` so a retry publishes it once.
 */
export async function publishStatusUpdate(deps: StatusUpdateDeps, request: StatusUpdateRequest): Promise<{ httpStatus: number }> {
  const { webhook } = deps.config.statusPage;
  const url = webhook === 'dev-inbox' ? new URL(`/dev/inbox/${STATUS_PAGE_INBOX}`, deps.devInboxUrl).toString() : webhook;
  const idempotencyKey = `${request.incidentId}/${request.runId}/${request.step}/status-page`;

  try {
    const response = await deps.http.post(
      url,
      {
        idempotencyKey,
        incidentId: request.incidentId,
        service: request.service,
        severity: request.severity,
        status: request.status,
        message: request.message,
        publishedAt: new Date().toISOString(),
      },
      { timeout: 10_000, headers: { 'Idempotency-Key': idempotencyKey, 'Content-Type': 'application/json' } },
    );
    log.info('status update published', { incidentId: request.incidentId, step: request.step, status: request.status });
    return { httpStatus: response.status };
  } catch (error) {
    const translated = translateHttpError(error, 'status page');
    log.warn('status update failed', { incidentId: request.incidentId, step: request.step, error: translated.message });
    throw translated;
  }
}
