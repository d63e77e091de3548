/**
 * Base of every error that library code throws on purpose. `code` is stable and has the form
 * `<AREA>_<WHAT>` (CONFIG_INVALID, DIRECTORY_DUPLICATE_EXTENSION, ...); HTTP and the CLI map codes
 * to answers, logs carry them verbatim. Bugs throw plain `Error`s instead.
 */
export class ParleyError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export function isParleyError(value: unknown): value is ParleyError {
  return value instanceof ParleyError;
}
