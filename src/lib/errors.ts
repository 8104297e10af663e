/**
 * The one error model. Every error a user or client can see has one of these codes; the error handler
 * (src/infra/errors.ts) turns it into an HTML page, RFC 9457 problem JSON for /api, or the Open311
 * error shape, from the same object.
 */
export const ERROR_CODES = {
  bad_request: { status: 400, title: 'There is a problem with the request' },
  validation_failed: { status: 400, title: 'Some of the information given is not valid' },
  unauthorized: { status: 401, title: 'You need to sign in' },
  forbidden: { status: 403, title: 'You do not have permission to do that' },
  csrf_failed: { status: 403, title: 'This form has expired or did not come from this site' },
  not_found: { status: 404, title: 'Page not found' },
  conflict: { status: 409, title: 'That conflicts with the current state' },
  idempotency_key_reused: { status: 422, title: 'That Idempotency-Key was used for a different request' },
  payload_too_large: { status: 413, title: 'What was sent is too large' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Sorry, there is a problem with the service' },
  unavailable: { status: 503, title: 'Sorry, the service is unavailable' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldError {
  /** The field's name (form) or JSON pointer (API). */
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(message ?? ERROR_CODES[code].title);
    this.name = 'AppError';
    this.status = ERROR_CODES[code].status;
  }
}

/** Maps an HTTP status (from Fastify or a plugin) onto the closed set of codes. */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 429:
      return 'rate_limited';
    case 503:
      return 'unavailable';
    default:
      return status >= 400 && status < 500 ? 'bad_request' : 'internal';
  }
}
