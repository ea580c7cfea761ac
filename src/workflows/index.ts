/** Every workflow type the worker registers. */
export { p0CriticalIncident } from './p0-critical-incident.js';
export { p1HighIncident } from './p1-high-incident.js';
export { p2MediumIncident } from './p2-medium-incident.js';
export { p3LowIncident } from './p3-low-incident.js';
export { postIncidentFollowUp } from './post-incident-follow-up.js';
export { maintenanceWindow } from './maintenance-window.js';
