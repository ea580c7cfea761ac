import { ApplicationFailure } from '@temporalio/common';
import sql from 'mssql';
import { describe, expect, it } from 'vitest';

import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/errors.js';
import { DatabaseUnavailableError, translateSqlError } from '../../src/activities/sql-errors.js';
import { parseConnectionString } from '../../src/activities/sql-server.js';
import {
  connectionsSummaryStatement,
  connectivityStatement,
  InvalidSqlArgumentError,
  mapConnectionsSummary,
  mapConnectivity,
  quoteDatabaseName,
  resetSessionsStatements,
  restoreStatements,
  validateBackupPath,
} from '../../src/activities/sql-statements.js';
import { testConfig } from '../helpers/config.js';

const INVALID_NAMES = ['BARQ_DB; DROP TABLE x', ']', '', 'BARQ]DB', '1BARQ', 'BARQ-DB', 'BARQ DB', `B${'A'.repeat(128)}`];

describe('sql statements', () => {
  it('builds the connectivity check', () => {
    expect(connectivityStatement()).toEqual({ text: 'SELECT 1 AS ok', parameters: [] });
  });

  it('builds the session reset', () => {
    expect(resetSessionsStatements('BARQ_DB')).toEqual([
      { text: 'ALTER DATABASE [BARQ_DB] SET SINGLE_USER WITH ROLLBACK IMMEDIATE', parameters: [] },
      { text: 'ALTER DATABASE [BARQ_DB] SET MULTI_USER', parameters: [] },
    ]);
  });

  it('builds the restore between single-user and multi-user, then the consistency check', () => {
    expect(restoreStatements('BARQ_DB', '/var/opt/mssql/backup/BARQ_DB.bak')).toEqual({
      singleUser: { text: 'ALTER DATABASE [BARQ_DB] SET SINGLE_USER WITH ROLLBACK IMMEDIATE', parameters: [] },
      restore: {
        text: 'RESTORE DATABASE [BARQ_DB] FROM DISK = @path WITH REPLACE',
        parameters: [{ name: 'path', type: 'nvarchar', value: '/var/opt/mssql/backup/BARQ_DB.bak' }],
      },
      multiUser: { text: 'ALTER DATABASE [BARQ_DB] SET MULTI_USER', parameters: [] },
      checkDb: { text: 'DBCC CHECKDB ([BARQ_DB]) WITH NO_INFOMSGS, ALL_ERRORMSGS', parameters: [] },
    });
  });

  it('passes the backup path only as a parameter', () => {
    const path = "D:\\backup\\it's BARQ_DB.bak";

    const { restore } = restoreStatements('BARQ_DB', path);

    expect(restore?.text).not.toContain('backup');
    expect(restore?.parameters).toEqual([{ name: 'path', type: 'nvarchar', value: path }]);
  });

  it('builds the connections summary with parameters', () => {
    const statement = connectionsSummaryStatement('BARQ_DB', 5);

    expect(statement.text).toContain('FROM sys.dm_exec_connections AS c');
    expect(statement.text).toContain('JOIN sys.dm_exec_sessions AS s ON s.session_id = c.session_id');
    expect(statement.text).toContain('GROUP BY s.host_name, s.program_name');
    expect(statement.text).toContain('SELECT TOP (@top)');
    expect(statement.text).toContain('ORDER BY s.reads + s.writes DESC, s.memory_usage DESC;');
    expect(statement.text.match(/WHERE s\.database_id = DB_ID\(@database\)/g)).toHaveLength(2);
    expect(statement.text).not.toContain('BARQ_DB');
    expect(statement.parameters).toEqual([
      { name: 'database', type: 'nvarchar', value: 'BARQ_DB' },
      { name: 'top', type: 'int', value: 5 },
    ]);
  });

  it('rejects a top count out of range', () => {
    for (const top of [0, 1001, 2.5]) {
      expect(() => connectionsSummaryStatement('BARQ_DB', top), String(top)).toThrow(InvalidSqlArgumentError);
    }
  });

  it('quotes a valid database name', () => {
    expect(quoteDatabaseName('BARQ_DB')).toBe('[BARQ_DB]');
    expect(quoteDatabaseName('_x1')).toBe('[_x1]');
    expect(quoteDatabaseName(`B${'A'.repeat(127)}`)).toBe(`[B${'A'.repeat(127)}]`);
  });

  it.each(INVALID_NAMES)('rejects database name %j', (name) => {
    expect(() => quoteDatabaseName(name)).toThrow(InvalidSqlArgumentError);
    expect(() => resetSessionsStatements(name)).toThrow(InvalidSqlArgumentError);
    expect(() => restoreStatements(name, '/var/opt/mssql/backup/BARQ_DB.bak')).toThrow(InvalidSqlArgumentError);
    expect(() => connectionsSummaryStatement(name)).toThrow(InvalidSqlArgumentError);
  });

  it('names the invalid database name in the error', () => {
    expect(() => quoteDatabaseName('BARQ_DB; DROP TABLE x')).toThrow('invalid database name "BARQ_DB; DROP TABLE x"');
  });

  it('accepts absolute backup paths', () => {
    for (const path of ['/var/opt/mssql/backup/BARQ_DB.bak', 'D:\\backup\\BARQ_DB.bak', '\\\\backup-host\\sql\\BARQ_DB.bak']) {
      expect(validateBackupPath(path)).toBe(path);
    }
  });

  it('rejects relative or control-character paths', () => {
    for (const path of ['', 'BARQ_DB.bak', 'backup/BARQ_DB.bak', 'D:BARQ_DB.bak', '\\\\host', '/tmp/a\nb.bak', '/tmp/a\0b.bak']) {
      expect(() => validateBackupPath(path), JSON.stringify(path)).toThrow(InvalidSqlArgumentError);
      expect(() => restoreStatements('BARQ_DB', path), JSON.stringify(path)).toThrow(InvalidSqlArgumentError);
    }
  });
});

