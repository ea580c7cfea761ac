import { Type, type TSchema } from '@sinclair/typebox';

/**
 * Every error the API returns: a stable code clients can match on, its HTTP
 * status and what it means. Each response's message names the field or
 * value at fault and what was expected. The OpenAPI document lists these
 * per route, and a test keeps both in step.
 */
export const API_ERRORS = {
  INVALID_JSON: { status: 400, title: 'Bad Request', description: 'The body is empty or not valid JSON.' },
  INVALID_BODY: { status: 400, title: 'Bad Request', description: 'A body field is missing or invalid; `details.field` names it.' },
  INVALID_REQUEST: { status: 400, title: 'Bad Request', description: 'The request is malformed in a way no other code describes.' },
  INVALID_PARAMETER: {
    status: 400,
    title: 'Bad Request',
    description: 'A path, query or header parameter is invalid; `details.field` names it.',
  },
  MISSING_TOKEN: { status: 401, title: 'Unauthorized', description: 'No Authorization header with a bearer token.' },
  INVALID_TOKEN: { status: 401, title: 'Unauthorized', description: 'The bearer token is not an engineer\'s or one from BARQ_API_TOKEN.' },
  UNTRUSTED_IDENTITY: {
    status: 401,
    title: 'Unauthorized',
    description: 'The SSO identity header came from an address other than the trusted proxy\'s, or is malformed.',
  },
  MISSING_CREDENTIALS: { status: 401, title: 'Unauthorized', description: 'An integration request has no Authorization header.' },
  INVALID_CREDENTIALS: {
    status: 401,
    title: 'Unauthorized',
    description: 'An integration request carries credentials (token, basic auth, routing key) other than its own.',
  },
  INVALID_SIGNATURE: {
    status: 401,
    title: 'Unauthorized',
    description: 'An integration request\'s HMAC signature or its timestamp is missing, wrong or too old.',
  },
  UNKNOWN_ENGINEER: { status: 403, title: 'Forbidden', description: 'The SSO identity is not among the configured engineers.' },
  SELF_APPROVAL: { status: 403, title: 'Forbidden', description: 'The engineer who requested a recovery step tried to approve it.' },
  ROUTE_NOT_FOUND: { status: 404, title: 'Not Found', description: 'No route for this method and path.' },
  INCIDENT_NOT_FOUND: { status: 404, title: 'Not Found', description: 'No incident with this ID.' },
  TASK_NOT_FOUND: { status: 404, title: 'Not Found', description: 'The incident has no task with this ID.' },
  FOLLOW_UP_NOT_FOUND: { status: 404, title: 'Not Found', description: 'No post-incident follow-up with this ID.' },
  RECOVERY_REQUEST_NOT_FOUND: { status: 404, title: 'Not Found', description: 'The incident has no recovery request with this ID.' },
  MAINTENANCE_WINDOW_NOT_FOUND: { status: 404, title: 'Not Found', description: 'No maintenance window with this ID.' },
  INVALID_TRANSITION: {
    status: 409,
    title: 'Conflict',
    description: 'The command does not apply in the current state, which `details` contains.',
  },
  BODY_TOO_LARGE: { status: 413, title: 'Payload Too Large', description: 'The body is larger than api.bodyLimitBytes.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported Media Type', description: 'The body is not application/json.' },
  RATE_LIMITED: {
    status: 429,
    title: 'Too Many Requests',
    description: 'The integration sent more than its rate limit; retry after the Retry-After header\'s seconds.',
  },
  INTERNAL: { status: 500, title: 'Internal Server Error', description: 'An unexpected error; the API log has it.' },
  TEMPORAL_UNAVAILABLE: { status: 503, title: 'Service Unavailable', description: 'Temporal did not respond; retry shortly.' },
  COMMAND_NOT_CONFIRMED: {
    status: 503,
    title: 'Service Unavailable',
    description: 'No worker confirmed the command in time; it may still apply. Retry with the same Idempotency-Key.',
  },
} as const satisfies Record<string, { status: number; title: string; description: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** The JSON body of every error response. */
export interface ApiErrorBody {
  statusCode: number;
  code: ApiErrorCode;
  error: string;
  message: string;
  details?: Record<string, unknown>;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly statusCode: number;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.statusCode = API_ERRORS[code].status;
  }

  toBody(): ApiErrorBody {
    const body: ApiErrorBody = {
      statusCode: this.statusCode,
      code: this.code,
      error: API_ERRORS[this.code].title,
      message: this.message,
    };
    if (this.details !== undefined) body.details = this.details;
    return body;
  }
}

/** The error body as the OpenAPI document describes it. */
export const ErrorBodySchema = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.Unsafe<ApiErrorCode>({ type: 'string', enum: Object.keys(API_ERRORS) }),
    error: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { $id: 'ApiError', title: 'ApiError' },
);

/**
 * Response schemas for the errors a route can return, one per status, each
 * listing its codes. Every route can fail with INVALID_REQUEST and INTERNAL.
 */
export function errorResponses(...codes: ApiErrorCode[]): Record<number, TSchema> {
  const byStatus = new Map<number, ApiErrorCode[]>();
  for (const code of new Set<ApiErrorCode>([...codes, 'INVALID_REQUEST', 'INTERNAL'])) {
    const status = API_ERRORS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      status,
      Type.Ref(ErrorBodySchema, {
        description: list.map((code) => `${code}: ${API_ERRORS[code].description}`).join(' '),
      }),
    ]),
  );
}

/** Errors of every route that takes a JSON body. */
export const BODY_ERRORS: readonly ApiErrorCode[] = ['INVALID_JSON', 'INVALID_BODY', 'BODY_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];

/** Errors of every route that needs an engineer's credentials. */
export const ENGINEER_AUTH_ERRORS: readonly ApiErrorCode[] = ['MISSING_TOKEN', 'INVALID_TOKEN', 'UNTRUSTED_IDENTITY', 'UNKNOWN_ENGINEER'];
