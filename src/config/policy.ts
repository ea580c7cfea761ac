import type { Severity, SeverityPolicy, TaskSpec } from '../shared/incident.js';
import { RISK_LEVELS, type RecoveryPolicy } from '../shared/recovery.js';
import type { Config } from './schema.js';

/**
 * Builds the policy a new incident carries in its workflow input. Contacts
 * stay IDs and checks stay IDs with their kind, so no address enters history.
 */
export function severityPolicy(config: Config, severity: Severity): SeverityPolicy {
  const policy = config.severities[severity];
  const taskById = new Map(config.tasks.map((task) => [task.id, task]));
  const taskSpec = (id: string): TaskSpec => {
    const task = taskById.get(id);
    // loadConfig rejects unknown task IDs, so this only fires for a hand-built config.
    if (task === undefined) throw new Error(`severities.${severity} names unknown task ${id}`);
    return {
      id: task.id,
      title: task.title,
      kind: task.kind,
      owner: task.owner,
      ...(task.action === undefined ? {} : { action: task.action }),
      ...(task.target === undefined ? {} : { target: task.target }),
    };
  };

  return {
    severity,
    page: policy.page,
    escalation: {
      levels: policy.escalation.levels.map((level) => ({ targets: [...level.targets], wait: level.wait })),
      repeat: policy.escalation.repeat,
    },
    acknowledgementLapse: policy.acknowledgementLapse,
    breachEscalation: [...policy.breachEscalation],
    business: {
      atDeclaration: [...policy.business.atDeclaration],
      onBreach: Object.fromEntries(Object.entries(policy.business.onBreach).map(([stage, ids]) => [stage, [...ids]])),
    },
    autoResolve: policy.autoResolve,
    cooldown: config.alerts.cooldown,
    stages: policy.stages.map((stage) => ({
      id: stage.id,
      title: stage.title,
      due: stage.due,
      endsWhen: stage.endsWhen,
      tasks: stage.tasks.map(taskSpec),
    })),
    checks: config.checks.map((check) => ({ id: check.id, kind: check.kind })),
    ...(config.recovery === undefined ? {} : { recovery: recoveryPolicy(config) }),
    delivery: { ...config.delivery },
    chat: {
      engineering: config.chat.incidentChannelFor.includes(severity),
      incidentChannel: config.chat.incidentChannelFor.includes(severity),
    },
    followUp: {
      reportDue: config.followUp.reportDue,
      postMortemDue: config.followUp.postMortemDue,
      reminderBefore: config.followUp.reminderBefore,
      closeAfter: config.followUp.closeAfter,
      stakeholders: [...config.followUp.stakeholders],
      escalateTo: [...config.followUp.escalateTo],
      postMortemRequired: policy.postMortemRequired,
    },
  };
}

/** Builds the recovery catalogue an incident carries. Checks stay IDs with their kind. */
export function recoveryPolicy(config: Config): RecoveryPolicy | undefined {
  const { recovery } = config;
  if (recovery === undefined) return undefined;
  const kindById = new Map(config.checks.map((check) => [check.id, check.kind]));
  const threshold = RISK_LEVELS.indexOf(recovery.approvalFrom);
  return {
    approvalTimeout: recovery.approvalTimeout,
    approvalEscalation: [...recovery.approvalEscalation],
    steps: recovery.steps.map((step) => ({
      id: step.id,
      title: step.title,
      action: step.action,
      ...(step.target === undefined ? {} : { target: step.target }),
      risk: step.risk,
      approvalRequired: RISK_LEVELS.indexOf(step.risk) >= threshold,
      ...(step.maxReplicas === undefined ? {} : { maxReplicas: step.maxReplicas }),
      // loadConfig rejects unknown check IDs, so every ID has a kind here.
      verify: step.verify.map((id) => ({ id, kind: kindById.get(id) ?? 'http' })),
    })),
  };
}
