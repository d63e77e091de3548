import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type from "typebox";
import type { ApiTokenIssuer, SubscriberDirectory } from "../../directory/index.ts";
import { E164, errorResponses, User } from "../schemas.ts";

export interface UserRoutesOptions {
  directory: SubscriberDirectory;
  /** When given, a removed user's API tokens are revoked with them. */
  tokens?: ApiTokenIssuer;
}

const Password = Type.String({ minLength: 6, maxLength: 128 });
const FeaturesPatch = Type.Partial(
  Type.Object({
    recording: Type.Boolean(),
    voicemail: Type.Boolean(),
    backgroundCall: Type.Boolean(),
    clickToCall: Type.Boolean(),
  }),
);
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** /api/v1/users: subscribers of every domain (admin token). */
export const userRoutes: FastifyPluginAsyncTypebox<UserRoutesOptions> = async (
  app,
  { directory, tokens },
) => {
  app.get(
    "/users",
    {
      schema: {
        tags: ["users"],
        summary: "List users, ordered by extension",
        querystring: Type.Object({
          domain: Type.Optional(Type.String({ description: "Only this domain's users." })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
          offset: Type.Integer({ minimum: 0, default: 0 }),
        }),
        response: {
          200: Type.Object({ users: Type.Array(User), total: Type.Integer() }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => directory.listUsers(request.query),
  );

  app.post(
    "/users",
    {
      schema: {
        tags: ["users"],
        summary: "Create a user",
        description:
          "The SIP password is stored only as digest HA1 (MD5 and SHA-256). When no password is given, one is generated and returned once in `password`.",
        body: Type.Object(
          {
            extension: Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" }),
            domain: Type.Optional(
              Type.String({ description: "Domain name; the default domain when omitted." }),
            ),
            displayName: Type.Optional(Type.String({ maxLength: 128 })),
            password: Type.Optional(Password),
            webPassword: Type.Optional(Password),
            phoneNumbers: Type.Optional(Type.Array(E164, { maxItems: 32 })),
            features: Type.Optional(FeaturesPatch),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ user: User, password: Type.Optional(Type.String()) }),
          ...errorResponses(400, 401, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const { user, generatedPassword } = await directory.addUser(request.body);
      reply.status(201).header("location", `/api/v1/users/${user.id}`);
      return generatedPassword === undefined ? { user } : { user, password: generatedPassword };
    },
  );

  app.get(
    "/users/:id",
    {
      schema: {
        tags: ["users"],
        summary: "Get one user",
        params: IdParams,
        response: { 200: User, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => directory.getUser(request.params.id),
  );

  app.patch(
    "/users/:id",
    {
      schema: {
        tags: ["users"],
        summary: "Change a user",
        description: "Only the fields present change. `webPassword: null` removes portal access.",
        params: IdParams,
        body: Type.Object(
          {
            displayName: Type.Optional(Type.String({ maxLength: 128 })),
            password: Type.Optional(Password),
            webPassword: Type.Optional(Type.Union([Password, Type.Null()])),
            phoneNumbers: Type.Optional(Type.Array(E164, { maxItems: 32 })),
            features: Type.Optional(FeaturesPatch),
          },
          { additionalProperties: false },
        ),
        response: { 200: User, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => directory.updateUser(request.params.id, request.body),
  );

  app.delete(
    "/users/:id",
    {
      schema: {
        tags: ["users"],
        summary: "Delete a user, release their numbers and revoke their API tokens",
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { key } = await directory.getUserWithDomain(request.params.id);
      await directory.removeUser(request.params.id);
      // A later user with the same extension must not inherit the removed user's tokens.
      await tokens?.revokeUser(key);
      return reply.status(204).send(null);
    },
  );
};
