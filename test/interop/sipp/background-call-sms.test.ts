import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { bindContact, eventually } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { describeSippResult, findSipp, freePort, runSipp, SIPP_HOW_TO_GET } from "../../support/sipp.ts";
import { StackPhone } from "../../support/stack-phone.ts";
import { adminApi } from "../../support/voicemail.ts";

const HAS_SIPP = findSipp() !== undefined;
/** The provider's address: calls from 127.0.0.1 (the test's phones) are then not taken as the trunk's. */
const PROVIDER_IP = "127.0.0.2";

test("a background call for an outside caller: the callee answers, the caller's number (through the trunk) is unavailable, and the caller gets an SMS through the webhook", async (t) => {
  if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
  // The SMS gateway: records each POST and answers 200.
  const posts: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders; body: string }> = [];
  const gateway = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      posts.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(200, { "content-type": "application/json" }).end('{"queued":true}');
    });
  });
  gateway.listen(0, "127.0.0.1");
  await once(gateway, "listening");
  t.after(() => gateway.close());
  const smsUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/sms`;

  const providerPort = await freePort(PROVIDER_IP, false);
  const provider = runSipp({
    scenario: "trunk-provider-unavailable",
    target: "127.0.0.1:5060",
    localIp: PROVIDER_IP,
    port: providerPort,
    calls: 1,
    timeoutSeconds: 30,
    extraArgs: ["-mp", "0"],
  });
  const parley = await startSipTestNode(
    ["1002"],
    {
      PARLEY_BACKGROUND_CALL_AMD: "false",
      PARLEY_BACKGROUND_CALL_SMS_WEBHOOK_URL: smsUrl,
      PARLEY_BACKGROUND_CALL_SMS_WEBHOOK_TOKEN: "gateway-token",
      PARLEY_BACKGROUND_CALL_SMS_FROM: "+15550009999",
    },
    {
      features: { backgroundCall: true },
      toml: [
        "[[trunks]]",
        'name = "provider"',
        `host = "${PROVIDER_IP}"`,
        `port = ${providerPort}`,
        'prefixes = ["+1"]',
        "",
      ].join("\n"),
    },
  );
  t.after(() => parley.stop());
  const callee = await StackPhone.start({ extension: "1002", password: "pw-1002", registrar: parley.target });
  t.after(() => callee.stop());
  callee.answerCalls();
  await bindContact(parley.node, "1002", callee.port);

  const started = await adminApi(parley, "POST", "/background-calls", {
    caller: "+15551230001",
    callee: "1002@parley.test",
    retryIntervalSeconds: 1,
  });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  assert.equal(started.body?.caller, "+15551230001");
  const id = started.body?.id as string;
  const job = async () => (await adminApi(parley, "GET", `/background-calls/${id}`)).body ?? {};

  const result = await provider;
  assert.equal(result.code, 0, `provider: ${describeSippResult(result)}\n${result.messages.slice(-3000)}`);
  assert.match(result.logs, /provider INVITE INVITE sip:\+15551230001@ from 1002 /, "the callee's number");
  await eventually(() => posts.length === 1, "the SMS (after the callee's prompt)", 20_000);
  const [post] = posts;
  assert.equal(post?.method, "POST");
  assert.equal(post?.url, "/sms");
  assert.equal(post?.headers["content-type"], "application/json");
  assert.equal(post?.headers.authorization, "Bearer gateway-token");
  assert.deepEqual(JSON.parse(post?.body ?? "{}"), {
    to: "+15551230001",
    text: "1002 (1002) answered your background call, but you could not be reached. Please call back.",
    from: "+15550009999",
  });
  await eventually(async () => ((await job()).log as unknown[]).length === 7, "the last step", 5000);
  const done = await job();
  assert.equal(done.state, "caller-missed");
  assert.deepEqual(
    (done.log as Array<{ state: string; event: string; detail?: string }>).map((e) => [
      e.state,
      e.event,
      e.detail,
    ]),
    [
      ["pending", "started", "by api"],
      ["trying", "trying", undefined],
      ["trying", "attempt", "call 1 to 1002@parley.test"],
      ["callee-answered", "callee answered", undefined],
      ["calling-caller", "calling caller", "+15551230001"],
      ["caller-missed", "caller missed", "NO_USER_RESPONSE"],
      ["caller-missed", "caller told", "SMS"],
    ],
  );
  assert.equal(callee.answered.length, 1, "the callee answered once");
  await eventually(() => parley.node.sip.calls.calls.length === 0, "Parley to hang up on the callee", 5000);
  assert.equal(posts.length, 1, "one SMS");
});
