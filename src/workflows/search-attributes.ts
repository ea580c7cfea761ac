import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes the workflows upsert. Every Temporal namespace that
 * runs these workflows must register them as Keyword first; `npm start`, the
 * tests and docker-compose.yml do.
 */
export const IncidentSeverity = defineSearchAttributeKey('IncidentSeverity', SearchAttributeType.KEYWORD);
export const IncidentStatus = defineSearchAttributeKey('IncidentStatus', SearchAttributeType.KEYWORD);
export const IncidentService = defineSearchAttributeKey('IncidentService', SearchAttributeType.KEYWORD);
export const IncidentStage = defineSearchAttributeKey('IncidentStage', SearchAttributeType.KEYWORD);

/** Names for registering the attributes with `temporal operator search-attribute create`. */
export const INCIDENT_SEARCH_ATTRIBUTES = [IncidentSeverity, IncidentStatus, IncidentService, IncidentStage].map(
  (key) => key.name,
);
