import type { IncidentInput, IncidentView } from '../shared/incident.js';
import { runIncident } from './incident-lifecycle.js';

export { acknowledgeUpdate, alertReceivedSignal, resolveUpdate, viewQuery } from './incident-messages.js';

/** A P1 (high) incident: its SLA stages and escalation chain come from the P1 policy in the input. */
export async function p1HighIncident(input: IncidentInput): Promise<IncidentView> {
  return runIncident('P1', input);
}
