import { ApplicationFailure } from '@temporalio/common';
import { AxiosError } from 'axios';

/**
 * The one place that turns axios errors into what Temporal should do with
 * them. Messages carry the target's name, never its URL, because webhook URLs
 * often embed a secret.
 */
export function translateHttpError(error: unknown, target: string): Error {
  if (!(error instanceof AxiosError)) {
    return error instanceof Error ? error : new Error(String(error));
  }

  const status = error.response?.status;
  if (status === undefined) {
    const code = error.code ?? 'no response';
    return new DownstreamUnavailableError(`${target} did not respond: ${code}`, { cause: error });
  }

  if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return ApplicationFailure.create({
      type: 'DownstreamRejected',
      nonRetryable: true,
      message: `${target} rejected the request with HTTP ${status}; retrying will not help`,
      details: [{ target, status }],
    });
  }
  return new DownstreamUnavailableError(`${target} responded with HTTP ${status}`);
}

/** A transient fault of a service we call. Plain error, so Temporal retries the activity. */
export class DownstreamUnavailableError extends Error {
  override readonly name = 'DownstreamUnavailableError';
}

/** Describes an error in one line for a check result, without its stack or URL. */
export function describeHttpError(error: unknown): string {
  if (error instanceof AxiosError) {
    if (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT') return 'timed out';
    return error.code ?? error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
