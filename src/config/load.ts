import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';

import { durationToMs } from '../shared/duration.js';

import { ConfigError, WHOLE_FILE } from './errors.js';
import { checkOncall } from './oncall-schema.js';
import type { IntegrationAuthConfig } from './alerts-schema.js';
import { ConfigSchema, type Config } from './schema.js';
import { KUBERNETES_TASK_ACTIONS, ROLES } from '../shared/incident.js';

/** The configuration shipped with the project; it mirrors BARQ's runbook. */
export const DEFAULT_CONFIG_PATH = fileURLToPath(new URL('../../config/barq.yaml', import.meta.url));

/** Environment variables that override one configuration key each. */
const ENV_OVERRIDES: ReadonlyArray<{ variable: string; key: string[]; type: 'string' | 'integer' | 'boolean' }> = [
  { variable: 'TEMPORAL_ADDRESS', key: ['temporal', 'address'], type: 'string' },
  { variable: 'TEMPORAL_NAMESPACE', key: ['temporal', 'namespace'], type: 'string' },
  { variable: 'TEMPORAL_TASK_QUEUE', key: ['temporal', 'taskQueue'], type: 'string' },
  { variable: 'TEMPORAL_UI_URL', key: ['temporal', 'uiUrl'], type: 'string' },
  { variable: 'PORT', key: ['api', 'port'], type: 'integer' },
  { variable: 'HOST', key: ['api', 'host'], type: 'string' },
  { variable: 'BARQ_PUBLIC_URL', key: ['api', 'publicUrl'], type: 'string' },
  { variable: 'BARQ_DEV_INBOX', key: ['devInbox', 'enabled'], type: 'boolean' },
  { variable: 'BARQ_SERVICE_URL', key: ['service', 'baseUrl'], type: 'string' },
  { variable: 'REDIS_URL', key: ['redis', 'url'], type: 'string' },
  { variable: 'FLOWABLE_URL', key: ['flowable', 'baseUrl'], type: 'string' },
];

export interface LoadConfigOptions {
  /** Defaults to `BARQ_CONFIG`, then to the shipped file. */
  path?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads, overrides and validates the configuration. Throws `ConfigError`
 * naming the first invalid key, its value and what was expected.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const path = options.path ?? env['BARQ_CONFIG'] ?? DEFAULT_CONFIG_PATH;

  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('BARQ_CONFIG', path, 'a readable YAML file', 'the environment', { cause: error });
  }

  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(WHOLE_FILE, path, `valid YAML (${reason})`, path, { cause: error });
  }

  const overridden = applyEnvOverrides(raw, env);
  return parseConfig(raw, path, overridden);
}

/** Validates an already parsed configuration object. */
export function parseConfig(raw: unknown, source: string, overridden = new Map<string, string>()): Config {
  if (raw === null || raw === undefined) {
    throw new ConfigError(WHOLE_FILE, raw, 'a YAML mapping with the keys of config/barq.yaml, but the file is empty', source);
  }
  const firstError = Value.Errors(ConfigSchema, raw).First();
  if (firstError !== undefined) {
    const key = pointerToKey(firstError.path);
    const variable = overridden.get(key);
    throw new ConfigError(
      key,
      firstError.value,
      expectedText(firstError.schema, firstError.message),
      variable === undefined ? source : `environment variable ${variable}`,
    );
  }

  const config = raw as Config;
  checkReferences(config, source);
  return config;
}

function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv): Map<string, string> {
  const overridden = new Map<string, string>();
  if (typeof raw !== 'object' || raw === null) return overridden;

  for (const { variable, key, type } of ENV_OVERRIDES) {
    const text = env[variable];
    if (text === undefined || text === '') continue;

    const [section, field] = key as [string, string];
    const root = raw as Record<string, unknown>;
    const target = root[section];
    if (typeof target !== 'object' || target === null) continue;

    (target as Record<string, unknown>)[field] = convertEnvValue(variable, text, type);
    overridden.set(key.join('.'), variable);
  }
  return overridden;
}

