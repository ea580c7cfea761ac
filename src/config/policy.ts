import type { Severity, SeverityPolicy } from '../shared/incident.js';
import type { Config } from './schema.js';

/**
 * Builds the policy a new incident carries in its workflow input. Contacts
 * stay IDs and checks stay IDs with their kind, so no address enters history.
 */
export function severityPolicy(config: Config, severity: Severity): SeverityPolicy {
  const policy = config.severities[severity];
  return {
    severity,
    page: policy.page,
    acknowledgeTimeout: policy.acknowledgeTimeout,
    escalation: [...policy.escalation],
    breachEscalation: [...policy.breachEscalation],
    stages: policy.stages.map((stage) => ({ ...stage })),
    checks: config.checks.map((check) => ({ id: check.id, kind: check.kind })),
  };
}
