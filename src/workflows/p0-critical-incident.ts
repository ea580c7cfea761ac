import type { IncidentInput, IncidentView } from '../shared/incident.js';
import { runIncident } from './incident-lifecycle.js';

export { acknowledgeUpdate, alertReceivedSignal, resolveUpdate, viewQuery } from './incident-messages.js';

/** Runs a P0 (critical) incident, with the SLA stages, tasks and escalation ladder of the P0 policy in the input. */
export async function p0CriticalIncident(input: IncidentInput): Promise<IncidentView> {
  return runIncident('P0', input);
}