function convertEnvValue(variable: string, text: string, type: 'string' | 'integer' | 'boolean'): unknown {
  if (type === 'integer') {
    if (!/^[0-9]+$/.test(text)) throw new ConfigError(variable, text, 'a whole number', 'the environment');
    return Number(text);
  }
  if (type === 'boolean') {
    if (text !== 'true' && text !== 'false') throw new ConfigError(variable, text, 'true or false', 'the environment');
    return text === 'true';
  }
  return text;
}

/** Checks what the schema cannot: unique IDs, known contacts and ordered deadlines. */
function checkReferences(config: Config, source: string): void {
  const personIds = new Set<string>();
  (config.people ?? []).forEach((person, index) => {
    if (personIds.has(person.id)) throw new ConfigError(`people.${index}.id`, person.id, 'an ID not used by another person', source);
    personIds.add(person.id);
  });
  if (config.oncall !== undefined) checkOncall(config.oncall, personIds, source);
  const rotationIds = new Set((config.oncall?.rotations ?? []).map((rotation) => rotation.id));

  const contactIds = new Set<string>();
  config.contacts.forEach((contact, index) => {
    if (contactIds.has(contact.id)) {
      throw new ConfigError(`contacts.${index}.id`, contact.id, 'an ID not used by another contact', source);
    }
    contactIds.add(contact.id);
    const ways = [contact.webhook, contact.channels, contact.person, contact.rotation].filter((way) => way !== undefined);
    if (ways.length !== 1) {
      throw new ConfigError(`contacts.${index}`, contact.id, 'exactly one of webhook, channels, person or rotation', source);
    }
    if (contact.person !== undefined && !personIds.has(contact.person)) {
      throw new ConfigError(`contacts.${index}.person`, contact.person, `a person ID from people (${[...personIds].join(', ') || 'none listed'})`, source);
    }
    if (contact.rotation !== undefined && !rotationIds.has(contact.rotation)) {
      throw new ConfigError(`contacts.${index}.rotation`, contact.rotation, `a rotation ID from oncall.rotations (${[...rotationIds].join(', ') || 'none listed'})`, source);
    }
  });

  const checkIds = new Set<string>();
  config.checks.forEach((check, index) => {
    if (checkIds.has(check.id)) {
      throw new ConfigError(`checks.${index}.id`, check.id, 'an ID not used by another check', source);
    }
    checkIds.add(check.id);
  });

  // An absolute path in the allowlist is compared as written, so a `..`
  // segment could make an allowed-looking entry run another file.
  const commandAllowlist = config.commandAllowlist ?? [];
  commandAllowlist.forEach((path, index) => {
    if (path.split('/').includes('..')) {
      throw new ConfigError(`commandAllowlist.${index}`, path, 'an absolute path without .. segments', source);
    }
  });
  config.checks.forEach((check, index) => {
    if (check.kind !== 'command') return;
    if (!commandAllowlist.includes(check.executable)) {
      const allowed = commandAllowlist.join(', ') || 'none listed';
      const expected = `a path listed in commandAllowlist (${allowed})`;
      throw new ConfigError(`checks.${index}.executable`, check.executable, expected, source);
    }
    // NOTE: keep this limit well below the 10m startToCloseTimeout the workflow gives a command check.
    const timeoutMs = durationToMs(check.timeout);
    if (timeoutMs < 1000 || timeoutMs > 5 * 60_000) {
      throw new ConfigError(`checks.${index}.timeout`, check.timeout, 'a timeout from 1s to 5m', source);
    }
  });

  const taskIds = new Set<string>();
  config.tasks.forEach((task, index) => {
    if (taskIds.has(task.id)) throw new ConfigError(`tasks.${index}.id`, task.id, 'an ID not used by another task', source);
    taskIds.add(task.id);
    if (!ROLES.includes(task.owner) && !contactIds.has(task.owner)) {
      throw new ConfigError(`tasks.${index}.owner`, task.owner, `a role (${ROLES.join(', ')}) or a contact ID`, source);
    }
    const deployments = Object.keys(config.kubernetes?.deployments ?? {});
    const needsTarget = task.action !== undefined && KUBERNETES_TASK_ACTIONS.includes(task.action);
    if (needsTarget && (task.target === undefined || !deployments.includes(task.target))) {
      const known = deployments.join(', ') || 'none configured';
      throw new ConfigError(`tasks.${index}.target`, task.target, `a key of kubernetes.deployments (${known})`, source);
    }
    if (!needsTarget && task.target !== undefined) {
      throw new ConfigError(`tasks.${index}.target`, task.target, 'no target: only collect-logs, list-rollouts and resource-usage take one', source);
    }
    if (task.action !== undefined && task.kind === 'automated') {
      throw new ConfigError(`tasks.${index}.kind`, task.kind, 'manual for a task with an action, so a person can finish it when the action fails', source);
    }
  });

  const requireContact = (key: string, id: string) => {
    if (!contactIds.has(id)) throw new ConfigError(key, id, `a contact ID (${[...contactIds].join(', ')})`, source);
  };

  for (const [severity, policy] of Object.entries(config.severities)) {
    const prefix = `severities.${severity}`;
    policy.escalation.levels.forEach((level, levelIndex) => {
      level.targets.forEach((target, index) => {
        if (!target.startsWith('role:')) requireContact(`${prefix}.escalation.levels.${levelIndex}.targets.${index}`, target);
      });
    });
    policy.breachEscalation.forEach((id, index) => requireContact(`${prefix}.breachEscalation.${index}`, id));
    policy.business.atDeclaration.forEach((id, index) => requireContact(`${prefix}.business.atDeclaration.${index}`, id));

    const stageIds = policy.stages.map((stage) => stage.id);
    for (const [stageId, ids] of Object.entries(policy.business.onBreach)) {
      if (!stageIds.includes(stageId)) {
        throw new ConfigError(`${prefix}.business.onBreach.${stageId}`, stageId, `a stage ID (${stageIds.join(', ')})`, source);
      }
      ids.forEach((id, index) => requireContact(`${prefix}.business.onBreach.${stageId}.${index}`, id));
    }

    let previousDue = 0;
    policy.stages.forEach((stage, index) => {
      const due = durationToMs(stage.due);
      if (due <= previousDue) {
        throw new ConfigError(
          `${prefix}.stages.${index}.due`,
          stage.due,
          'a deadline later than the previous stage and above zero',
          source,
        );
      }
      previousDue = due;
      stage.tasks.forEach((taskId, taskIndex) => {
        if (!taskIds.has(taskId)) {
          throw new ConfigError(`${prefix}.stages.${index}.tasks.${taskIndex}`, taskId, 'a task ID from tasks', source);
        }
      });
    });
  }

  const engineerIds = new Set<string>();
  const digests = new Set<string>();
  (config.auth?.engineers ?? []).forEach((engineer, index) => {
    if (engineerIds.has(engineer.id)) {
      throw new ConfigError(`auth.engineers.${index}.id`, engineer.id, 'an ID not used by another engineer', source);
    }
    engineerIds.add(engineer.id);
    if (engineer.tokenSha256 === undefined) return;
    if (digests.has(engineer.tokenSha256)) {
      throw new ConfigError(`auth.engineers.${index}.tokenSha256`, '(digest)', "a digest not used by another engineer's token", source);
    }
    digests.add(engineer.tokenSha256);
  });

  // NOTE: keep this limit below the 35m startToCloseTimeout the workflow gives waitForRollout.
  const rolloutTimeout = config.kubernetes?.rolloutTimeout;
  if (rolloutTimeout !== undefined && durationToMs(rolloutTimeout) > 30 * 60_000) {
    throw new ConfigError('kubernetes.rolloutTimeout', rolloutTimeout, 'a duration of at most 30m', source);
  }
  checkRecovery(config, source, checkIds, requireContact);

  config.followUp.stakeholders.forEach((id, index) => requireContact(`followUp.stakeholders.${index}`, id));
  config.followUp.escalateTo.forEach((id, index) => requireContact(`followUp.escalateTo.${index}`, id));
  checkIngestion(config, source);
}

