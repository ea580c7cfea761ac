import type { IncidentInput, IncidentView } from '../shared/incident.js';
import { runIncident } from './incident-lifecycle.js';

export { acknowledgeUpdate, alertReceivedSignal, resolveUpdate, viewQuery } from './incident-messages.js';

/** A P2 (medium) incident: its SLA stages and escalation chain come from the P2 policy in the input. */
export async function p2MediumIncident(input: IncidentInput): Promise<IncidentView> {
  return runIncident('P2', input);
}
