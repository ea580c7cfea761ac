import { ApiException } from '@kubernetes/client-node';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';

/**
 * A transient fault of the Kubernetes API (refused connection, timeout,
 * HTTP 429 or 5xx). Plain error, so Temporal retries the activity.
 */
export class KubernetesUnavailableError extends Error {
  override readonly name = 'KubernetesUnavailableError';
}

/** The fields of a Kubernetes `Status` object, the body of an API error, that messages use. */
export interface KubernetesStatus {
  reason?: string;
  message?: string;
}

/** Reasons the API server sends with these HTTP statuses, for errors whose body is missing. */
const STATUS_REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

const REJECTION_ADVICE: Record<number, string> = {
  401: 'check the token or client certificate of the kubeconfig user, or the service account token',
  403: "grant the worker's Kubernetes user or service account this permission (RBAC)",
  404: 'check kubernetes.deployments and the namespace in the configuration',
  409: 'the object changed in the meantime; read it again before repeating the request',
  422: 'the API server found the request invalid for this object',
};

/** Maximum length of the API server message quoted in an error message. */
const MAX_STATUS_MESSAGE_LENGTH = 300;

/**
 * The one place that turns errors of `@kubernetes/client-node` into what
 * Temporal should do with them.
 * - HTTP 4xx other than 408 and 429 is a non-retryable `KubernetesRejected`
 *   with the status and the `Status` reason in its details.
 * - HTTP 408, 429 and 5xx, refused or reset connections and timeouts are a
 *   retryable `KubernetesUnavailableError`.
 * - TLS certificate errors and unreadable credential files are a
 *   non-retryable `ConfigurationInvalid`.
 *
 * `CancelledFailure`, `ApplicationFailure` and other errors are returned
 * unchanged. The translated errors carry no `cause`, because node-fetch and
 * `ApiException` messages contain the request URL and the response headers,
 * and Temporal would record them in workflow history.
 */
export function translateKubernetesError(error: unknown, action: string): Error {
  if (error instanceof CancelledFailure || error instanceof ApplicationFailure) return error;

  if (error instanceof ApiException) return translateApiException(error as ApiException<unknown>, action);

  const code = errorCode(error);
  if (isAbortError(error)) {
    return new KubernetesUnavailableError(`Kubernetes API did not respond in time to ${action}`);
  }
  if (code !== undefined && isTlsErrorCode(code)) {
    return ApplicationFailure.create({
      type: 'ConfigurationInvalid',
      nonRetryable: true,
      message: `TLS connection to the Kubernetes API failed with ${code} while trying to ${action}; check the certificate-authority of the cluster in the kubeconfig`,
    });
  }
  if ((code === 'ENOENT' || code === 'EACCES') && typeof (error as { path?: unknown }).path === 'string') {
    const path = (error as { path: string }).path;
    return ApplicationFailure.create({
      type: 'ConfigurationInvalid',
      nonRetryable: true,
      message: `cannot read ${path} (${code}), a file the Kubernetes credentials need, while trying to ${action}; fix the kubeconfig or the service account mount`,
    });
  }
  if (code !== undefined) {
    return new KubernetesUnavailableError(`Kubernetes API did not respond to ${action}: ${code}`);
  }

  return error instanceof Error ? error : new Error(String(error));
}

function translateApiException(error: ApiException<unknown>, action: string): Error {
  const status = error.code;
  const body = parseStatus(error.body);
  const reason = body.reason ?? STATUS_REASONS[status] ?? 'Unknown';

  if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
    const serverMessage = body.message === undefined ? '' : `: ${shorten(body.message)}`;
    const advice = REJECTION_ADVICE[status] ?? 'retrying will not help';
    return ApplicationFailure.create({
      type: 'KubernetesRejected',
      nonRetryable: true,
      message: `Kubernetes API rejected the request to ${action} with HTTP ${status} ${reason}${serverMessage}; ${advice}`,
      details: [{ status, reason }],
    });
  }

  return new KubernetesUnavailableError(`Kubernetes API failed to ${action} with HTTP ${status} ${reason}`);
}

/**
 * Reads `reason` and `message` of a `Status` body. The generated client of
 * version 1.4.0 passes the body as unparsed text, and leaves it out of a 401.
 */
export function parseStatus(body: unknown): KubernetesStatus {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return {};
    }
  }
  if (typeof value !== 'object' || value === null) return {};

  const { reason, message } = value as Record<string, unknown>;
  return {
    ...(typeof reason === 'string' && reason !== '' ? { reason } : {}),
    ...(typeof message === 'string' && message !== '' ? { message } : {}),
  };
}

/** Returns the HTTP status of a `KubernetesRejected` failure, or undefined for any other error. */
export function rejectionStatus(error: unknown): number | undefined {
  if (!(error instanceof ApplicationFailure) || error.type !== 'KubernetesRejected') return undefined;
  const details: unknown = error.details?.[0];
  if (typeof details !== 'object' || details === null) return undefined;
  const { status } = details as { status?: unknown };
  return typeof status === 'number' ? status : undefined;
}

function shorten(text: string): string {
  return text.length <= MAX_STATUS_MESSAGE_LENGTH ? text : `${text.slice(0, MAX_STATUS_MESSAGE_LENGTH)}…`;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

function isTlsErrorCode(code: string): boolean {
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(code);
}
