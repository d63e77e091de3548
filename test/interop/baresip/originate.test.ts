import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BARESIP_HOW_TO_GET, BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
import { eventually } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { goertzel, rms } from "../../support/tone-probe.ts";

/** Reads a text/event-stream response to its end and returns the `data` of each event. */
async function readEvents(response: Response): Promise<Array<Record<string, unknown>>> {
  const text = await response.text();
  return text
    .split("\n\n")
    .map((block) => block.split("\n").find((line) => line.startsWith("data: ")))
    .filter((line): line is string => line !== undefined)
    .map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>);
}

describe("POST /api/v1/calls places a call from the server (baresip answers)", () => {
  test("the phone rings and answers, hears the tone then the prompt; SSE reports each step in order", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1003"]);
    t.after(() => parley.stop());
    const phone = await BaresipPhone.start({
      extension: "1003",
      password: "pw-1003",
      registrar: parley.target,
      toneHz: 600,
      autoAnswer: true,
      seconds: 10,
    });
    t.after(() => phone.kill());
    await eventually(
      () => parley.node.sip.location.lookup("sip:1003@parley.test").length === 1,
      "1003 to register",
    );

    const headers = { authorization: `Bearer ${parley.adminToken}`, "content-type": "application/json" };
    const created = await fetch(`${parley.api}/calls`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        to: "1003",
        callerId: { number: "5000", name: "Parley" },
        play: [{ toneHz: 1000, ms: 1500 }, { prompt: "goodbye" }],
      }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const call = (await created.json()) as { id: string; state: string; kind: string };
    assert.equal(call.kind, "originate");
    assert.equal(call.state, "dialling");

    const stream = await fetch(`${parley.api}/calls/${call.id}/events`, { headers });
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get("content-type") ?? "", /text\/event-stream/);
    const events = await readEvents(stream);
    assert.deepEqual(
      events.map((e) => e.type),
      ["created", "ringing", "answered", "hungup", "ended"],
      JSON.stringify(events),
    );
    assert.deepEqual(
      events.map((e) => e.seq),
      [1, 2, 3, 4, 5],
    );
    assert.equal(events[3]?.cause, "NORMAL_CLEARING", "Parley hung up after the prompt");

    const status = (await (await fetch(`${parley.api}/calls/${call.id}`, { headers })).json()) as {
      state: string;
      answeredAt?: string;
      endedAt?: string;
    };
    assert.equal(status.state, "ended");
    assert.ok(status.answeredAt && status.endedAt);

    await eventually(() => /terminated|closed/.test(phone.output), "the phone to see the BYE", 5000);
    await phone.quit();
    const heard = phone.heard();
    assert.ok(heard && heard.length > 8000 * 2, `the phone heard audio\n${phone.output}`);
    const tone = heard.subarray(2000, 2000 + 8000);
    assert.ok(
      goertzel(tone, 8000, 1000) > 20 * goertzel(tone, 8000, 600),
      "first the 1 kHz tone, not its own 600 Hz",
    );
    const prompt = heard.subarray(8000 * 1.6, 8000 * 2.6);
    assert.ok(rms(prompt) > 0.01, "then the prompt (speech), not silence");
    assert.ok(goertzel(prompt, 8000, 1000) < goertzel(tone, 8000, 1000) / 20, "the prompt is not the tone");

    const cdrs = await parley.node.cdrs.list({});
    assert.equal(cdrs[0]?.kind, "originate");
    assert.equal(cdrs[0]?.disposition, "answered");
    assert.equal(cdrs[0]?.service, "api");
  });

  test("a call to an extension nobody registered ends at once with SUBSCRIBER_ABSENT", async (t) => {
    const parley = await startSipTestNode(["1004"]);
    t.after(() => parley.stop());
    const headers = { authorization: `Bearer ${parley.adminToken}`, "content-type": "application/json" };
    const created = await fetch(`${parley.api}/calls`, {
      method: "POST",
      headers,
      body: JSON.stringify({ to: "1004" }),
    });
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as { id: string };
    const events = await readEvents(await fetch(`${parley.api}/calls/${id}/events`, { headers }));
    assert.deepEqual(
      events.map((e) => [e.type, e.cause]),
      [
        ["created", undefined],
        ["ended", "SUBSCRIBER_ABSENT"],
      ],
    );
    const unknown = await fetch(`${parley.api}/calls/nope`, { headers });
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, "CALL_NOT_FOUND");
  });
});
