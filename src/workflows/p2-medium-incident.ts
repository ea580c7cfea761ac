import type { IncidentInput, IncidentView } from '../shared/incident.js';
import { runIncident } from './incident-lifecycle.js';

export { acknowledgeUpdate, alertReceivedSignal, resolveUpdate, viewQuery } from './incident-messages.js';

/** Runs a P2 (medium) incident, with the SLA stages, tasks and escalation ladder of the P2 policy in the input. */
export async function p2MediumIncident(input: IncidentInput): Promise<IncidentView> {
  return runIncident('P2', input);
}
