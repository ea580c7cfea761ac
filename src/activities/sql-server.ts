import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import sql from 'mssql';

import type { Config } from '../config/schema.js';
import { durationToMs } from '../shared/duration.js';
import { isLoginFailed, translateSqlError } from './sql-errors.js';
import {
  connectionsSummaryStatement,
  connectivityStatement,
  mapConnectionsSummary,
  mapConnectivity,
  resetSessionsStatements,
  restoreStatements,
  type ConnectionsSummary,
  type SqlStatement,
} from './sql-statements.js';

/** Environment variable with the SQL Server connection string. It is never logged or put in workflow input. */
export const DATABASE_URL_VARIABLE = 'BARQ_DB_URL';

/**
 * Request timeout of the restore and of `DBCC CHECKDB`, which run far longer
 * than a query.
 * NOTE: a guessed limit, not measured. A large backup may need longer.
 */
const LONG_REQUEST_TIMEOUT_MS = 60 * 60_000;

export interface SqlServerDeps {
  config: Config;
  /** Defaults to `process.env`, read at each call. */
  env?: NodeJS.ProcessEnv;
}

export interface DatabaseRequest {
  incidentId: string;
}

/** Outcome of `checkDatabase`, with `error` when the check failed. */
export interface DatabaseCheck {
  ok: boolean;
  database: string;
  /** Round trip of `SELECT 1`, or the time until the failure when `ok` is false. */
  latencyMs: number;
  checkedAt: string;
  error?: string;
}

export interface DatabaseSessionsReset {
  database: string;
  durationMs: number;
}

export interface DatabaseRestore {
  database: string;
  backupPath: string;
  /** Time of the restore alone, without `DBCC CHECKDB`. */
  restoreMs: number;
  checkDbMs: number;
  /** True because `DBCC CHECKDB` found no errors. A consistency error fails the activity instead. */
  consistent: true;
}

/** Pools by connection string and request timeout, each created at its first use. */
const pools = new Map<string, Promise<sql.ConnectionPool>>();

/**
 * Runs `SELECT 1` and measures its latency. A server that cannot be reached
 * is a failed result with the connection error, not a throw, so the workflow
 * records it. A rejected login throws a non-retryable `DatabaseAuthFailed`.
 */
export async function checkDatabase(deps: SqlServerDeps, request: DatabaseRequest): Promise<DatabaseCheck> {
  const database = deps.config.database.name;
  const checkedAt = new Date().toISOString();
  const started = performance.now();

  try {
    const pool = await getPool(deps, durationToMs(deps.config.database.timeout));
    const queryStarted = performance.now();
    const result = await execute(pool, connectivityStatement());
    const latencyMs = Math.round(performance.now() - queryStarted);
    const ok = mapConnectivity(result.recordset ?? []);

    log.info('database checked', { incidentId: request.incidentId, database, ok, latencyMs });
    return ok ? { ok, database, latencyMs, checkedAt } : { ok, database, latencyMs, checkedAt, error: 'SELECT 1 returned no row with ok = 1' };
  } catch (error) {
    if (!(error instanceof sql.MSSQLError)) throw error;
    if (isLoginFailed(error)) throw translateSqlError(error, 'check the database');

    const message = `${error.code}: ${error.message}`;
    log.warn('database check failed', { incidentId: request.incidentId, database, error: message });
    return { ok: false, database, latencyMs: Math.round(performance.now() - started), checkedAt, error: message };
  }
}

/** Counts the database's connections by host and program and lists the sessions with the most I/O and memory. */
export async function summarizeConnections(deps: SqlServerDeps, request: DatabaseRequest): Promise<ConnectionsSummary> {
  const database = deps.config.database.name;
  const statement = connectionsSummaryStatement(database);

  try {
    const pool = await getPool(deps, durationToMs(deps.config.database.timeout));
    const result = await execute(pool, statement);
    const summary = mapConnectionsSummary(database, result.recordsets);

    log.info('database connections summarized', { incidentId: request.incidentId, database, totalConnections: summary.totalConnections });
    return summary;
  } catch (error) {
    throw logAndTranslate(error, request, database, 'summarize the database connections');
  }
}

/**
 * Disconnects every session of the database, rolling back their open
 * transactions, then reopens it to all users. Destructive: run it only after
 * an engineer has approved the reset for this incident.
 *
 * Both statements run as one batch on one connection, so that another
 * client has less time to take the single-user slot between them.
 */
export async function resetDatabaseSessions(deps: SqlServerDeps, request: DatabaseRequest): Promise<DatabaseSessionsReset> {
  const database = deps.config.database.name;
  const [singleUser, multiUser] = resetSessionsStatements(database) as [SqlStatement, SqlStatement];
  const batch: SqlStatement = { text: `${singleUser.text};\n${multiUser.text};`, parameters: [] };
  const started = performance.now();

  try {
    const pool = await getPool(deps, durationToMs(deps.config.database.timeout));
    log.info('database sessions reset starting', { incidentId: request.incidentId, database });
    await execute(pool, batch);

    const durationMs = Math.round(performance.now() - started);
    log.info('database sessions reset', { incidentId: request.incidentId, database, durationMs });
    return { database, durationMs };
  } catch (error) {
    throw logAndTranslate(error, request, database, 'reset the database sessions');
  }
}

