import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { WebhookSmsGateway } from "../../../../src/services/background-call/index.ts";

test("the webhook SMS gateway POSTs {to, text, from} as JSON with the bearer token; a non-2xx answer is an error", async (t) => {
  const received: Array<{ headers: IncomingMessage["headers"]; body: unknown }> = [];
  let status = 202;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
  const gateway = new WebhookSmsGateway({ url, token: "s3cret", from: "Parley" });
  await gateway.send("+15551230001", "Bob answered your background call — call back.");
  assert.deepEqual(received[0]?.body, {
    to: "+15551230001",
    text: "Bob answered your background call — call back.",
    from: "Parley",
  });
  assert.equal(received[0]?.headers.authorization, "Bearer s3cret");
  assert.equal(received[0]?.headers["content-type"], "application/json");
  status = 500;
  await assert.rejects(gateway.send("+15551230001", "again"), /SMS gateway answered 500/);
  await assert.rejects(
    new WebhookSmsGateway({ url: "http://127.0.0.1:1/none" }).send("+1", "x"),
    /ECONNREFUSED/,
  );
});
