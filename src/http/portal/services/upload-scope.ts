import multipart from "@fastify/multipart";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { PortalKit } from "../portal-kit.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * The route takes a multipart body: the portal's CSRF hook leaves it to the upload scope, which
     * runs the same check once the parts are read (the token is one of the parts).
     */
    csrfAfterParts?: boolean;
  }
}

/** One uploaded file may be this large. */
export const UPLOAD_FILE_BYTES = 5 * 1024 * 1024;
/** Files in one form. */
export const UPLOAD_FILES = 3;

/**
 * A scope for the portal's upload forms: multipart bodies (at most 3 files of 5 MB, 10 fields) are
 * read into the body as plain values, text fields as strings and files as Buffers (an empty
 * Buffer for a file input left empty). Before anything is read, a request needs a logged-in
 * session; once it is read, the session's CSRF token must be among the parts. Multipart stays
 * inside this scope: no other portal route and no API route accepts it.
 */
export function uploadScope(
  app: FastifyInstance,
  kit: PortalKit,
  routes: (scope: FastifyInstance) => void,
): void {
  app.register(async (scope) => {
    // Refused before the body is read: uploads from visitors without a session.
    scope.addHook("onRequest", async (request, reply) => {
      if (!request.routeOptions.config.csrfAfterParts || request.portalSession?.user) return;
      return kit.checkCsrf(request, reply).then((refused) => refused ?? forbidden(kit, request, reply));
    });
    await scope.register(multipart, {
      attachFieldsToBody: "keyValues",
      limits: { fileSize: UPLOAD_FILE_BYTES, files: UPLOAD_FILES, fields: 10, parts: 13 },
    });
    // Registered after multipart's own preValidation hook, so the parts are read by now.
    scope.addHook("preValidation", async (request, reply) => {
      if (!request.routeOptions.config.csrfAfterParts) return;
      return kit.checkCsrf(request, reply);
    });
    scope.setErrorHandler((error: FastifyError, request, reply) => {
      if (error.code === "FST_REQ_FILE_TOO_LARGE")
        return kit.fail(request, reply, 413, "File too large", "Each file may be at most 5 MB.");
      if (error.code === "FST_FILES_LIMIT" || error.code === "FST_PARTS_LIMIT")
        return kit.fail(request, reply, 413, "Too many files", "Send at most 3 files at once.");
      // Everything else goes to the portal's error pages.
      throw error;
    });
    routes(scope);
  });
}

function forbidden(kit: PortalKit, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return kit.fail(request, reply, 403, "Request refused", "Log in again, then retry.");
}
