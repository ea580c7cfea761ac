/**
 * The runbook's SQL Server statements. Database names come from the
 * configuration, are checked against `DATABASE_NAME_PATTERN` and are
 * bracket-quoted. Every other value travels as a parameter and never as part
 * of the statement text.
 */

/** A regular identifier of SQL Server: a letter or `_`, then up to 127 letters, digits or `_`. */
export const DATABASE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

const POSIX_ABSOLUTE_PATH = /^\/[^\0]*$/;
/** A drive path such as `D:\backup\BARQ_DB.bak` or a UNC path such as `\\server\share\BARQ_DB.bak`. */
const WINDOWS_ABSOLUTE_PATH = /^([A-Za-z]:\\|\\\\[^\\]+\\[^\\]+)/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** Default number of sessions in the top consumers list of the connections summary. */
export const DEFAULT_TOP_SESSIONS = 10;

/** A statement parameter. Both types map to `mssql` types in `sql-server.ts`. */
export interface SqlParameter {
  name: string;
  type: 'nvarchar' | 'int';
  value: string | number;
}

export interface SqlStatement {
  text: string;
  parameters: SqlParameter[];
}

/** Thrown for a database name or backup path that the statements cannot safely use. */
export class InvalidSqlArgumentError extends Error {
  override readonly name = 'InvalidSqlArgumentError';
}

/** Returns the bracket-quoted name, or throws `InvalidSqlArgumentError` when it is not a regular identifier. */
export function quoteDatabaseName(name: string): string {
  if (!DATABASE_NAME_PATTERN.test(name)) {
    throw new InvalidSqlArgumentError(
      `invalid database name ${JSON.stringify(name)}: expected a letter or _ followed by up to 127 letters, digits or _ (set database.name in config/barq.yaml)`,
    );
  }
  return `[${name}]`;
}

/** Throws `InvalidSqlArgumentError` unless `path` is an absolute POSIX or Windows path without control characters. */
export function validateBackupPath(path: string): string {
  const absolute = POSIX_ABSOLUTE_PATH.test(path) || WINDOWS_ABSOLUTE_PATH.test(path);
  if (!absolute || CONTROL_CHARACTER.test(path)) {
    throw new InvalidSqlArgumentError(
      `invalid backup path ${JSON.stringify(path)}: expected an absolute path such as /var/opt/mssql/backup/BARQ_DB.bak or D:\\backup\\BARQ_DB.bak (set database.backupPath in config/barq.yaml)`,
    );
  }
  return path;
}

/** Builds the connectivity check. */
export function connectivityStatement(): SqlStatement {
  return { text: 'SELECT 1 AS ok', parameters: [] };
}

/**
 * Builds a batch with two result sets for the sessions of one database: connection counts by
 * host and program, then the `top` sessions ordered by reads plus writes and
 * then by memory. `memory_usage` counts 8 KB pages.
 */
export function connectionsSummaryStatement(database: string, top = DEFAULT_TOP_SESSIONS): SqlStatement {
  quoteDatabaseName(database);
  if (!Number.isInteger(top) || top < 1 || top > 1000) {
    throw new InvalidSqlArgumentError(`invalid top session count ${top}: expected a whole number from 1 to 1000`);
  }

  const text = [
    'SELECT s.host_name, s.program_name, COUNT(*) AS connections',
    'FROM sys.dm_exec_connections AS c',
    'JOIN sys.dm_exec_sessions AS s ON s.session_id = c.session_id',
    'WHERE s.database_id = DB_ID(@database)',
    'GROUP BY s.host_name, s.program_name',
    'ORDER BY connections DESC;',
    'SELECT TOP (@top) s.session_id, s.login_name, s.host_name, s.program_name, s.status,',
    '  s.reads, s.writes, s.memory_usage',
    'FROM sys.dm_exec_connections AS c',
    'JOIN sys.dm_exec_sessions AS s ON s.session_id = c.session_id',
    'WHERE s.database_id = DB_ID(@database)',
    'ORDER BY s.reads + s.writes DESC, s.memory_usage DESC;',
  ].join('\n');

  return {
    text,
    parameters: [
      { name: 'database', type: 'nvarchar', value: database },
      { name: 'top', type: 'int', value: top },
    ],
  };
}

