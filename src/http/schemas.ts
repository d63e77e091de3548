import Type from "typebox";

/** Shared response pieces; every route's schema is built from these so the OpenAPI document is consistent. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: "Stable error code, e.g. DIRECTORY_DUPLICATE_EXTENSION." }),
      message: Type.String({ description: "What went wrong, for people." }),
    }),
  },
  { description: "Every error response has this shape." },
);

/** `{ 400: ErrorBody, 404: ErrorBody }` for the statuses a route can answer with besides success. */
export const errorResponses = <const S extends readonly number[]>(...statuses: S) =>
  Object.fromEntries(statuses.map((status) => [status, ErrorBody])) as { [K in S[number]]: typeof ErrorBody };

export const UserFeatures = Type.Object(
  {
    recording: Type.Boolean({ description: "Automatic server-side call recording." }),
    voicemail: Type.Boolean({ description: "Voice mailbox, read over IMAP." }),
    backgroundCall: Type.Boolean({ description: "Persistent background call." }),
    clickToCall: Type.Boolean({ description: "Click-to-call from the web portal." }),
  },
  { description: "Services the user subscribes to." },
);

export const E164 = Type.String({
  pattern: "^\\+[1-9][0-9]{1,14}$",
  description: "E.164 number, e.g. +15551234567.",
});

export const User = Type.Object(
  {
    id: Type.String(),
    domainId: Type.String(),
    extension: Type.String({ description: "User part of the SIP address and digest username." }),
    displayName: Type.String(),
    phoneNumbers: Type.Array(E164),
    features: UserFeatures,
    hasWebPassword: Type.Boolean(),
    createdAt: Type.String({ format: "date-time" }),
    updatedAt: Type.String({ format: "date-time" }),
  },
  { description: "A subscriber. Secrets are never returned." },
);

export const Domain = Type.Object(
  {
    id: Type.String(),
    name: Type.String({ description: "SIP domain and digest realm." }),
    createdAt: Type.String({ format: "date-time" }),
  },
  { description: "A SIP domain (tenant)." },
);

/** What callers dial to reach an emergency number (digits, *, #, +), as the config file allows. */
export const EMERGENCY_NUMBER_PATTERN = "^[0-9*#+]{1,32}$";
/** A user bound to an emergency number: extension or extension@domain. */
export const EMERGENCY_USER_PATTERN = "^[A-Za-z0-9._+-]{1,64}(@[A-Za-z0-9.-]{1,253})?$";
/** RFC 4412 Resource-Priority value, namespace.priority ("esnet.0"). */
export const RESOURCE_PRIORITY_PATTERN = "^[A-Za-z0-9-]+\\.[A-Za-z0-9-]+$";
