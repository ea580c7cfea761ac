import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';

import { loadConfig } from '../config/load.js';
import { ConfigError } from '../config/errors.js';
import { buildApp } from './app.js';
import { acceptsNobody, identitiesFrom, parseApiTokens } from './auth.js';
import { DevInbox } from './dev-inbox.js';

/** Runs the API alone against `TEMPORAL_ADDRESS`, as production does. */
async function main(): Promise<void> {
  const logger = pino({ name: 'barq-incident-api' });
  const config = loadConfig();
  const tokenText = process.env['BARQ_API_TOKEN'];
  const tokens = tokenText === undefined || tokenText === '' ? [] : parseApiTokens(tokenText);
  if (acceptsNobody(identitiesFrom(config, tokens))) {
    throw new ConfigError(
      'BARQ_API_TOKEN',
      undefined,
      'bearer tokens, comma-separated, since the configuration lists no engineer token (auth.engineers) and no SSO proxy',
      'the environment',
    );
  }

  const { address, namespace } = config.temporal;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const devInbox = config.devInbox.enabled && process.env['NODE_ENV'] !== 'production' ? new DevInbox() : undefined;
  const app = await buildApp({ config, client, tokens, devInbox, logger });

  await app.listen({ port: config.api.port, host: config.api.host });
  logger.info({ address, namespace }, 'API connected to Temporal');

  const stop = async (signal: string) => {
    logger.info({ signal }, 'API stopping');
    await app.close();
    await connection.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
