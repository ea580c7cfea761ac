import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { DEFAULT_CONFIG_PATH, loadConfig } from '../src/config/load.js';
import { configFile, loadError } from './helpers/config-files.js';

describe('configuration', () => {
  it('ships a valid default mirroring the runbook', () => {
    const config = loadConfig({ env: {} });

    expect(config.service.name).toBe('barq-api');
    const paths = config.checks.flatMap((check) => (check.kind === 'http' ? [check.path] : []));
    expect(paths).toEqual(['/health/live', '/health/ready']);
    expect(config.contacts.map((contact) => contact.id)).toEqual([
      'primary-oncall',
      'secondary-oncall',
      'engineering-manager',
      'product-manager',
      'vp-engineering',
    ]);
    expect(config.severities.P0.stages.map((stage) => stage.due)).toEqual(['15m', '60m']);
    expect(config.severities.P0.escalation.levels.map((level) => level.wait)).toEqual(['5m', '5m', '10m']);
    expect(config.severities.P1.stages.map((stage) => stage.due)).toEqual(['15m', '45m', '60m']);
  });

  it('applies environment overrides', () => {
    const config = loadConfig({
      env: { TEMPORAL_ADDRESS: 'temporal:7233', PORT: '4000', REDIS_URL: 'redis://cache:6379', BARQ_DEV_INBOX: 'false' },
    });

    expect(config.temporal.address).toBe('temporal:7233');
    expect(config.api.port).toBe(4000);
    expect(config.redis.url).toBe('redis://cache:6379');
    expect(config.devInbox.enabled).toBe(false);
  });

  it('names key, value and expectation for a bad duration', () => {
    const path = configFile((config) => {
      config['severities'].P0.acknowledgementLapse = 'five minutes';
    });

    const error = loadError(path);

    expect(error.key).toBe('severities.P0.acknowledgementLapse');
    expect(error.value).toBe('five minutes');
    expect(error.message).toContain('severities.P0.acknowledgementLapse is "five minutes"');
    expect(error.message).toContain('a duration such as 30s, 5m, 1h or 3d');
  });

  it('rejects an escalation to an unknown contact', () => {
    const path = configFile((config) => {
      config['severities'].P1.escalation.levels[1].targets = ['night-owl'];
    });

    const error = loadError(path);

    expect(error.key).toBe('severities.P1.escalation.levels.1.targets.0');
    expect(error.value).toBe('night-owl');
    expect(error.expected).toContain('primary-oncall');
  });

  it('rejects stage deadlines out of order', () => {
    const path = configFile((config) => {
      config['severities'].P0.stages[1].due = '10m';
    });

    expect(loadError(path).key).toBe('severities.P0.stages.1.due');
  });

  it('rejects an unknown key', () => {
    const path = configFile((config) => {
      config['service'].healthUrl = 'http://x';
    });

    const error = loadError(path);

    expect(error.key).toBe('service.healthUrl');
    expect(error.expected).toContain('no such key');
  });

  it('names the environment variable that broke a key', () => {
    const error = loadError(DEFAULT_CONFIG_PATH, { BARQ_SERVICE_URL: 'barq-api:8080' });

    expect(error.source).toBe('environment variable BARQ_SERVICE_URL');
    expect(error.key).toBe('service.baseUrl');
  });

  it('reports a missing file by path', () => {
    const error = loadError('/nonexistent/barq.yaml');

    expect(error.key).toBe('BARQ_CONFIG');
    expect(error.message).toContain('/nonexistent/barq.yaml');
  });

  it('reports an empty file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'barq-config-')), 'empty.yaml');
    writeFileSync(path, '');

    expect(loadError(path).message).toContain('the file is empty');
  });

  it('reports YAML syntax errors', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'barq-config-')), 'broken.yaml');
    writeFileSync(path, 'temporal: [unclosed\n');

    expect(loadError(path).expected).toContain('valid YAML');
  });

  it('rejects a contact with two ways to reach it', () => {
    const path = configFile((config) => {
      config['contacts'][0].channels = [{ kind: 'dev-inbox' }];
    });

    const error = loadError(path);

    expect(error.key).toBe('contacts.0');
    expect(error.expected).toBe('exactly one of webhook, channels, person or rotation');
  });

  it('rejects a rotation contact without the rotation', () => {
    const path = configFile((config) => {
      delete config['contacts'][0].webhook;
      config['contacts'][0].rotation = 'primary';
    });

    const error = loadError(path);

    expect(error.key).toBe('contacts.0.rotation');
    expect(error.expected).toContain('a rotation ID from oncall.rotations');
  });

  it('checks rotation members against people', () => {
    const path = configFile((config) => {
      config['people'] = [{ id: 'amira', name: 'Amira', channels: [{ kind: 'dev-inbox' }] }];
      config['oncall'] = {
        rotations: [
          { id: 'primary', timeZone: 'Asia/Riyadh', handoff: { weekday: 'monday', time: '09:00' }, start: '2026-11-02', members: ['amira', 'omar'] },
        ],
      };
    });

    const error = loadError(path);

    expect(error.key).toContain('oncall.rotations.0.members.1');
    expect(error.value).toBe('omar');
  });

  it('accepts a rotation contact with its people', () => {
    const path = configFile((config) => {
      config['people'] = [
        { id: 'amira', name: 'Amira', channels: [{ kind: 'sms', phone: '+966501234567' }, { kind: 'dev-inbox' }] },
        { id: 'omar', name: 'Omar', channels: [{ kind: 'dev-inbox' }] },
      ];
      config['oncall'] = {
        rotations: [
          { id: 'primary', timeZone: 'Asia/Riyadh', handoff: { weekday: 'monday', time: '09:00' }, start: '2026-11-02', members: ['amira', 'omar'] },
        ],
      };
      delete config['contacts'][0].webhook;
      config['contacts'][0].rotation = 'primary';
    });

    expect(() => loadConfig({ path, env: {} })).not.toThrow();
  });
});
