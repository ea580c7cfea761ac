import { activityInfo, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { AxiosError, type AxiosInstance, type AxiosRequestConfig } from 'axios';

import { DownstreamUnavailableError } from './http-errors.js';
import { retryAfterMs } from './providers/delivery-errors.js';

/**
 * Adapter for the Atlassian Statuspage REST API (v1). The calls must run
 * inside an activity, because they log through the activity logger.
 *
 * Request shapes follow the client models generated from Statuspage's v1
 * OpenAPI description. Requests are authenticated with an
 * `Authorization: OAuth <api key>` header, and each request body wraps its
 * fields in an `incident` or `component` object.
 */

export const STATUSPAGE_DEFAULT_BASE_URL = 'https://api.statuspage.io/v1';

export const STATUSPAGE_INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type StatuspageIncidentStatus = (typeof STATUSPAGE_INCIDENT_STATUSES)[number];

export const STATUSPAGE_COMPONENT_STATUSES = [
  'operational',
  'degraded_performance',
  'partial_outage',
  'major_outage',
  'under_maintenance',
] as const;
export type StatuspageComponentStatus = (typeof STATUSPAGE_COMPONENT_STATUSES)[number];

/** Maximum incident name length that Statuspage accepts, in characters. */
export const STATUSPAGE_MAX_NAME_LENGTH = 255;
/** Maximum incident update body length that Statuspage accepts, in characters. */
export const STATUSPAGE_MAX_BODY_LENGTH = 25_000;

/** Provider name in the details of delivery failures. */
const PROVIDER = 'statuspage';
const REQUEST_TIMEOUT_MS = 10_000;

/** The Statuspage page to write to and the credentials to use. */
export interface StatuspageTarget {
  /** API root, `STATUSPAGE_DEFAULT_BASE_URL` when omitted. A trailing slash is ignored. */
  baseUrl?: string;
  /** Secret. It is sent only in the `Authorization` header and never logged or put into an error. */
  apiKey: string;
  pageId: string;
}

export interface CreateStatuspageIncidentRequest {
  /** Public title, at most 255 characters. */
  name: string;
  status: StatuspageIncidentStatus;
  /** First public update, at most 25,000 characters. */
  body: string;
  componentIds: string[];
  /** Status that every component in `componentIds` takes. */
  componentStatus: StatuspageComponentStatus;
  /**
   * Stable per logical request. Stored in the incident's metadata, and a
   * retried attempt first looks for an unresolved incident that carries it.
   */
  idempotencyKey: string;
}

export interface UpdateStatuspageIncidentRequest {
  status: StatuspageIncidentStatus;
  /** New public update, at most 25,000 characters. Omit it to change only the status. */
  body?: string;
  componentIds?: string[];
  /** Status that every component in `componentIds` takes. */
  componentStatus?: StatuspageComponentStatus;
}

export interface ResolveStatuspageIncidentRequest {
  /** Closing public update, at most 25,000 characters. */
  body?: string;
  /** Components to set back to `operational`. */
  componentIds: string[];
}

/** The metadata key under which BARQ stores its own fields on an incident. */
const METADATA_NAMESPACE = 'barq';

/**
 * Creates a realtime incident on the page and returns Statuspage's ID of it.
 *
 * The incident model in Statuspage's v1 OpenAPI description has no
 * idempotency key field, so the key goes into the incident's metadata. On a retried attempt, where the first POST may have
 * succeeded without its response arriving, the unresolved incidents are
 * searched for that key first, and a match is returned rather than created
 * again.
 */
export async function createStatuspageIncident(
  http: AxiosInstance,
  target: StatuspageTarget,
  request: CreateStatuspageIncidentRequest,
): Promise<string> {
  checkId('page ID', target.pageId);
  checkName(request.name);
  checkIncidentStatus(request.status);
  checkBody(request.body);
  checkComponents(request.componentIds, request.componentStatus);
  if (request.idempotencyKey.trim() === '') invalidRequest('idempotencyKey is empty; pass a key that is stable across retries');

  const attempt = activityInfo().attempt;
  const logFields = { pageId: target.pageId, idempotencyKey: request.idempotencyKey, attempt };

  if (attempt > 1) {
    const existingId = await findIncidentByIdempotencyKey(http, target, request.idempotencyKey);
    if (existingId !== undefined) {
      log.info('statuspage incident already created by an earlier attempt', { ...logFields, statuspageIncidentId: existingId });
      return existingId;
    }
  }

  const payload = {
    incident: {
      name: request.name,
      status: request.status,
      body: request.body,
      component_ids: request.componentIds,
      components: componentStatusMap(request.componentIds, request.componentStatus),
      metadata: { [METADATA_NAMESPACE]: { idempotency_key: request.idempotencyKey } },
    },
  };
  const data = await send(http, target, 'create an incident', {
    method: 'POST',
    url: pagePath(target, 'incidents'),
    data: payload,
  });

  const incidentId = readIncidentId(data);
  log.info('statuspage incident created', { ...logFields, statuspageIncidentId: incidentId, status: request.status });
  return incidentId;
}

/** Changes an incident's status and, when given, posts a new update and sets component statuses. */
export async function updateStatuspageIncident(
  http: AxiosInstance,
  target: StatuspageTarget,
  incidentId: string,
  request: UpdateStatuspageIncidentRequest,
): Promise<void> {
  checkId('page ID', target.pageId);
  checkId('incident ID', incidentId);
  checkIncidentStatus(request.status);
  if (request.body !== undefined) checkBody(request.body);
  if (request.componentIds !== undefined || request.componentStatus !== undefined) {
    if (request.componentIds === undefined || request.componentStatus === undefined) {
      invalidRequest('componentIds and componentStatus must be given together');
    }
    checkComponents(request.componentIds, request.componentStatus);
  }

  const incident: Record<string, unknown> = { status: request.status };
  if (request.body !== undefined) incident.body = request.body;
  if (request.componentIds !== undefined && request.componentStatus !== undefined) {
    incident.component_ids = request.componentIds;
    incident.components = componentStatusMap(request.componentIds, request.componentStatus);
  }

  await send(http, target, 'update an incident', {
    method: 'PATCH',
    url: pagePath(target, 'incidents', incidentId),
    data: { incident },
  });
  log.info('statuspage incident updated', { pageId: target.pageId, statuspageIncidentId: incidentId, status: request.status });
}

/** Resolves an incident and sets its components back to `operational`. */
export async function resolveStatuspageIncident(
  http: AxiosInstance,
  target: StatuspageTarget,
  incidentId: string,
  request: ResolveStatuspageIncidentRequest,
): Promise<void> {
  await updateStatuspageIncident(http, target, incidentId, {
    status: 'resolved',
    ...(request.body === undefined ? {} : { body: request.body }),
    componentIds: request.componentIds,
    componentStatus: 'operational',
  });
}

/** Sets one component's status without touching any incident. */
export async function setStatuspageComponentStatus(
  http: AxiosInstance,
  target: StatuspageTarget,
  componentId: string,
  status: StatuspageComponentStatus,
): Promise<void> {
  checkId('page ID', target.pageId);
  checkComponents([componentId], status);

  await send(http, target, 'set a component status', {
    method: 'PATCH',
    url: pagePath(target, 'components', componentId),
    data: { component: { status } },
  });
  log.info('statuspage component status set', { pageId: target.pageId, componentId, status });
}

// ---------------------------------------------------------------------------
// Requests

async function findIncidentByIdempotencyKey(
  http: AxiosInstance,
  target: StatuspageTarget,
  idempotencyKey: string,
): Promise<string | undefined> {
  const data = await send(http, target, 'list unresolved incidents', {
    method: 'GET',
    url: pagePath(target, 'incidents', 'unresolved'),
  });
  // NOTE: Statuspage's reference documents metadata as a request field; that
  // the list response returns it is assumed. If it does not, no incident
  // matches and a retry after a lost response creates a second incident.
  if (!Array.isArray(data)) return undefined;
  for (const incident of data as unknown[]) {
    if (metadataKeyOf(incident) === idempotencyKey) return readIncidentId(incident);
  }
  return undefined;
}

function metadataKeyOf(incident: unknown): unknown {
  if (typeof incident !== 'object' || incident === null) return undefined;
  const metadata = (incident as { metadata?: unknown }).metadata;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const namespace = (metadata as Record<string, unknown>)[METADATA_NAMESPACE];
  if (typeof namespace !== 'object' || namespace === null) return undefined;
  return (namespace as { idempotency_key?: unknown }).idempotency_key;
}

/** Sends one request with the API key and translates any failure. `operation` names the request in messages. */
async function send(http: AxiosInstance, target: StatuspageTarget, operation: string, config: AxiosRequestConfig): Promise<unknown> {
  if (target.apiKey.trim() === '') invalidRequest('Statuspage API key is empty; set it in the status page configuration');

  try {
    const response = await http.request<unknown>({
      ...config,
      timeout: REQUEST_TIMEOUT_MS,
      headers: { Authorization: `OAuth ${target.apiKey}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    });
    return response.data;
  } catch (error) {
    const translated = translateStatuspageError(error, operation);
    log.warn('statuspage request failed', { pageId: target.pageId, operation, error: translated.message });
    throw translated;
  }
}

function pagePath(target: StatuspageTarget, ...segments: string[]): string {
  const baseUrl = (target.baseUrl ?? STATUSPAGE_DEFAULT_BASE_URL).replace(/\/+$/, '');
  return [baseUrl, 'pages', target.pageId, ...segments].map((part, index) => (index === 0 ? part : encodeURIComponent(part))).join('/');
}

function componentStatusMap(componentIds: readonly string[], status: StatuspageComponentStatus): Record<string, StatuspageComponentStatus> {
  return Object.fromEntries(componentIds.map((componentId) => [componentId, status]));
}

function readIncidentId(data: unknown): string {
  const id = typeof data === 'object' && data !== null ? (data as { id?: unknown }).id : undefined;
  if (typeof id === 'string' && id !== '') return id;
  // A retry could create the incident twice, so this is not retried.
  throw ApplicationFailure.create({
    type: 'UnexpectedResponse',
    nonRetryable: true,
    message: 'Statuspage returned no incident ID; check the page for the incident before creating it again',
    details: [{ provider: PROVIDER }],
  });
}

// ---------------------------------------------------------------------------
// Errors

/**
 * Turns an axios error into what Temporal should do with it. Statuspage
 * has signalled rate limiting with HTTP 420, and Atlassian's 2020 community
 * post "Upcoming rate limiting changes to Statuspage REST API" announced 429
 * with Retry-After, so both codes are retried. The AxiosError is not
 * attached as a cause because its request config contains the API key.
 */
export function translateStatuspageError(error: unknown, operation: string): Error {
  if (!(error instanceof AxiosError)) {
    return error instanceof Error ? error : new Error(String(error));
  }

  const status = error.response?.status;
  if (status === undefined) {
    return new DownstreamUnavailableError(`Statuspage did not respond to the request to ${operation}: ${error.code ?? 'no response'}`);
  }

  const retryable = status === 408 || status === 420 || status === 429 || status >= 500;
  if (!retryable) {
    return ApplicationFailure.create({
      type: 'DeliveryRejected',
      nonRetryable: true,
      message: `Statuspage rejected the request to ${operation} with HTTP ${status}${rejectionHint(status)}; retrying will not help`,
      details: [{ provider: PROVIDER, status }],
    });
  }

  const retryAfterMs = parseRetryAfter(error.response?.headers['retry-after']);
  const message = `Statuspage responded to the request to ${operation} with HTTP ${status}`;
  if (retryAfterMs === undefined) return new DownstreamUnavailableError(message);
  return ApplicationFailure.create({
    type: 'DeliveryDeferred',
    nonRetryable: false,
    message: `${message}; Retry-After asks for ${Math.ceil(retryAfterMs / 1000)} s`,
    details: [{ provider: PROVIDER, status, retryAfterMs }],
    nextRetryDelay: retryAfterMs,
  });
}

function rejectionHint(status: number): string {
  if (status === 401 || status === 403) return ' (check the API key and its access to the page)';
  if (status === 404) return ' (check the page, incident and component IDs)';
  if (status === 400 || status === 422) return ' (the request body is invalid)';
  return '';
}

/**
 * Parses a Retry-After header, given as delay seconds or as an HTTP date,
 * into milliseconds, capped at 10 minutes. Returns undefined for a missing or
 * unparsable value and for a delay of zero or a past date, so the retry
 * policy decides instead.
 */
export function parseRetryAfter(header: unknown, nowMs: number = Date.now()): number | undefined {
  if (typeof header !== 'string') return undefined;
  const delay = retryAfterMs({ 'retry-after': header }, nowMs);
  return delay === undefined || delay === 0 ? undefined : delay;
}

// ---------------------------------------------------------------------------
// Input checks

function invalidRequest(message: string): never {
  throw ApplicationFailure.create({ type: 'InvalidStatuspageRequest', nonRetryable: true, message });
}

function checkId(label: string, value: string): void {
  if (value.trim() === '') invalidRequest(`${label} is empty; pass the ID that Statuspage assigned`);
}

function checkName(name: string): void {
  if (name.trim() === '') invalidRequest('incident name is empty; pass a public one-line title');
  if (name.length > STATUSPAGE_MAX_NAME_LENGTH) {
    invalidRequest(`incident name has ${name.length} characters; Statuspage accepts at most ${STATUSPAGE_MAX_NAME_LENGTH}`);
  }
}

function checkBody(body: string): void {
  if (body.length > STATUSPAGE_MAX_BODY_LENGTH) {
    invalidRequest(`incident update body has ${body.length} characters; Statuspage accepts at most ${STATUSPAGE_MAX_BODY_LENGTH}`);
  }
}

function checkIncidentStatus(status: string): void {
  if (!(STATUSPAGE_INCIDENT_STATUSES as readonly string[]).includes(status)) {
    invalidRequest(`incident status '${status}' is invalid; expected one of ${STATUSPAGE_INCIDENT_STATUSES.join(', ')}`);
  }
}

function checkComponents(componentIds: readonly string[], status: string): void {
  if (!(STATUSPAGE_COMPONENT_STATUSES as readonly string[]).includes(status)) {
    invalidRequest(`component status '${status}' is invalid; expected one of ${STATUSPAGE_COMPONENT_STATUSES.join(', ')}`);
  }
  for (const componentId of componentIds) checkId('component ID', componentId);
}
