import { Type } from '@sinclair/typebox';

/** Value schemas the configuration sections share, each with the expectation its error states. */

export const Duration = Type.String({
  pattern: '^[0-9]+(ms|s|m|h|d)$',
  description: 'a duration such as 30s, 5m, 1h or 3d',
});

export const Identifier = Type.String({
  pattern: '^[a-z][a-z0-9-]{0,62}$',
  description: 'a lower-case ID of letters, digits and hyphens, starting with a letter',
});

export const HttpUrl = Type.String({
  pattern: '^https?://[^\\s]+$',
  description: 'an http:// or https:// URL',
});
