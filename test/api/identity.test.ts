import { createHash } from 'node:crypto';

import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildApp, type App } from '../../src/api/app.js';
import { acceptsNobody, identify, identitiesFrom, parseApiTokens } from '../../src/api/auth.js';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/load.js';
import { testConfig } from '../helpers/config.js';
import { startDevServer } from '../helpers/temporal.js';

const ALICE_TOKEN = 'alice-token-from-config-0123';
const BOB_TOKEN = 'bob-token-from-the-env-45678';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const config = testConfig((draft) => {
  draft.auth = {
    engineers: [
      { id: 'alice', name: 'Alice', tokenSha256: sha256(ALICE_TOKEN) },
      { id: 'carol', name: 'Carol' },
    ],
    trustedProxy: { identityHeader: 'x-auth-request-user', addresses: ['10.0.0.7', '::1'] },
  };
});
const identities = identitiesFrom(config, parseApiTokens(`bob=${BOB_TOKEN}`));

describe('identify', () => {
  const fromAddress = (remoteAddress: string, headers: Record<string, string>) => ({ headers, remoteAddress });

  it('knows an engineer by the token whose digest the configuration holds', () => {
    expect(identify(fromAddress('127.0.0.1', { authorization: `Bearer ${ALICE_TOKEN}` }), identities)).toBe('alice');
  });

  it('still accepts the tokens of BARQ_API_TOKEN', () => {
    expect(identify(fromAddress('127.0.0.1', { authorization: `Bearer ${BOB_TOKEN}` }), identities)).toBe('bob');
  });

  it('takes the identity header only from the trusted proxy', () => {
    expect(identify(fromAddress('10.0.0.7', { 'x-auth-request-user': 'carol' }), identities)).toBe('carol');
    expect(identify(fromAddress('::ffff:10.0.0.7', { 'x-auth-request-user': 'carol' }), identities)).toBe('carol');
    expect(() => identify(fromAddress('10.0.0.8', { 'x-auth-request-user': 'carol' }), identities)).toThrow(
      "header x-auth-request-user is accepted only from the SSO proxy's addresses",
    );
  });

  it('refuses a header identity that is not a configured engineer', () => {
    expect(() => identify(fromAddress('::1', { 'x-auth-request-user': 'mallory' }), identities)).toThrow(
      'mallory is not among the engineers in the configuration (auth.engineers)',
    );
  });

  it('refuses a token that a name in the header cannot replace', () => {
    expect(() => identify(fromAddress('127.0.0.1', { authorization: 'Bearer not-a-known-token-at-all' }), identities)).toThrow(
      "headers.authorization contains a bearer token that is not an engineer's or one from BARQ_API_TOKEN",
    );
  });

  it('reports a setup that would let nobody in', () => {
    expect(acceptsNobody(identitiesFrom(testConfig()))).toBe(true);
    expect(acceptsNobody(identities)).toBe(false);
  });
});

describe('engineer configuration', () => {
  it('rejects two engineers with one ID', () => {
    const raw = testConfig((draft) => {
      draft.auth = { engineers: [{ id: 'alice', name: 'A' }, { id: 'alice', name: 'B' }] };
    });
    expect(() => parseConfig(raw, 'test.yaml')).toThrow(ConfigError);
    expect(() => parseConfig(raw, 'test.yaml')).toThrow('auth.engineers.1.id');
  });

  it('rejects a digest that is not hex SHA-256', () => {
    const raw = testConfig((draft) => {
      draft.auth = { engineers: [{ id: 'alice', name: 'A', tokenSha256: ALICE_TOKEN }] };
    });
    expect(() => parseConfig(raw, 'test.yaml')).toThrow("the lower-case hex SHA-256 of the engineer's API token");
  });
});

describe('API identity', () => {
  let env: TestWorkflowEnvironment;
  let app: App;

  beforeAll(async () => {
    env = await startDevServer();
    app = await buildApp({ config, client: env.client, tokens: parseApiTokens(`bob=${BOB_TOKEN}`) });
  });

  afterAll(async () => {
    await app?.close();
    await env?.teardown();
  });

  const getIncident = (headers: Record<string, string>, remoteAddress = '127.0.0.1') =>
    app.inject({ method: 'GET', url: '/incidents/no-such-incident', headers, remoteAddress });

  it('lets a configured engineer through to the route', async () => {
    const response = await getIncident({ authorization: `Bearer ${ALICE_TOKEN}` });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'INCIDENT_NOT_FOUND' });
  });

  it('answers 401 to an identity header from an untrusted address', async () => {
    const response = await getIncident({ 'x-auth-request-user': 'alice' }, '192.0.2.10');
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'UNTRUSTED_IDENTITY' });
  });

  it('answers 403 to an SSO identity the configuration does not list', async () => {
    const response = await getIncident({ 'x-auth-request-user': 'mallory' }, '::1');
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'UNKNOWN_ENGINEER' });
  });
});
