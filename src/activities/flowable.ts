import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { AxiosError, type AxiosInstance } from 'axios';

import type { Config } from '../config/schema.js';
import { durationToMs } from '../shared/duration.js';
import { translateHttpError } from './http-errors.js';

/** HTTP basic auth of the Flowable REST API, read from the environment at worker start. */
export interface FlowableCredentials {
  user: string;
  password: string;
}

export interface FlowableDeps {
  config: Config;
  http: AxiosInstance;
  flowableCredentials?: FlowableCredentials;
}

export interface FlowableRequest {
  incidentId: string;
}

export interface FlowableDeploymentsRequest {
  incidentId: string;
  /** Number of newest deployments to list. Defaults to 10. */
  size?: number;
}

/** Body of `GET management/engine` in the Flowable REST API. */
export interface FlowableEngineInfo {
  name: string;
  version: string;
  resourceUrl: string | null;
  /** Exception message of a failed engine start, or null. */
  exception: string | null;
}

/** One entry of `GET repository/deployments` in the Flowable REST API. */
export interface FlowableDeployment {
  id: string;
  name: string | null;
  /** ISO 8601 time with offset, as Flowable sends it. */
  deploymentTime: string;
  category: string | null;
  tenantId: string | null;
}

/** The newest deployments, and `total`, the number of deployments Flowable holds. */
export interface FlowableDeploymentList {
  data: FlowableDeployment[];
  total: number;
}

const REST_ROOT = '/flowable-rest/service';
const DEFAULT_DEPLOYMENT_COUNT = 10;
const MAX_DEPLOYMENT_COUNT = 100;

/**
 * Reads the Flowable credentials from `FLOWABLE_USER` and `FLOWABLE_PASSWORD`.
 * Returns undefined unless both are set, so the Flowable activities fail with
 * `ConfigurationMissing` instead of sending half a credential.
 */
export function flowableCredentialsFromEnv(env: NodeJS.ProcessEnv = process.env): FlowableCredentials | undefined {
  const user = env['FLOWABLE_USER'];
  const password = env['FLOWABLE_PASSWORD'];
  if (user === undefined || user === '' || password === undefined || password === '') return undefined;
  return { user, password };
}

/** Fetches the Flowable engine name, version and start-up exception. */
export async function flowableEngineStatus(deps: FlowableDeps, request: FlowableRequest): Promise<FlowableEngineInfo> {
  const body = await getFlowable(deps, request.incidentId, '/management/engine', {});
  const engine = body as Partial<FlowableEngineInfo>;
  if (typeof engine.name !== 'string' || typeof engine.version !== 'string') {
    throw new Error('Flowable management/engine returned a body without name and version; is flowable.baseUrl the Flowable REST app?');
  }

  log.info('flowable engine status read', { incidentId: request.incidentId, version: engine.version });
  return {
    name: engine.name,
    version: engine.version,
    resourceUrl: engine.resourceUrl ?? null,
    exception: engine.exception ?? null,
  };
}

/** Lists the newest Flowable deployments, newest first. */
export async function flowableDeployments(
  deps: FlowableDeps,
  request: FlowableDeploymentsRequest,
): Promise<FlowableDeploymentList> {
  const size = request.size ?? DEFAULT_DEPLOYMENT_COUNT;
  if (!Number.isInteger(size) || size < 1 || size > MAX_DEPLOYMENT_COUNT) {
    throw ApplicationFailure.create({
      type: 'InvalidRequest',
      nonRetryable: true,
      message: `invalid deployment count ${size}, expected an integer from 1 to ${MAX_DEPLOYMENT_COUNT}`,
    });
  }

  const body = await getFlowable(deps, request.incidentId, '/repository/deployments', {
    sort: 'deployTime',
    order: 'desc',
    size,
  });
  const list = body as { data?: unknown; total?: unknown };
  if (!Array.isArray(list.data) || typeof list.total !== 'number') {
    throw new Error('Flowable repository/deployments returned a body without data and total; is flowable.baseUrl the Flowable REST app?');
  }

  const data = (list.data as FlowableDeployment[]).map((deployment) => ({
    id: deployment.id,
    name: deployment.name ?? null,
    deploymentTime: deployment.deploymentTime,
    category: deployment.category ?? null,
    tenantId: deployment.tenantId ?? null,
  }));
  log.info('flowable deployments listed', { incidentId: request.incidentId, listed: data.length, total: list.total });
  return { data, total: list.total };
}

/** Sends an authenticated GET to the Flowable REST API and returns the JSON body. */
async function getFlowable(
  deps: FlowableDeps,
  incidentId: string,
  path: string,
  params: Record<string, string | number>,
): Promise<unknown> {
  const credentials = deps.flowableCredentials;
  if (credentials === undefined) {
    throw ApplicationFailure.create({
      type: 'ConfigurationMissing',
      nonRetryable: true,
      message: 'Flowable credentials are missing; set FLOWABLE_USER and FLOWABLE_PASSWORD for the worker and restart it',
    });
  }

  const { baseUrl, timeout } = deps.config.flowable;
  const url = new URL(`${REST_ROOT}${path}`, baseUrl).toString();
  try {
    const response = await deps.http.get<unknown>(url, {
      params,
      timeout: durationToMs(timeout),
      auth: { username: credentials.user, password: credentials.password },
      headers: { Accept: 'application/json' },
    });
    return response.data;
  } catch (error) {
    const translated = translateFlowableError(error);
    log.warn('flowable request failed', { incidentId, path, error: translated.message });
    throw translated;
  }
}

function translateFlowableError(error: unknown): Error {
  const status = error instanceof AxiosError ? error.response?.status : undefined;
  if (status === 401 || status === 403) {
    return ApplicationFailure.create({
      type: 'DownstreamRejected',
      nonRetryable: true,
      message: `Flowable rejected the Flowable credentials with HTTP ${status}; check FLOWABLE_USER and FLOWABLE_PASSWORD and the user's privileges`,
      details: [{ target: 'Flowable', status }],
    });
  }
  return translateHttpError(error, 'Flowable');
}
