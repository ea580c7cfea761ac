import axios from 'axios';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { createActivities } from '../../src/activities/index.js';
import { closeSqlPools, DATABASE_URL_VARIABLE } from '../../src/activities/sql-server.js';
import type { Config } from '../../src/config/schema.js';
import { runActivity } from '../helpers/activity.js';
import { testConfig } from '../helpers/config.js';
import { freePort } from '../setup/global-setup.js';

const SKIP_MESSAGE = 'SKIPPED: SQL Server integration tests need MSSQL_URL (no SQL Server on this machine)';
const mssqlUrl = process.env['MSSQL_URL'];
const previousDatabaseUrl = process.env[DATABASE_URL_VARIABLE];

beforeAll(() => {
  if (mssqlUrl === undefined || mssqlUrl === '') console.warn(SKIP_MESSAGE);
});

afterEach(async () => {
  await closeSqlPools();
  if (previousDatabaseUrl === undefined) delete process.env[DATABASE_URL_VARIABLE];
  else process.env[DATABASE_URL_VARIABLE] = previousDatabaseUrl;
});

afterAll(async () => {
  await closeSqlPools();
});

function activitiesFor(patch: (config: Config) => void = () => undefined) {
  return createActivities({ config: testConfig(patch), http: axios.create(), devInboxUrl: 'http://127.0.0.1:1' });
}

it('skip message names MSSQL_URL', () => {
  expect(SKIP_MESSAGE).toContain('MSSQL_URL');
});

describe('checkDatabase without a server', () => {
  it('returns the connection error for a closed port', async () => {
    const port = await freePort();
    process.env[DATABASE_URL_VARIABLE] = `mssql://sa:not-a-password@127.0.0.1:${port}/master?encrypt=false`;
    const activities = activitiesFor((config) => {
      config.database.timeout = '5s';
    });

    const result = await runActivity(activities.checkDatabase, { incidentId: 'inc-sql-unreachable' });

    expect(result.ok).toBe(false);
    expect(result.database).toBe('BARQ_DB');
    expect(result.error).toContain('ESOCKET');
    expect(result.error).toContain(`127.0.0.1:${port}`);
    expect(result.error).not.toContain('not-a-password');
  });
});

describe.skipIf(mssqlUrl === undefined || mssqlUrl === '')('sql server activities', () => {
  // The `master` database always exists, so these tests need no set-up on the server.
  const useMaster = (config: Config) => {
    config.database.name = 'master';
  };

  it('checkDatabase runs SELECT 1', async () => {
    process.env[DATABASE_URL_VARIABLE] = mssqlUrl;

    const result = await runActivity(activitiesFor(useMaster).checkDatabase, { incidentId: 'inc-sql-check' });

    expect(result.ok).toBe(true);
    expect(result.error).toBeUndefined();
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('summarizeConnections counts own session', async () => {
    process.env[DATABASE_URL_VARIABLE] = mssqlUrl;

    const summary = await runActivity(activitiesFor(useMaster).summarizeConnections, { incidentId: 'inc-sql-summary' });

    expect(summary.database).toBe('master');
    expect(summary.totalConnections).toBeGreaterThanOrEqual(1);
    expect(summary.topSessions.length).toBeGreaterThanOrEqual(1);
  });
});
