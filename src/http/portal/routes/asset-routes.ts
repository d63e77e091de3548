import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { AssetUrls } from "../views/layout.ts";

interface Asset {
  body: Buffer;
  type: string;
  /** Strong validator and cache-busting version: the start of the content's SHA-256. */
  hash: string;
}

const FILES: Readonly<Record<string, string>> = {
  "portal.css": "text/css; charset=utf-8",
  "call-status.js": "text/javascript; charset=utf-8",
};

/** The portal's static files, read once from this folder's assets/ at start-up. */
export async function loadAssets(): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  for (const [name, type] of Object.entries(FILES)) {
    const body = await readFile(new URL(`../assets/${name}`, import.meta.url));
    assets.set(name, { body, type, hash: createHash("sha256").update(body).digest("hex").slice(0, 16) });
  }
  return assets;
}

export function assetUrls(assets: Map<string, Asset>): AssetUrls {
  const url = (name: string) => `/portal/assets/${name}?v=${assets.get(name)?.hash ?? "0"}`;
  return { css: url("portal.css"), callStatusJs: url("call-status.js") };
}

/**
 * GET /portal/assets/:name: the stylesheet and the status page's script. A URL with the current
 * version (?v=hash, as the pages link them) may be cached for a year; otherwise for an hour and
 * revalidated with the ETag (304).
 */
export function assetRoutes(app: FastifyInstance, assets: Map<string, Asset>): void {
  app.get<{ Params: { name: string }; Querystring: { v?: string } }>(
    "/portal/assets/:name",
    {
      schema: {
        params: Type.Object({ name: Type.String({ maxLength: 64 }) }),
        querystring: Type.Object({ v: Type.Optional(Type.String({ maxLength: 64 })) }),
      },
    },
    async (request, reply) => {
      const asset = assets.get(request.params.name);
      if (!asset) return reply.status(404).type("text/plain; charset=utf-8").send("no such asset");
      const etag = `"${asset.hash}"`;
      reply
        .header("etag", etag)
        .header(
          "cache-control",
          request.query.v === asset.hash ? "public, max-age=31536000, immutable" : "public, max-age=3600",
        );
      if (request.headers["if-none-match"] === etag) return reply.status(304).send();
      return reply.type(asset.type).send(asset.body);
    },
  );
}