/** Fields each kind of integration credential needs, besides `kind`. */
const AUTH_FIELDS: Record<IntegrationAuthConfig['kind'], Array<keyof IntegrationAuthConfig>> = {
  bearer: ['tokenEnv'],
  basic: ['usernameEnv', 'passwordEnv'],
  hmac: ['secretEnv', 'signatureHeader'],
  'routing-key': ['keyEnv'],
};
const OPTIONAL_AUTH_FIELDS: Partial<Record<IntegrationAuthConfig['kind'], Array<keyof IntegrationAuthConfig>>> = {
  hmac: ['timestampHeader', 'maxAge'],
};

/** Checks that each integration's credentials have the fields of their kind, and that the maintenance limits fit together. */
function checkIngestion(config: Config, source: string): void {
  for (const [name, integration] of Object.entries(config.alerts.integrations)) {
    const auth = integration?.auth;
    if (auth === undefined) continue;
    const key = `alerts.integrations.${name}.auth`;
    if (auth.kind === 'routing-key' && name !== 'pagerduty') {
      throw new ConfigError(`${key}.kind`, auth.kind, 'bearer, basic or hmac (routing-key is for pagerduty only)', source);
    }
    const needed = AUTH_FIELDS[auth.kind];
    const allowed = new Set<string>(['kind', ...needed, ...(OPTIONAL_AUTH_FIELDS[auth.kind] ?? [])]);
    for (const field of needed) {
      if (auth[field] === undefined) throw new ConfigError(`${key}.${field}`, undefined, `a value, which auth of kind ${auth.kind} needs`, source);
    }
    for (const field of Object.keys(auth)) {
      if (!allowed.has(field)) {
        throw new ConfigError(`${key}.${field}`, auth[field as keyof IntegrationAuthConfig], `no ${field} for auth of kind ${auth.kind}`, source);
      }
    }
  }

  const { maxDuration, remindBefore } = config.maintenance;
  if (durationToMs(remindBefore) >= durationToMs(maxDuration)) {
    throw new ConfigError('maintenance.remindBefore', remindBefore, `a duration shorter than maintenance.maxDuration (${maxDuration})`, source);
  }
}

