import { describe, expect, it } from 'vitest';

import type { AlertOccurrence } from '../../src/shared/incident.js';
import { IncidentState } from '../../src/workflows/incident-state.js';
import { incidentInput } from '../helpers/config.js';

function firing(firingCount: number, alertCount: number, severity?: AlertOccurrence['severity']): AlertOccurrence {
  return { status: 'firing', receivedAt: new Date().toISOString(), firingCount, alertCount, ...(severity === undefined ? {} : { severity }) };
}

describe('alert notices on the timeline', () => {
  it('records a change in the alert counts, not every repeat', () => {
    const state = new IncidentState(incidentInput('notices-counts', 'P2'));

    state.recordAlert(firing(1, 1));
    state.recordAlert(firing(1, 1));
    state.recordAlert(firing(2, 2));

    const alerts = state.view().timeline.filter((entry) => entry.type === 'alert').map((entry) => entry.message);
    expect(alerts).toEqual(['alert firing (1 of 1 alerts)', 'alert firing (2 of 2 alerts)']);
    expect(state.alertOccurrences).toBe(3);
  });

  it('flags an alert that maps above the incident once per severity', () => {
    const state = new IncidentState(incidentInput('notices-severity', 'P2'));

    state.recordAlert(firing(1, 1, 'P2'));
    state.recordAlert(firing(1, 1, 'P0'));
    state.recordAlert(firing(1, 1, 'P0'));
    state.recordAlert(firing(1, 1, 'P3'));

    const flagged = state.view().timeline.filter((entry) => entry.flagged === true);
    expect(flagged.map((entry) => entry.message)).toEqual(['alert now maps to P0, above this P2 incident; change the severity if it is right']);
    expect(state.view().severity).toBe('P2');
  });
});
