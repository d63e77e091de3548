import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type from "typebox";
import type { SubscriberDirectory } from "../../directory/index.ts";
import { Domain, errorResponses } from "../schemas.ts";

export interface DomainRoutesOptions {
  directory: SubscriberDirectory;
}

/** /api/v1/domains: SIP domains (tenants). */
export const domainRoutes: FastifyPluginAsyncTypebox<DomainRoutesOptions> = async (app, { directory }) => {
  app.get(
    "/domains",
    {
      schema: {
        tags: ["domains"],
        summary: "List SIP domains",
        response: { 200: Type.Object({ domains: Type.Array(Domain) }), ...errorResponses(401, 403) },
      },
    },
    async () => ({ domains: await directory.listDomains() }),
  );

  app.post(
    "/domains",
    {
      schema: {
        tags: ["domains"],
        summary: "Create a SIP domain",
        body: Type.Object(
          {
            name: Type.String({
              pattern: "^[A-Za-z0-9.-]{1,253}$",
              description: "Host name, e.g. pbx.example.com.",
            }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Domain, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const domain = await directory.createDomain(request.body.name);
      reply.status(201);
      return domain;
    },
  );
};
