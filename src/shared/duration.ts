const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Converts a configuration duration (`500ms`, `30s`, `5m`, `1h`, `3d`) to
 * milliseconds. Throws on any other form; the configuration schema accepts
 * only these.
 */
export function durationToMs(duration: string): number {
  const match = /^([0-9]+)(ms|s|m|h|d)$/.exec(duration);
  if (match === null) throw new TypeError(`invalid duration ${JSON.stringify(duration)}, expected a form like 30s, 5m or 1h`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
