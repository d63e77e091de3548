/** The SIP stack's public surface; nothing outside sip/ imports a deeper path. */

export * from "./auth/index.ts";
export * from "./dialogs/index.ts";
export { SipParseError } from "./errors.ts";
export * from "./messages/index.ts";
export * from "./transactions/index.ts";
export * from "./transports/index.ts";
export * from "./user-agent/index.ts";
