import type { IncidentInput, IncidentView } from '../shared/incident.js';
import { runIncident } from './incident-lifecycle.js';

export { acknowledgeUpdate, alertReceivedSignal, resolveUpdate, viewQuery } from './incident-messages.js';

/** Runs a P1 (high) incident, with the SLA stages, tasks and escalation ladder of the P1 policy in the input. */
export async function p1HighIncident(input: IncidentInput): Promise<IncidentView> {
  return runIncident('P1', input);
}