/** Recovery steps name known checks and deployments, and a scale step its limit. */
function checkRecovery(
  config: Config,
  source: string,
  checkIds: ReadonlySet<string>,
  requireContact: (key: string, id: string) => void,
): void {
  if (config.recovery === undefined) return;
  config.recovery.approvalEscalation.forEach((id, index) => requireContact(`recovery.approvalEscalation.${index}`, id));
  const deployments = Object.keys(config.kubernetes?.deployments ?? {});
  const stepIds = new Set<string>();
  config.recovery.steps.forEach((step, index) => {
    const prefix = `recovery.steps.${index}`;
    if (stepIds.has(step.id)) throw new ConfigError(`${prefix}.id`, step.id, 'an ID not used by another recovery step', source);
    stepIds.add(step.id);
    const onKubernetes = step.action === 'rolling-restart' || step.action === 'scale';
    if (onKubernetes && (step.target === undefined || !deployments.includes(step.target))) {
      const known = deployments.join(', ') || 'none configured';
      throw new ConfigError(`${prefix}.target`, step.target, `a key of kubernetes.deployments (${known})`, source);
    }
    if (!onKubernetes && step.target !== undefined) {
      throw new ConfigError(`${prefix}.target`, step.target, `no target: ${step.action} acts on the configured ${step.action === 'redis-flush' ? 'redis' : 'database'}`, source);
    }
    if ((step.action === 'scale') !== (step.maxReplicas !== undefined)) {
      throw new ConfigError(`${prefix}.maxReplicas`, step.maxReplicas, 'maxReplicas on scale steps and on no other step', source);
    }
    step.verify.forEach((checkId, checkIndex) => {
      if (!checkIds.has(checkId)) {
        throw new ConfigError(`${prefix}.verify.${checkIndex}`, checkId, `a check ID (${[...checkIds].join(', ')})`, source);
      }
    });
  });
}

function pointerToKey(pointer: string): string {
  const key = pointer.split('/').filter((part) => part !== '').join('.');
  return key === '' ? '(root)' : key;
}

function expectedText(schema: { description?: string; type?: unknown }, message: string): string {
  if (message === 'Unexpected property') return 'no such key (check its spelling against config/barq.yaml)';
  if (typeof schema.description === 'string') return schema.description;
  return message.replace(/^Expected /, '').replace(/^expected /, '');
}
