import { describe, expect, it } from 'vitest';

import {
  escapeHtml,
  impactOfSeverity,
  overallStatus,
  recentIncidents,
  renderStatusPageHtml,
  serviceStatus,
  statusPageJson,
  type PublicIncident,
  type StatusPageModel,
} from '../../src/api/status-page-render.js';

const GENERATED_AT = '2026-03-10T12:00:00.000Z';

function openIncident(overrides: Partial<PublicIncident> = {}): PublicIncident {
  return {
    publicId: 'pub-7k2m9q',
    service: 'BARQ API',
    impact: 'critical',
    title: 'Requests to the BARQ API are failing',
    status: 'identified',
    startedAt: '2026-03-10T11:20:00.000Z',
    updates: [
      { at: '2026-03-10T11:45:00.000Z', status: 'identified', message: 'We found the cause and are deploying a fix.' },
      { at: '2026-03-10T11:25:00.000Z', status: 'investigating', message: 'We are looking into failed requests.' },
    ],
    ...overrides,
  };
}

function resolvedIncident(overrides: Partial<PublicIncident> = {}): PublicIncident {
  return {
    publicId: 'pub-3x8d1w',
    service: 'Payments',
    impact: 'minor',
    title: 'Slow card payments',
    status: 'resolved',
    startedAt: '2026-03-08T09:00:00.000Z',
    resolvedAt: '2026-03-08T10:30:00.000Z',
    updates: [
      { at: '2026-03-08T10:30:00.000Z', status: 'resolved', message: 'Card payments are back to normal speed.' },
      { at: '2026-03-08T09:05:00.000Z', status: 'investigating', message: 'Card payments take longer than usual.' },
    ],
    ...overrides,
  };
}

function model(overrides: Partial<StatusPageModel> = {}): StatusPageModel {
  return {
    title: 'BARQ status',
    generatedAt: GENERATED_AT,
    services: [
      { name: 'BARQ API', status: 'major-outage' },
      { name: 'Payments', status: 'operational' },
    ],
    current: [openIncident()],
    recent: [resolvedIncident()],
    ...overrides,
  };
}

describe('renderStatusPageHtml', () => {
  it('lists each service with its status', () => {
    const html = renderStatusPageHtml(model());

    expect(html).toContain('BARQ API');
    expect(html).toContain('Payments');
    expect(html).toContain('Major outage');
    expect(html).toContain('Operational');
  });

  it('shows the worst state in the banner', () => {
    const html = renderStatusPageHtml(model());

    expect(html).toMatch(/<section class="banner status-major-outage"[^>]*>\s*<p>Major outage<\/p>/);
    expect(html).not.toContain('All systems operational');
  });

  it('shows open incident with history', () => {
    const html = renderStatusPageHtml(model());

    expect(html).toContain('Requests to the BARQ API are failing');
    expect(html).toContain('Identified');
    expect(html).toContain('Critical impact');
    expect(html).toContain('We found the cause and are deploying a fix.');
    expect(html).toContain('Earlier updates');
    expect(html).toContain('We are looking into failed requests.');
    expect(html.indexOf('We found the cause')).toBeLessThan(html.indexOf('We are looking into failed requests.'));
  });

  it('orders updates newest first', () => {
    const incident = openIncident();
    const html = renderStatusPageHtml(model({ current: [{ ...incident, updates: [...incident.updates].reverse() }] }));

    expect(html.indexOf('We found the cause')).toBeLessThan(html.indexOf('We are looking into failed requests.'));
  });

  it('shows all operational when nothing is open', () => {
    const html = renderStatusPageHtml(
      model({ services: [{ name: 'BARQ API', status: 'operational' }], current: [], recent: [] }),
    );

    expect(html).toContain('All systems operational');
    expect(html).toContain('No open incidents.');
    expect(html).toContain('No incidents resolved in the last 7 days.');
  });

  it('lists incidents resolved in the last 7 days', () => {
    const old = resolvedIncident({
      publicId: 'pub-old',
      title: 'Old login outage',
      startedAt: '2026-03-01T08:00:00.000Z',
      resolvedAt: '2026-03-01T09:00:00.000Z',
    });

    const html = renderStatusPageHtml(model({ recent: [resolvedIncident(), old] }));

    expect(html).toContain('Resolved in the last 7 days');
    expect(html).toContain('Slow card payments');
    expect(html).toContain('Card payments are back to normal speed.');
    expect(html).toContain('<time datetime="2026-03-08T10:30:00.000Z">2026-03-08 10:30 UTC</time>');
    expect(html).not.toContain('Old login outage');
  });

  it('escapes hostile text in every field', () => {
    const hostile = `<script>alert("x")</script> & 'quoted'`;
    const incident = openIncident({
      publicId: `"><img src=x onerror=alert(1)>`,
      service: hostile,
      title: hostile,
      updates: [{ at: '2026-03-10T11:45:00.000Z', status: 'identified', message: hostile }],
    });

    const html = renderStatusPageHtml(
      model({ title: hostile, services: [{ name: hostile, status: 'degraded' }], current: [incident], recent: [] }),
    );

    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain(`"x"`);
    expect(html).not.toContain(`'quoted'`);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;');
    expect(html).toContain('data-public-id="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"');
  });

  it('is self-contained and reloads every minute', () => {
    const html = renderStatusPageHtml(model());

    expect(html).toContain('<meta http-equiv="refresh" content="60">');
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(/i);
  });

  it('shows the generation time', () => {
    const html = renderStatusPageHtml(model());

    expect(html).toContain('Generated <time datetime="2026-03-10T12:00:00.000Z">2026-03-10 12:00 UTC</time>');
  });
});

