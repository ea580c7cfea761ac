import { ApplicationFailure } from '@temporalio/common';
import sql from 'mssql';

/** SQL Server error 18456, "Login failed for user". */
const LOGIN_FAILED_NUMBER = 18456;
const TRANSIENT_CODES = new Set(['ELOGIN', 'ESOCKET', 'ETIMEOUT']);

/**
 * A transient SQL Server fault (refused or dropped connection, timeout). Plain
 * error, so Temporal retries the activity.
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

/**
 * The one place that turns `mssql` errors into what Temporal should do with
 * them.
 * - A rejected login is a non-retryable `DatabaseAuthFailed`, because only a
 *   change to `BARQ_DB_URL` fixes it.
 * - Other `ELOGIN`, `ESOCKET` and `ETIMEOUT` errors are a retryable `DatabaseUnavailableError`.
 * - Any other request error is a non-retryable `DatabaseRequestFailed`
 *   whose details contain the SQL Server error number.
 *
 * Other errors are returned unchanged. Messages never contain the connection string.
 */
export function translateSqlError(error: unknown, action: string): Error {
  if (!(error instanceof sql.MSSQLError)) return error instanceof Error ? error : new Error(String(error));

  if (isLoginFailed(error)) {
    return ApplicationFailure.create({
      type: 'DatabaseAuthFailed',
      nonRetryable: true,
      message: `SQL Server rejected the login while trying to ${action} (${error.message}). Fix the user and password in BARQ_DB_URL`,
      cause: error,
    });
  }

  if (TRANSIENT_CODES.has(error.code)) {
    return new DatabaseUnavailableError(`SQL Server is unavailable while trying to ${action}: ${error.code} ${error.message}`, {
      cause: error,
    });
  }

  if (error instanceof sql.RequestError) {
    const number = error.number ?? sqlErrorNumber(error.originalError);
    return ApplicationFailure.create({
      type: 'DatabaseRequestFailed',
      nonRetryable: true,
      message: `SQL Server failed to ${action}: error ${number ?? 'without a number'}: ${error.message}`,
      details: [{ number: number ?? null }],
      cause: error,
    });
  }

  return error;
}

/** True for a login that SQL Server rejected, as opposed to a login that did not reach it. */
export function isLoginFailed(error: unknown): boolean {
  if (!(error instanceof sql.MSSQLError)) return false;
  if (error.code !== 'ELOGIN') return false;
  return sqlErrorNumber(error.originalError) === LOGIN_FAILED_NUMBER || /^Login failed\b/i.test(error.message);
}

function sqlErrorNumber(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const number = (error as { number?: unknown }).number;
  return typeof number === 'number' ? number : undefined;
}
