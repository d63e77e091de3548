import Type from "typebox";

/** Building blocks of the configuration schema, shared by schema.ts and its per-service files. */

export const Port = (defaultPort: number, description: string) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: defaultPort, description });

export const Host = (defaultHost: string, description: string) =>
  Type.String({ minLength: 1, default: defaultHost, description });

/** A [section] table: closed to unknown keys, every key with a default. */
export const section = <T extends Type.TProperties>(properties: T, description: string) =>
  Type.Object(properties, { additionalProperties: false, default: {}, description });
