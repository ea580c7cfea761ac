/** An invalid configuration file or environment variable; start-up stops on it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    /** Where the bad value sits: a dotted key path or an environment variable. */
    readonly key: string,
    readonly value: unknown,
    readonly expected: string,
    readonly source: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid configuration in ${source}: ${key} is ${describeValue(value)}, expected ${expected}`, options);
  }
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