describe('sql recordset mapping', () => {
  it('maps the connectivity row', () => {
    expect(mapConnectivity([{ ok: 1 }])).toBe(true);
    expect(mapConnectivity([])).toBe(false);
    expect(mapConnectivity([{ ok: 0 }])).toBe(false);
  });

  it('maps a connections summary', () => {
    const groups = [
      { host_name: 'web-1', program_name: 'BARQ.Api', connections: 12 },
      { host_name: null, program_name: null, connections: 3 },
    ];
    // mssql returns bigint columns such as reads and writes as strings.
    const sessions = [
      {
        session_id: 57,
        login_name: 'barq_app',
        host_name: 'web-1',
        program_name: 'BARQ.Api',
        status: 'running',
        reads: '9000000000',
        writes: '120',
        memory_usage: 4,
      },
    ];

    const summary = mapConnectionsSummary('BARQ_DB', [groups, sessions]);

    expect(summary).toEqual({
      database: 'BARQ_DB',
      totalConnections: 15,
      byClient: [
        { hostName: 'web-1', programName: 'BARQ.Api', connections: 12 },
        { hostName: null, programName: null, connections: 3 },
      ],
      topSessions: [
        {
          sessionId: 57,
          loginName: 'barq_app',
          hostName: 'web-1',
          programName: 'BARQ.Api',
          status: 'running',
          reads: 9_000_000_000,
          writes: 120,
          memoryKb: 32,
        },
      ],
    });
  });

  it('maps empty recordsets', () => {
    expect(mapConnectionsSummary('BARQ_DB', [])).toEqual({ database: 'BARQ_DB', totalConnections: 0, byClient: [], topSessions: [] });
  });

  it('rejects a non-numeric count', () => {
    const groups = [{ host_name: 'web-1', program_name: 'BARQ.Api', connections: 'many' }];

    expect(() => mapConnectionsSummary('BARQ_DB', [groups])).toThrow('SQL Server column connections is "many", expected an integer');
  });
});

