/**
 * The recovery catalogue as workflows carry it, and the records of requested
 * steps. Free of Node built-ins because workflow code imports it.
 */
import type { CheckRef, CheckResult } from './incident.js';

export const RECOVERY_ACTIONS = ['rolling-restart', 'scale', 'redis-flush', 'database-reset', 'database-restore'] as const;
export type RecoveryAction = (typeof RECOVERY_ACTIONS)[number];

export const RISK_LEVELS = ['low', 'medium', 'high'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** One step of the catalogue, copied from the configuration at declaration. */
export interface RecoveryStepSpec {
  id: string;
  title: string;
  action: RecoveryAction;
  /** Kubernetes deployment key (`kubernetes.deployments`) for restart and scale. */
  target?: string;
  risk: RiskLevel;
  /** True when the step's risk is at or above `recovery.approvalFrom`. */
  approvalRequired: boolean;
  /** Upper bound of `replicas` for a scale step. */
  maxReplicas?: number;
  /** Checks run after the step; their results go on the timeline. */
  verify: CheckRef[];
}

export interface RecoveryPolicy {
  /** Time a step may wait for its approval before `approvalEscalation` is paged. */
  approvalTimeout: string;
  approvalEscalation: string[];
  steps: RecoveryStepSpec[];
}

export type RecoveryStatus =
  | 'awaiting-approval'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'rejected'
  | 'cancelled';

/** A requested step, from request to verification. */
export interface RecoveryRecord {
  /** `r1`, `r2`, ... unique within the incident, across severity changes. */
  id: string;
  stepId: string;
  title: string;
  action: RecoveryAction;
  risk: RiskLevel;
  target?: string;
  replicas?: number;
  reason: string;
  requestedBy: string;
  requestedAt: string;
  approvalRequired: boolean;
  status: RecoveryStatus;
  approvedBy?: string;
  approvedAt?: string;
  rejectedBy?: string;
  rejectedAt?: string;
  decisionNote?: string;
  /** When the approval timeout passed and `approvalEscalation` was paged. */
  approvalEscalatedAt?: string;
  startedAt?: string;
  finishedAt?: string;
  /** One line on what the step did, or why it failed. */
  outcome?: string;
  verification: CheckResult[];
}

interface Command {
  actor: string;
}

export interface RequestRecoveryRequest extends Command {
  stepId: string;
  reason: string;
  /** Replica count for a scale step; required by it and refused by the others. */
  replicas?: number;
}

export interface DecideRecoveryRequest extends Command {
  requestId: string;
  note?: string;
}

/** Failure types of the recovery updates. */
export const UNKNOWN_RECOVERY_STEP = 'UnknownRecoveryStep';
export const UNKNOWN_RECOVERY_REQUEST = 'UnknownRecoveryRequest';
export const SELF_APPROVAL = 'SelfApproval';
