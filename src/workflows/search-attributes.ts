import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes the workflows upsert. Every Temporal namespace that
 * runs these workflows must register them first (Keyword, and Bool for
 * IncidentAcknowledged); `npm start`, the tests and docker-compose.yml do.
 */
export const IncidentSeverity = defineSearchAttributeKey('IncidentSeverity', SearchAttributeType.KEYWORD);
export const IncidentStatus = defineSearchAttributeKey('IncidentStatus', SearchAttributeType.KEYWORD);
export const IncidentService = defineSearchAttributeKey('IncidentService', SearchAttributeType.KEYWORD);
export const IncidentStage = defineSearchAttributeKey('IncidentStage', SearchAttributeType.KEYWORD);
export const IncidentAcknowledged = defineSearchAttributeKey('IncidentAcknowledged', SearchAttributeType.BOOL);
/** Set at start on an incident whose pages a maintenance window holds, so ending the window early finds it. */
export const IncidentMaintenanceWindow = defineSearchAttributeKey('IncidentMaintenanceWindow', SearchAttributeType.KEYWORD);

/** Every incident search attribute, for registering them with a namespace. */
export const INCIDENT_SEARCH_ATTRIBUTE_KEYS = [
  IncidentSeverity,
  IncidentStatus,
  IncidentService,
  IncidentStage,
  IncidentAcknowledged,
  IncidentMaintenanceWindow,
];
