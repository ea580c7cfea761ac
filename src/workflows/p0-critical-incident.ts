import type { IncidentInput, IncidentView } from '../shared/incident.js';
import { runIncident } from './incident-lifecycle.js';

export { acknowledgeUpdate, alertReceivedSignal, resolveUpdate, viewQuery } from './incident-messages.js';

/** A P0 (critical) incident: its SLA stages and escalation chain come from the P0 policy in the input. */
export async function p0CriticalIncident(input: IncidentInput): Promise<IncidentView> {
  return runIncident('P0', input);
}
