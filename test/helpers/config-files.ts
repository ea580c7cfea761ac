import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parse, stringify } from 'yaml';

import { ConfigError } from '../../src/config/errors.js';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../src/config/load.js';

/** Writes the shipped configuration with one edit to a temporary file and returns its path. */
export function configFile(edit: (config: Record<string, any>) => void): string {
  const config = parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')) as Record<string, any>;
  edit(config);
  const path = join(mkdtempSync(join(tmpdir(), 'barq-config-')), 'barq.yaml');
  writeFileSync(path, stringify(config));
  return path;
}

/** Loads `path` and returns the ConfigError it must raise; fails the test if it loads. */
export function loadError(path: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    loadConfig({ path, env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to throw ConfigError');
}
