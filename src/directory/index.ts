export { ApiTokenIssuer, type ApiTokenIssuerOptions, TOKEN_PREFIX } from "./api-token-issuer.ts";
export { digestCredentials, digestHa1 } from "./digest-credentials.ts";
export { DirectoryError, type DirectoryErrorCode, DirectoryErrorCodes } from "./errors.ts";
export type { ApiTokenStore, DomainStore, UserStore } from "./ports.ts";
export {
  type NewUser,
  SubscriberDirectory,
  type SubscriberDirectoryOptions,
  type UserChanges,
} from "./subscriber-directory.ts";
export * from "./types.ts";
export { Argon2WebPasswordHasher, type WebPasswordHasher } from "./web-password.ts";
