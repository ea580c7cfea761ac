/** An Alertmanager version 4 webhook body with one alert per entry of `severities`. */
export function alertmanagerPayload(
  options: { groupKey?: string; status?: 'firing' | 'resolved'; severities?: string[]; summary?: string } = {},
) {
  const status = options.status ?? 'firing';
  const severities = options.severities ?? ['critical'];
  const groupKey = options.groupKey ?? `{}:{alertname="BarqApiDown",run="${Math.random().toString(36).slice(2)}"}`;
  const summary = options.summary ?? 'barq-api is not answering health checks';
  return {
    version: '4',
    groupKey,
    truncatedAlerts: 0,
    status,
    receiver: 'barq-incident',
    groupLabels: { alertname: 'BarqApiDown' },
    commonLabels: { alertname: 'BarqApiDown', service: 'barq-api' },
    commonAnnotations: { summary },
    externalURL: 'http://alertmanager.invalid:9093',
    alerts: severities.map((severity, index) => ({
      status,
      labels: { alertname: 'BarqApiDown', service: 'barq-api', severity, instance: `barq-api-${index}` },
      annotations: { summary },
      startsAt: '2026-12-04T10:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.invalid:9090/graph',
      fingerprint: `f${index}a1b2c3d4e5f6`,
    })),
  };
}
