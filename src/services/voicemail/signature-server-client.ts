import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { SignatureFetch } from "./signature-lookup.ts";

/**
 * Asks another Parley for a user's signature over its REST API
 * (`GET /api/v1/signatures/{user}` with a bearer token), over HTTPS with an optional private CA.
 * Gives up after `timeoutMs`, so a dead signature server delays a message by that much at most.
 */
export function signatureServerClient(options: {
  url: string;
  token: string;
  ca?: Buffer;
  timeoutMs?: number;
}): SignatureFetch {
  const base = options.url.replace(/\/+$/, "");
  return (user) =>
    new Promise((resolve, reject) => {
      const url = new URL(`${base}/api/v1/signatures/${encodeURIComponent(user)}`);
      const send = url.protocol === "https:" ? httpsRequest : httpRequest;
      const req = send(
        url,
        {
          method: "GET",
          headers: { authorization: `Bearer ${options.token}`, accept: "application/json" },
          timeout: options.timeoutMs ?? 5000,
          ...(options.ca && url.protocol === "https:" ? { ca: options.ca } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            if (status !== 200) return resolve({ status });
            try {
              resolve({ status, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
            } catch {
              reject(new Error("signature server sent invalid JSON"));
            }
          });
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error("signature server timed out")));
      req.on("error", reject);
      req.end();
    });
}