/**
 * Builds the statements that disconnect every other session of the
 * database, rolling back their open transactions, then reopen it to all
 * users. The connection running them must not use the database itself, so
 * `BARQ_DB_URL` should name `master`.
 */
export function resetSessionsStatements(database: string): SqlStatement[] {
  const quoted = quoteDatabaseName(database);
  return [
    { text: `ALTER DATABASE ${quoted} SET SINGLE_USER WITH ROLLBACK IMMEDIATE`, parameters: [] },
    { text: `ALTER DATABASE ${quoted} SET MULTI_USER`, parameters: [] },
  ];
}

/** The statements of a restore, in the order `restoreDatabase` runs them. */
export interface RestoreStatements {
  /** Disconnects every other session; SQL Server refuses RESTORE (error 3101) while the database is in use. */
  singleUser: SqlStatement;
  restore: SqlStatement;
  /** Reopens the database to all users; also run when the restore fails, so it is never left single-user. */
  multiUser: SqlStatement;
  checkDb: SqlStatement;
}

/** Builds the statements that restore the database over itself from a backup file, then check its consistency. */
export function restoreStatements(database: string, backupPath: string): RestoreStatements {
  const quoted = quoteDatabaseName(database);
  const path = validateBackupPath(backupPath);
  const [singleUser, multiUser] = resetSessionsStatements(database) as [SqlStatement, SqlStatement];
  return {
    singleUser,
    restore: {
      text: `RESTORE DATABASE ${quoted} FROM DISK = @path WITH REPLACE`,
      parameters: [{ name: 'path', type: 'nvarchar', value: path }],
    },
    multiUser,
    checkDb: { text: `DBCC CHECKDB (${quoted}) WITH NO_INFOMSGS, ALL_ERRORMSGS`, parameters: [] },
  };
}

/** Connection count of one host and program. */
export interface ConnectionGroup {
  hostName: string | null;
  programName: string | null;
  connections: number;
}

/** One session among the top consumers. */
export interface SessionUsage {
  sessionId: number;
  loginName: string;
  hostName: string | null;
  programName: string | null;
  status: string;
  reads: number;
  writes: number;
  memoryKb: number;
}

export interface ConnectionsSummary {
  database: string;
  totalConnections: number;
  byClient: ConnectionGroup[];
  topSessions: SessionUsage[];
}

type Row = Record<string, unknown>;

/** Returns true when the connectivity recordset contains only the row `{ ok: 1 }`. */
export function mapConnectivity(recordset: readonly Row[]): boolean {
  return recordset.length === 1 && recordset[0]?.['ok'] === 1;
}

/**
 * Maps the two recordsets of `connectionsSummaryStatement`. `bigint` columns
 * arrive from `mssql` as strings, so numbers are read from either type.
 */
export function mapConnectionsSummary(database: string, recordsets: readonly (readonly Row[])[]): ConnectionsSummary {
  const [groups = [], sessions = []] = recordsets;

  const byClient = groups.map((row) => ({
    hostName: nullableText(row, 'host_name'),
    programName: nullableText(row, 'program_name'),
    connections: integer(row, 'connections'),
  }));

  const topSessions = sessions.map((row) => ({
    sessionId: integer(row, 'session_id'),
    loginName: text(row, 'login_name'),
    hostName: nullableText(row, 'host_name'),
    programName: nullableText(row, 'program_name'),
    status: text(row, 'status'),
    reads: integer(row, 'reads'),
    writes: integer(row, 'writes'),
    memoryKb: integer(row, 'memory_usage') * 8,
  }));

  const totalConnections = byClient.reduce((sum, group) => sum + group.connections, 0);
  return { database, totalConnections, byClient, topSessions };
}

function integer(row: Row, column: string): number {
  const value = row[column];
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number)) {
    throw new Error(`SQL Server column ${column} is ${JSON.stringify(value)}, expected an integer`);
  }
  return number;
}

function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw new Error(`SQL Server column ${column} is ${JSON.stringify(value)}, expected text`);
  return value;
}

function nullableText(row: Row, column: string): string | null {
  return row[column] === null ? null : text(row, column);
}
