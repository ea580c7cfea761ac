import { activityInfo, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { AxiosInstance } from 'axios';

import type { Config } from '../config/schema.js';
import type { PageRequest, PageResult } from '../shared/incident.js';
import { translateHttpError } from './http-errors.js';

export interface PagingDeps {
  config: Config;
  http: AxiosInstance;
  /** Base URL of the API that serves the development inbox. */
  devInboxUrl: string;
}

/** The JSON body every page webhook receives. */
export interface PagePayload {
  idempotencyKey: string;
  incidentId: string;
  contact: { id: string; name: string };
  severity: string;
  service: string;
  summary: string;
  stage: string;
  reason: string;
  links: { incident: string; temporalUi: string };
  sentAt: string;
}

/**
 * Builds the idempotency key of a page from the incident (its ID and the
 * sending run's ID), the step that sends it and the recipient. A retry or a replay of the same step reuses the key,
 * and receivers drop a key they have already seen.
 */
export function pageIdempotencyKey(request: Pick<PageRequest, 'incidentId' | 'runId' | 'step' | 'contactId'>): string {
  return `${request.incidentId}/${request.runId}/${request.step}/${request.contactId}`;
}

/**
 * Pages one contact through its JSON webhook. The address is looked up here
 * so that it never enters workflow history. Receivers must treat the
 * `Idempotency-Key` header as the identity of the page.
 */
export async function pageContact(deps: PagingDeps, request: PageRequest): Promise<PageResult> {
  const contact = deps.config.contacts.find((candidate) => candidate.id === request.contactId);
  if (contact === undefined) {
    throw ApplicationFailure.create({
      type: 'UnknownContact',
      nonRetryable: true,
      message: `no contact with ID ${request.contactId} in the configuration`,
    });
  }

  const idempotencyKey = pageIdempotencyKey(request);
  const url =
    contact.webhook === 'dev-inbox'
      ? new URL(`/dev/inbox/${encodeURIComponent(contact.id)}`, deps.devInboxUrl).toString()
      : contact.webhook;
  const { temporal, api } = deps.config;
  const payload: PagePayload = {
    idempotencyKey,
    incidentId: request.incidentId,
    contact: { id: contact.id, name: contact.name },
    severity: request.severity,
    service: request.service,
    summary: request.summary,
    stage: request.stage,
    reason: request.reason,
    links: {
      incident: new URL(`/incidents/${encodeURIComponent(request.incidentId)}`, api.publicUrl).toString(),
      temporalUi: new URL(
        `/namespaces/${encodeURIComponent(temporal.namespace)}/workflows/${encodeURIComponent(request.incidentId)}`,
        temporal.uiUrl,
      ).toString(),
    },
    sentAt: new Date().toISOString(),
  };

  const attempt = activityInfo().attempt;
  const logFields = { incidentId: request.incidentId, contactId: contact.id, step: request.step, attempt };
  try {
    const response = await deps.http.post(url, payload, {
      timeout: 10_000,
      headers: { 'Idempotency-Key': idempotencyKey, 'Content-Type': 'application/json' },
    });
    const duplicate = isDuplicateAnswer(response.data);
    log.info('page sent', { ...logFields, httpStatus: response.status, duplicate });
    return { contactId: contact.id, idempotencyKey, httpStatus: response.status, duplicate };
  } catch (error) {
    const translated = translateHttpError(error, `page receiver of ${contact.id}`);
    log.warn('page attempt failed', { ...logFields, error: translated.message });
    throw translated;
  }
}

function isDuplicateAnswer(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { duplicate?: unknown }).duplicate === true;
}
