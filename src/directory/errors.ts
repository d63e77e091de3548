import { ParleyError } from "../kernel/parley-error.ts";

/** The directory's error catalogue: one code per thing that can be wrong with a request. */
export const DirectoryErrorCodes = {
  DIRECTORY_INVALID_EXTENSION: "extension must be 1 to 64 letters, digits, '.', '_' or '-'",
  DIRECTORY_INVALID_NUMBER: "phone numbers must be E.164: '+' then 2 to 15 digits",
  DIRECTORY_INVALID_PASSWORD: "passwords must be 6 to 128 characters",
  DIRECTORY_DUPLICATE_EXTENSION: "the extension already exists in this domain",
  DIRECTORY_DUPLICATE_NUMBER: "the phone number already belongs to another user",
  DIRECTORY_DUPLICATE_DOMAIN: "the domain already exists",
  DIRECTORY_UNKNOWN_DOMAIN: "no such domain",
  DIRECTORY_USER_NOT_FOUND: "no such user",
  DIRECTORY_TOKEN_NOT_FOUND: "no such API token",
  DIRECTORY_INVALID_TOKEN_SCOPE: "an API token is either admin or for one user (extension@domain)",
} as const;

export type DirectoryErrorCode = keyof typeof DirectoryErrorCodes;

export class DirectoryError extends ParleyError {
  declare readonly code: DirectoryErrorCode;

  constructor(code: DirectoryErrorCode, detail?: string) {
    super(code, detail ? `${DirectoryErrorCodes[code]}: ${detail}` : DirectoryErrorCodes[code]);
  }
}