describe('status page without internal fields', () => {
  // An incident as the workflows know it. A caller that maps it carelessly
  // by spreading it keeps every internal field on the model object, and the
  // type checker allows that.
  const internalIncident = {
    incidentId: 'alertmanager-89b188f2',
    severity: 'P0' as const,
    fingerprint: '89b188f2c0ffee00',
    host: 'db-primary-01.barq.internal',
    contactId: 'primary-oncall',
    summary: 'barq-api pods crash-looping on db-primary-01.barq.internal',
    service: 'barq-api',
  };
  const internalValues = ['alertmanager-89b188f2', '89b188f2c0ffee00', 'db-primary-01', 'barq.internal', 'primary-oncall', 'barq-api pods'];
  const internalNames = ['incidentId', 'severity', 'fingerprint', 'host', 'contactId', 'summary'];

  const publicIncident: PublicIncident = {
    ...internalIncident,
    publicId: 'pub-q4w8e2',
    service: 'BARQ API',
    impact: impactOfSeverity(internalIncident.severity),
    title: 'Requests to the BARQ API are failing',
    status: 'investigating',
    startedAt: '2026-03-10T11:20:00.000Z',
    updates: [{ at: '2026-03-10T11:25:00.000Z', status: 'investigating', message: 'We are looking into failed requests.' }],
  };
  const leakyModel = model({ current: [publicIncident], recent: [] });

  it('keeps internal values out of the HTML', () => {
    const html = renderStatusPageHtml(leakyModel);

    for (const value of internalValues) expect(html, value).not.toContain(value);
    for (const name of internalNames) expect(html, name).not.toContain(name);
  });

  it('keeps internal fields out of the JSON', () => {
    const json = JSON.stringify(statusPageJson(leakyModel));

    for (const value of internalValues) expect(json, value).not.toContain(value);
    for (const name of internalNames) expect(json, name).not.toContain(`"${name}"`);
    expect(json).toContain('Requests to the BARQ API are failing');
  });
});

describe('statusPageJson', () => {
  it('serves the overall status, services and incidents', () => {
    const json = statusPageJson(model());

    expect(json.page).toEqual({ title: 'BARQ status', generatedAt: GENERATED_AT, status: 'major-outage', description: 'Major outage' });
    expect(json.services).toEqual([
      { name: 'BARQ API', status: 'major-outage' },
      { name: 'Payments', status: 'operational' },
    ]);
    expect(json.incidents.current).toEqual([openIncident()]);
    expect(json.incidents.recent).toEqual([resolvedIncident()]);
  });
});

describe('status helpers', () => {
  it('maps severities to impacts', () => {
    expect(impactOfSeverity('P0')).toBe('critical');
    expect(impactOfSeverity('P1')).toBe('major');
    expect(impactOfSeverity('P2')).toBe('minor');
    expect(impactOfSeverity('P3')).toBe('none');
  });

  it('takes a service status from its worst open incident', () => {
    const incidents = [
      openIncident({ impact: 'minor' }),
      openIncident({ impact: 'major' }),
      resolvedIncident({ service: 'BARQ API', impact: 'critical' }),
      openIncident({ service: 'Payments', impact: 'critical' }),
    ];

    expect(serviceStatus('BARQ API', incidents)).toBe('partial-outage');
    expect(serviceStatus('Payments', incidents)).toBe('major-outage');
    expect(serviceStatus('Search', incidents)).toBe('operational');
  });

  it('counts incidents on unlisted services', () => {
    const status = overallStatus({ services: [{ name: 'Payments', status: 'operational' }], current: [openIncident({ impact: 'major' })] });

    expect(status).toBe('partial-outage');
  });

  it('drops resolved incidents without a resolution time', () => {
    const recent = recentIncidents({ generatedAt: GENERATED_AT, recent: [resolvedIncident({ resolvedAt: undefined })] });

    expect(recent).toEqual([]);
  });

  it('escapes the five HTML special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
