import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

import type { AcknowledgeRequest, AlertOccurrence, IncidentView, ResolveRequest } from '../shared/incident.js';

/** An alert occurrence for this incident. A signal, so it is accepted even while no worker runs. */
export const alertReceivedSignal = defineSignal<[AlertOccurrence]>('alertReceived');

/** An engineer takes the incident; escalation stops. Rejected unless the incident is open. */
export const acknowledgeUpdate = defineUpdate<IncidentView, [AcknowledgeRequest]>('acknowledge');

/**
 * An engineer resolves the incident. Completes once the verification checks
 * have run and returns the final view. Rejected once resolution has begun.
 */
export const resolveUpdate = defineUpdate<IncidentView, [ResolveRequest]>('resolve');

/** The incident as the API shows it. */
export const viewQuery = defineQuery<IncidentView>('view');
