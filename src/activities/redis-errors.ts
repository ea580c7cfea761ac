import { ApplicationFailure } from '@temporalio/common';

/**
 * A transient Redis fault (refused connection, timeout, closed socket). Plain
 * error, so Temporal retries the activity.
 */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

/**
 * The one place that turns ioredis errors into what Temporal should do with
 * them. `NOAUTH` and `WRONGPASS` replies are a configuration error and become
 * a non-retryable `RedisAuthFailed`, and any other error is retried. Messages name
 * Redis by its URL without the user name and password.
 */
export function translateRedisError(error: unknown, redisUrl: string): Error {
  const target = redactRedisUrl(redisUrl);
  const message = error instanceof Error ? error.message : String(error);

  if (isRedisAuthError(error)) {
    return ApplicationFailure.create({
      type: 'RedisAuthFailed',
      nonRetryable: true,
      message: `Redis at ${target} rejected the credentials (${message}); fix the user and password in redis.url or REDIS_URL`,
    });
  }

  const reason = errorCode(error) ?? message;
  return new RedisUnavailableError(`Redis at ${target} is unavailable: ${reason}`, { cause: error });
}

/** True for the replies Redis sends when a connection lacks or has wrong credentials. */
export function isRedisAuthError(error: unknown): boolean {
  return error instanceof Error && /^(NOAUTH|WRONGPASS)\b/.test(error.message);
}

/** Replaces the user name and password of a Redis URL with `***`, for messages and logs. */
export function redactRedisUrl(redisUrl: string): string {
  let url: URL;
  try {
    url = new URL(redisUrl);
  } catch {
    return '(invalid Redis URL)';
  }
  if (url.username !== '' || url.password !== '') {
    url.username = '***';
    url.password = '';
  }
  return url.toString();
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
