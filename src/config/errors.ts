import { ParleyError } from "../kernel/parley-error.ts";

/**
 * Configuration errors. The message is one line that names the key, the value and the rule, so
 * that an operator reading a failed start sees what to change without opening the docs.
 */
export class ConfigError extends ParleyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CONFIG_INVALID", message, options);
  }
}
