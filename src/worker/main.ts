import { NativeConnection } from '@temporalio/worker';
import { pino } from 'pino';

import { closeSqlPools } from '../activities/sql-server.js';
import { loadConfig } from '../config/load.js';
import { createWorker } from './worker.js';

/** Runs the worker alone against `TEMPORAL_ADDRESS`, as production does. */
async function main(): Promise<void> {
  const logger = pino({ name: 'barq-incident-worker' });
  const config = loadConfig();
  const { address, namespace, taskQueue } = config.temporal;

  const connection = await NativeConnection.connect({ address });
  const worker = await createWorker({ config, connection });
  logger.info({ address, namespace, taskQueue }, 'worker started');

  await worker.run();
  await closeSqlPools();
  await connection.close();
  logger.info('worker stopped');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
