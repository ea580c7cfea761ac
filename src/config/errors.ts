/** The `key` of an error about the file as a whole, such as a YAML syntax error. */
export const WHOLE_FILE = '(file)';

/** An invalid configuration file or environment variable; start-up stops on it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    /** Location of the bad value: a dotted key path or an environment variable. */
    readonly key: string,
    readonly value: unknown,
    readonly expected: string,
    readonly source: string,
    options?: { cause?: unknown },
  ) {
    super(
      key === WHOLE_FILE
        ? `invalid configuration in ${source}: expected ${expected}`
        : `invalid configuration in ${source}: ${key} is ${describeValue(value)}, expected ${expected}`,
      options,
    );
  }
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
