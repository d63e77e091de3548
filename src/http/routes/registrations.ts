import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type from "typebox";
import type { Binding } from "../../registrar/index.ts";
import { errorResponses } from "../schemas.ts";

export interface RegistrationRoutesOptions {
  /** Live bindings of this node's registrar. */
  registrations: () => readonly Binding[];
  now: () => number;
}

const Registration = Type.Object(
  {
    aor: Type.String({ description: "Address-of-record, sip:user@domain." }),
    contact: Type.String({ description: "Contact URI the phone registered." }),
    q: Type.Number(),
    expiresAt: Type.String({ format: "date-time" }),
    expiresIn: Type.Integer({ description: "Seconds left." }),
    source: Type.Object(
      {
        protocol: Type.String(),
        address: Type.String(),
        port: Type.Integer(),
      },
      { description: "Where the REGISTER came from; requests to this contact are sent there (NAT)." },
    ),
    path: Type.Array(Type.String()),
    userAgent: Type.Optional(Type.String()),
  },
  { description: "One registration binding (RFC 3261 §10)." },
);

/** GET /api/v1/registrations: who is registered where, right now. */
export const registrationRoutes: FastifyPluginAsyncTypebox<RegistrationRoutesOptions> = async (
  app,
  options,
) => {
  app.get(
    "/registrations",
    {
      schema: {
        tags: ["registrations"],
        summary: "List current registrations",
        querystring: Type.Object({
          aor: Type.Optional(Type.String({ description: "Only this address-of-record." })),
        }),
        response: {
          200: Type.Object({ registrations: Type.Array(Registration) }),
          ...errorResponses(401, 403),
        },
      },
    },
    async (request) => {
      const now = options.now();
      const registrations = options
        .registrations()
        .filter((b) => request.query.aor === undefined || b.aor === request.query.aor)
        .sort((a, b) => a.aor.localeCompare(b.aor) || a.contact.localeCompare(b.contact))
        .map((b) => ({
          aor: b.aor,
          contact: b.contact,
          q: b.q,
          expiresAt: new Date(b.expiresAt).toISOString(),
          expiresIn: Math.max(0, Math.round((b.expiresAt - now) / 1000)),
          source: { protocol: b.source.protocol, address: b.source.address, port: b.source.port },
          path: b.path,
          ...(b.userAgent === undefined ? {} : { userAgent: b.userAgent }),
        }));
      return { registrations };
    },
  );
};
