/** Matchers an alert must satisfy to fall in a maintenance window; every matcher given must match. */
export interface MaintenanceMatchers {
  /** The alert's service, exactly. */
  service?: string;
  /** Labels the alert must have with exactly these values. */
  labels?: Record<string, string>;
}

export interface MaintenanceWindowInput {
  /** Equals the workflow ID. */
  id: string;
  startsAt: string;
  endsAt: string;
  matchers: MaintenanceMatchers;
  reason: string;
  /** Engineer who created the window, from their credential. */
  author: string;
  createdAt: string;
  /** How long before `endsAt` the author is reminded. */
  remindBefore: string;
}

export type MaintenanceWindowStatus = 'scheduled' | 'active' | 'ended';

/** A window as listed: what it was created with, and its current status. */
export interface MaintenanceWindowSummary extends MaintenanceWindowInput {
  status: MaintenanceWindowStatus;
}

export interface MaintenanceWindowView extends MaintenanceWindowSummary {
  /** Set once ended, by its end time or by an engineer. */
  endedAt?: string;
  /** `system` when the window ran to its end. */
  endedBy?: string;
  reminder: { state: 'pending' | 'sent' | 'failed' | 'skipped'; at?: string; detail?: string };
}

export interface EndMaintenanceRequest {
  actor: string;
}

export interface RemindMaintenanceRequest {
  windowId: string;
  author: string;
  reason: string;
  endsAt: string;
  remindBefore: string;
}

/** Prefix of every maintenance window's workflow ID. */
export const MAINTENANCE_ID_PREFIX = 'maintenance-';

/** True when an alert with this service and these labels falls in the window's matchers. */
export function matchesMaintenance(matchers: MaintenanceMatchers, service: string, labels: Record<string, string>): boolean {
  if (matchers.service !== undefined && matchers.service !== service) return false;
  return Object.entries(matchers.labels ?? {}).every(([name, value]) => labels[name] === value);
}
