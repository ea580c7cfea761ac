import { createHmac } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { ConfigError } from '../../src/config/errors.js';
import {
  RateLimiter,
  checkAuthorizationHeader,
  checkRoutingKey,
  checkSignature,
  integrationsFrom,
  type IntegrationCredentials,
} from '../../src/api/integrations.js';
import { testConfig } from '../helpers/config.js';

const SECRET = 'grafana-signing-secret';
const BODY = Buffer.from('{"version":"1","status":"firing"}\n');
const NOW = Date.parse('2026-12-05T10:00:00Z');

function hmac(text: Buffer | string, secret = SECRET): string {
  return createHmac('sha256', secret).update(text).digest('hex');
}

function credentialsFor(auth: NonNullable<ReturnType<typeof testConfig>['alerts']['integrations']['grafana']>['auth'], env: NodeJS.ProcessEnv) {
  const config = testConfig((draft) => {
    if (auth !== undefined) draft.alerts.integrations.grafana!.auth = auth;
  });
  return integrationsFrom(config, env).get('grafana')!.credentials!;
}

const signed: Extract<IntegrationCredentials, { kind: 'hmac' }> = {
  kind: 'hmac',
  secret: Buffer.from(SECRET),
  signatureHeader: 'x-grafana-alerting-signature',
  timestampHeader: 'x-grafana-alerting-timestamp',
  maxAgeMs: 300_000,
};

describe('integration signatures', () => {
  it('accepts the HMAC of timestamp:body', () => {
    const timestamp = String(NOW / 1000);
    const headers = { 'x-grafana-alerting-timestamp': timestamp, 'x-grafana-alerting-signature': hmac(`${timestamp}:${BODY.toString()}`) };

    const attempt = () => checkSignature('grafana', signed, headers, BODY, NOW);

    expect(attempt).not.toThrow();
  });

  it('refuses a signature made with another secret, naming the header', () => {
    const timestamp = String(NOW / 1000);
    const headers = { 'x-grafana-alerting-timestamp': timestamp, 'x-grafana-alerting-signature': hmac(`${timestamp}:${BODY.toString()}`, 'other') };

    const attempt = () => checkSignature('grafana', signed, headers, BODY, NOW);

    expect(attempt).toThrow(/headers\.x-grafana-alerting-signature does not match/);
  });

  it('refuses a timestamp older than maxAge, saying by how much', () => {
    const timestamp = String(NOW / 1000 - 600);
    const headers = { 'x-grafana-alerting-timestamp': timestamp, 'x-grafana-alerting-signature': hmac(`${timestamp}:${BODY.toString()}`) };

    const attempt = () => checkSignature('grafana', signed, headers, BODY, NOW);

    expect(attempt).toThrow("headers.x-grafana-alerting-timestamp is 600 s away from the API's clock; expected within 300 s");
  });

  it('signs the body alone when no timestamp header is configured', () => {
    const { timestampHeader: _timestamp, ...bodyOnly } = signed;

    const attempt = () => checkSignature('grafana', bodyOnly, { 'x-grafana-alerting-signature': hmac(BODY) }, BODY, NOW);

    expect(attempt).not.toThrow();
  });

  it('refuses a request without the signature header', () => {
    const attempt = () => checkSignature('grafana', signed, {}, BODY, NOW);

    expect(attempt).toThrow('headers.x-grafana-alerting-signature is missing; the grafana integration signs every request');
  });
});

describe('integration credentials', () => {
  it('reads a bearer token from the environment and checks it', () => {
    const credentials = credentialsFor({ kind: 'bearer', tokenEnv: 'GRAFANA_TOKEN' }, { GRAFANA_TOKEN: 'grafana-token-123' });

    expect(() => checkAuthorizationHeader('grafana', credentials, 'Bearer grafana-token-123')).not.toThrow();
    expect(() => checkAuthorizationHeader('grafana', credentials, 'Bearer grafana-token-124')).toThrow(/headers\.authorization does not contain/);
    expect(() => checkAuthorizationHeader('grafana', credentials, undefined)).toThrow(/headers\.authorization is missing/);
  });

  it('checks basic credentials', () => {
    const credentials = credentialsFor(
      { kind: 'basic', usernameEnv: 'AZ_USER', passwordEnv: 'AZ_PASSWORD' },
      { AZ_USER: 'azure', AZ_PASSWORD: 'pa:ss-0123456789abcdef' },
    );
    const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;

    expect(() => checkAuthorizationHeader('grafana', credentials, basic('azure:pa:ss-0123456789abcdef'))).not.toThrow();
    expect(() => checkAuthorizationHeader('grafana', credentials, basic('azure:pass'))).toThrow(/basic credentials/);
    expect(() => checkAuthorizationHeader('grafana', credentials, 'Basic !!!')).toThrow(/basic credentials/);
  });

  it('stops start-up when the named variable is unset', () => {
    const attempt = () => credentialsFor({ kind: 'bearer', tokenEnv: 'GRAFANA_TOKEN' }, {});

    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/GRAFANA_TOKEN \(unset, for grafana\)/);
  });

  it('names every short or unset secret at once', () => {
    const config = testConfig((draft) => {
      draft.alerts.integrations.grafana!.auth = { kind: 'bearer', tokenEnv: 'GRAFANA_TOKEN' };
      draft.alerts.integrations.json!.auth = { kind: 'bearer', tokenEnv: 'JSON_TOKEN' };
    });

    const attempt = () => integrationsFrom(config, { GRAFANA_TOKEN: 'abc' });

    expect(attempt).toThrow(/GRAFANA_TOKEN \(3 characters, at least 16 expected, for grafana\), JSON_TOKEN \(unset, for json\)/);
  });

  it('checks a PagerDuty routing key', () => {
    const config = testConfig((draft) => {
      draft.alerts.integrations.pagerduty!.auth = { kind: 'routing-key', keyEnv: 'PD_KEY' };
    });
    const credentials = integrationsFrom(config, { PD_KEY: 'k'.repeat(32) }).get('pagerduty')!.credentials!;

    expect(() => checkRoutingKey(credentials, 'k'.repeat(32))).not.toThrow();
    expect(() => checkRoutingKey(credentials, 'j'.repeat(32))).toThrow(/body\.routing_key is not the routing key/);
  });
});

describe('rate limiter', () => {
  it('allows the burst, then one request per refill interval', () => {
    let now = 0;
    const limiter = new RateLimiter(60, 3, () => now);

    const burst = [limiter.take(), limiter.take(), limiter.take()];
    const denied = limiter.take();
    now += 1000;
    const refilled = limiter.take();

    expect(burst).toEqual([undefined, undefined, undefined]);
    expect(denied).toBe(1);
    expect(refilled).toBeUndefined();
  });

  it('says how many seconds until the next request is allowed', () => {
    let now = 0;
    const limiter = new RateLimiter(6, 1, () => now);
    limiter.take();

    const retryAfter = limiter.take();
    now += 4000;
    const later = limiter.take();

    expect(retryAfter).toBe(10);
    expect(later).toBe(6);
  });
});
