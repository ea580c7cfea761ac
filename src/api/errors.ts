/**
 * Every error the API returns, with a stable code clients can match on. The
 * message templates name the value and what was expected.
 */
export const API_ERRORS = {
  INVALID_JSON: { status: 400, title: 'Bad Request' },
  INVALID_BODY: { status: 400, title: 'Bad Request' },
  INVALID_PARAMETER: { status: 400, title: 'Bad Request' },
  MISSING_TOKEN: { status: 401, title: 'Unauthorized' },
  INVALID_TOKEN: { status: 401, title: 'Unauthorized' },
  UNTRUSTED_IDENTITY: { status: 401, title: 'Unauthorized' },
  UNKNOWN_ENGINEER: { status: 403, title: 'Forbidden' },
  SELF_APPROVAL: { status: 403, title: 'Forbidden' },
  ROUTE_NOT_FOUND: { status: 404, title: 'Not Found' },
  INCIDENT_NOT_FOUND: { status: 404, title: 'Not Found' },
  TASK_NOT_FOUND: { status: 404, title: 'Not Found' },
  FOLLOW_UP_NOT_FOUND: { status: 404, title: 'Not Found' },
  RECOVERY_REQUEST_NOT_FOUND: { status: 404, title: 'Not Found' },
  INVALID_TRANSITION: { status: 409, title: 'Conflict' },
  BODY_TOO_LARGE: { status: 413, title: 'Payload Too Large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported Media Type' },
  INTERNAL: { status: 500, title: 'Internal Server Error' },
  TEMPORAL_UNAVAILABLE: { status: 503, title: 'Service Unavailable' },
  COMMAND_NOT_CONFIRMED: { status: 503, title: 'Service Unavailable' },
} as const;

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
