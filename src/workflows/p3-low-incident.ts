import type { IncidentInput, IncidentView } from '../shared/incident.js';
import { runIncident } from './incident-lifecycle.js';

export { acknowledgeUpdate, alertReceivedSignal, resolveUpdate, viewQuery } from './incident-messages.js';

/** Runs a P3 (low) incident, with the SLA stages, tasks and escalation ladder of the P3 policy in the input. */
export async function p3LowIncident(input: IncidentInput): Promise<IncidentView> {
  return runIncident('P3', input);
}
