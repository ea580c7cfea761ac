import type { IncidentInput, IncidentView } from '../shared/incident.js';
import { runIncident } from './incident-lifecycle.js';

export { acknowledgeUpdate, alertReceivedSignal, resolveUpdate, viewQuery } from './incident-messages.js';

/** A P3 (low) incident: its SLA stages and escalation chain come from the P3 policy in the input. */
export async function p3LowIncident(input: IncidentInput): Promise<IncidentView> {
  return runIncident('P3', input);
}
