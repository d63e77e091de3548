import { ParleyError } from "../kernel/parley-error.ts";

/**
 * HTTP status of every error code the API can answer with. Codes are stable: clients may switch
 * on them. Errors not listed here are 500 INTERNAL.
 */
export const HTTP_STATUS_BY_CODE: Readonly<Record<string, number>> = {
  HTTP_UNAUTHORIZED: 401,
  HTTP_FORBIDDEN: 403,
  HTTP_NOT_FOUND: 404,
  HTTP_VALIDATION: 400,
  HTTP_UNSUPPORTED_MEDIA_TYPE: 415,
  HTTP_PAYLOAD_TOO_LARGE: 413,
  HTTP_INTERNAL: 500,
  HTTP_UNAVAILABLE: 503,
  DIRECTORY_INVALID_EXTENSION: 400,
  DIRECTORY_INVALID_NUMBER: 400,
  DIRECTORY_INVALID_PASSWORD: 400,
  DIRECTORY_UNKNOWN_DOMAIN: 400,
  DIRECTORY_DUPLICATE_EXTENSION: 409,
  DIRECTORY_DUPLICATE_NUMBER: 409,
  DIRECTORY_DUPLICATE_DOMAIN: 409,
  DIRECTORY_USER_NOT_FOUND: 404,
  DIRECTORY_TOKEN_NOT_FOUND: 404,
  CDR_NOT_FOUND: 404,
  CALL_NOT_FOUND: 404,
};

export class HttpError extends ParleyError {
  readonly statusCode: number;

  constructor(code: keyof typeof HTTP_STATUS_BY_CODE, message: string) {
    super(code, message);
    this.statusCode = HTTP_STATUS_BY_CODE[code] ?? 500;
  }
}