describe('sql error translation', () => {
  it('makes a rejected login non-retryable', () => {
    const error = new sql.ConnectionError("Login failed for user 'sa'.", 'ELOGIN');

    const translated = translateSqlError(error, 'check the database');

    expect(translated).toBeInstanceOf(ApplicationFailure);
    expect((translated as ApplicationFailure).type).toBe('DatabaseAuthFailed');
    expect((translated as ApplicationFailure).nonRetryable).toBe(true);
    expect(translated.message).toContain('BARQ_DB_URL');
  });

  it.each(['ELOGIN', 'ESOCKET', 'ETIMEOUT'] as const)('retries %s', (code) => {
    const error = new sql.ConnectionError('Failed to connect to 127.0.0.1:1433', code);

    const translated = translateSqlError(error, 'check the database');

    expect(translated).toBeInstanceOf(DatabaseUnavailableError);
    expect(translated.message).toContain(code);
    expect(translated.cause).toBe(error);
  });

  it('fails a request error with its number', () => {
    const error = new sql.RequestError('Exclusive access could not be obtained because the database is in use.', 'EREQUEST');
    error.number = 3101;

    const translated = translateSqlError(error, 'restore the database');

    expect(translated).toBeInstanceOf(ApplicationFailure);
    expect((translated as ApplicationFailure).type).toBe('DatabaseRequestFailed');
    expect((translated as ApplicationFailure).nonRetryable).toBe(true);
    expect((translated as ApplicationFailure).details).toEqual([{ number: 3101 }]);
    expect(translated.message).toContain('error 3101');
  });
});

describe('sql connection string', () => {
  it('parses an mssql URL', () => {
    const config = parseConnectionString('mssql://barq%40ops:p%3Ass@db.local:14330/master?encrypt=false&trustServerCertificate=true');

    expect(config).toEqual({
      server: 'db.local',
      port: 14330,
      user: 'barq@ops',
      password: 'p:ss',
      database: 'master',
      options: { encrypt: false, trustServerCertificate: true },
    });
  });

  it('parses an ADO.NET string', () => {
    const config = parseConnectionString('Server=db.local,1433;Database=master;User Id=sa;Password=secret;Encrypt=true');

    expect(config.server).toBe('db.local');
    expect(config.port).toBe(1433);
    expect(config.database).toBe('master');
  });

  it('rejects a string without server', () => {
    expect(() => parseConnectionString('Database=master;User Id=sa;Password=secret')).toThrow('names no server');
  });

  it('keeps the password out of the error', () => {
    expect(() => parseConnectionString('mssql://sa:secret@[bad/master')).toThrow(/^(?!.*secret)/s);
  });
});

describe('database configuration', () => {
  it('ships BARQ_DB', () => {
    expect(testConfig().database).toEqual({ name: 'BARQ_DB', backupPath: '/var/opt/mssql/backup/BARQ_DB.bak', timeout: '30s' });
  });

  it('rejects an invalid database name', () => {
    const config = testConfig((draft) => {
      draft.database.name = 'BARQ_DB; DROP TABLE x';
    });

    expect(() => parseConfig(config, 'test')).toThrow(ConfigError);
    expect(() => parseConfig(config, 'test')).toThrow('database.name');
  });

  it.each(['backup/BARQ_DB.bak', 'D:BARQ_DB.bak', '/tmp/a\nb.bak'])('rejects backup path %j', (path) => {
    const config = testConfig((draft) => {
      draft.database.backupPath = path;
    });

    expect(() => parseConfig(config, 'test')).toThrow('database.backupPath');
  });

  it('accepts a Windows backup path', () => {
    const config = testConfig((draft) => {
      draft.database.backupPath = 'D:\\backup\\BARQ_DB.bak';
    });

    expect(parseConfig(config, 'test').database.backupPath).toBe('D:\\backup\\BARQ_DB.bak');
  });
});