/**
 * Restores the database over itself from `database.backupPath`, then runs
 * `DBCC CHECKDB`. Destructive: run it only after an engineer has approved the
 * restore for this incident. SQL Server rejects the restore with error 3101
 * while other sessions use the database. A consistency error from
 * `DBCC CHECKDB` is a non-retryable `DatabaseRequestFailed`.
 */
export async function restoreDatabase(deps: SqlServerDeps, request: DatabaseRequest): Promise<DatabaseRestore> {
  const { name: database, backupPath } = deps.config.database;
  const statements = restoreStatements(database, backupPath);
  const logFields = { incidentId: request.incidentId, database, backupPath };

  try {
    const pool = await getPool(deps, LONG_REQUEST_TIMEOUT_MS);
    log.info('database restore starting', logFields);
    const restoreStarted = performance.now();
    await execute(pool, statements.singleUser);
    try {
      await execute(pool, statements.restore);
    } finally {
      // A failed restore must not leave the database locked to one session.
      await execute(pool, statements.multiUser);
    }
    const restoreMs = Math.round(performance.now() - restoreStarted);
    log.info('database restored', { ...logFields, restoreMs });

    const checkDbStarted = performance.now();
    await execute(pool, statements.checkDb);
    const checkDbMs = Math.round(performance.now() - checkDbStarted);
    log.info('database consistency checked', { ...logFields, checkDbMs });

    return { database, backupPath, restoreMs, checkDbMs, consistent: true };
  } catch (error) {
    throw logAndTranslate(error, request, database, 'restore the database');
  }
}

/** Closes every pool. The worker calls it at shutdown. */
export async function closeSqlPools(): Promise<void> {
  const open = [...pools.values()];
  pools.clear();
  // A pool that never connected has nothing to close, so its rejection is ignored here.
  await Promise.allSettled(open.map(async (pending) => (await pending).close()));
}

function logAndTranslate(error: unknown, request: DatabaseRequest, database: string, action: string): Error {
  const translated = translateSqlError(error, action);
  log.warn('database request failed', { incidentId: request.incidentId, database, action, error: translated.message });
  return translated;
}

async function execute(pool: sql.ConnectionPool, statement: SqlStatement): Promise<sql.IResult<Record<string, unknown>>> {
  const request = pool.request();
  for (const parameter of statement.parameters) {
    request.input(parameter.name, parameter.type === 'int' ? sql.Int : sql.NVarChar(4000), parameter.value);
  }
  return request.query<Record<string, unknown>>(statement.text);
}

/** Returns the pool for `BARQ_DB_URL` and this request timeout, connecting it at its first use. */
async function getPool(deps: SqlServerDeps, requestTimeoutMs: number): Promise<sql.ConnectionPool> {
  const connectionString = (deps.env ?? process.env)[DATABASE_URL_VARIABLE];
  if (connectionString === undefined || connectionString === '') {
    throw ApplicationFailure.create({
      type: 'DatabaseNotConfigured',
      nonRetryable: true,
      message: `${DATABASE_URL_VARIABLE} is not set. Set it to a SQL Server connection string such as mssql://user:password@host:1433/master`,
    });
  }

  const key = `${requestTimeoutMs}\n${connectionString}`;
  let pending = pools.get(key);
  if (pending === undefined) {
    const config = parseConnectionString(connectionString);
    const pool = new sql.ConnectionPool({
      ...config,
      connectionTimeout: durationToMs(deps.config.database.timeout),
      requestTimeout: requestTimeoutMs,
    });
    // Without a listener, an 'error' event would throw and stop the worker.
    // NOTE: errors of idle connections end here unlogged, because activity
    // logging needs an activity context. A request that fails is logged by its activity.
    pool.on('error', () => undefined);
    pending = pool.connect();
    pools.set(key, pending);
    pending.catch(() => {
      if (pools.get(key) === pending) pools.delete(key);
    });
  }
  return pending;
}

/**
 * Reads an `mssql://user:password@host:port/database?encrypt=true&trustServerCertificate=false`
 * URL, or an ADO.NET string such as `Server=host,1433;Database=master;User Id=...;Password=...`.
 */
export function parseConnectionString(connectionString: string): sql.config {
  if (!/^(mssql|sqlserver):\/\//i.test(connectionString)) {
    const config = sql.ConnectionPool.parseConnectionString(connectionString);
    if (config.server === undefined || config.server === '') {
      throw invalidConnectionString('it names no server (Server=host,port)');
    }
    return config;
  }

  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    throw invalidConnectionString('it is not a valid URL');
  }
  if (url.hostname === '') throw invalidConnectionString('it names no host');

  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const config: sql.config = {
    server: url.hostname,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    options: {
      encrypt: url.searchParams.get('encrypt') !== 'false',
      trustServerCertificate: url.searchParams.get('trustServerCertificate') === 'true',
    },
  };
  if (url.port !== '') config.port = Number(url.port);
  if (database !== '') config.database = database;
  return config;
}

function invalidConnectionString(reason: string): ApplicationFailure {
  // The value is left out because it contains the password.
  return ApplicationFailure.create({
    type: 'DatabaseNotConfigured',
    nonRetryable: true,
    message: `${DATABASE_URL_VARIABLE} is invalid because ${reason}. Expected mssql://user:password@host:1433/master or Server=host,1433;Database=master;User Id=...;Password=...`,
  });
}
