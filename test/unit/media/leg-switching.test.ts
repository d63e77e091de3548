import assert from "node:assert/strict";
import { test } from "node:test";
import { ConferenceMixer, encodeG711, Player, RelayBridge } from "../../../src/media/index.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { mediaLeg, toneFrame, until } from "../../support/media-legs.ts";

test("a leg switched from a prompt to ring-back to the other party hears one continuous stream, marked at each switch", async (t) => {
  const clock = new FakeClock();
  const caller = await mediaLeg("PCMU", clock);
  const callee = await mediaLeg("PCMU", clock);
  t.after(() => {
    caller.close();
    callee.close();
  });
  // 1. A prompt (200 ms of silence stands in for it), then 2. ring-back, both from Parley's player.
  const player = new Player({ endpoint: caller.endpoint, clock });
  player.play([{ kind: "silence", ms: 200 }]);
  for (let i = 0; i < 12 && player.playing; i++) clock.advance(20);
  player.play([{ kind: "tone", tone: "ringback" }]);
  for (let i = 0; i < 10; i++) clock.advance(20);
  player.stop();
  // 3. The callee answers: its audio is bridged to the caller.
  const bridge = new RelayBridge(caller.endpoint, callee.endpoint);
  t.after(() => bridge.close());
  for (let i = 0; i < 10; i++) callee.peer.send(encodeG711("PCMU", toneFrame(1000, i)), { payloadType: 0 });
  await until(() => caller.heard.length >= 30, "30 frames at the caller");

  const heard = caller.heard;
  assert.ok(
    heard.every((p) => p.ssrc === caller.endpoint.session.ssrc),
    "one SSRC throughout",
  );
  for (let i = 1; i < heard.length; i++) {
    assert.equal(
      heard[i]?.sequenceNumber,
      ((heard[i - 1]?.sequenceNumber ?? 0) + 1) & 0xffff,
      `no sequence gap at ${i}`,
    );
    assert.equal(
      heard[i]?.timestamp,
      ((heard[i - 1]?.timestamp ?? 0) + 160) >>> 0,
      `no timestamp gap at ${i}`,
    );
  }
  const marks = heard.map((p, i) => (p.marker ? i : -1)).filter((i) => i >= 0);
  assert.deepEqual(
    marks,
    [0, 10, 20],
    "the marker bit flags the start of the prompt, the ring-back and the callee's audio",
  );
});

test("a leg moved from a bridge into a conference and back hears one SSRC with no sequence gap", async (t) => {
  const clock = new FakeClock();
  const caller = await mediaLeg("PCMU", clock);
  const callee = await mediaLeg("PCMU", clock);
  const third = await mediaLeg("PCMU", clock);
  t.after(() => {
    caller.close();
    callee.close();
    third.close();
  });
  // 1. Bridged to the callee.
  let bridge = new RelayBridge(caller.endpoint, callee.endpoint);
  for (let i = 0; i < 10; i++) callee.peer.send(encodeG711("PCMU", toneFrame(1000, i)), { payloadType: 0 });
  await until(() => caller.heard.length >= 10, "10 relayed frames");
  bridge.close();
  // 2. Into a conference with a third party: the mixer sends the caller a frame every 20 ms.
  const mixer = new ConferenceMixer({ clock });
  t.after(() => mixer.close());
  mixer.join("caller", caller.endpoint);
  mixer.join("third", third.endpoint);
  for (let i = 0; i < 10; i++) {
    third.peer.send(encodeG711("PCMU", toneFrame(2000, i)), { payloadType: 0 });
    await until(() => third.endpoint.session.stats.received > i, `third's frame ${i}`);
    clock.advance(20);
  }
  await until(() => caller.heard.length >= 20, "10 mixed frames");
  mixer.leave("caller");
  // 3. Back to the callee.
  bridge = new RelayBridge(caller.endpoint, callee.endpoint);
  t.after(() => bridge.close());
  for (let i = 10; i < 20; i++) callee.peer.send(encodeG711("PCMU", toneFrame(1000, i)), { payloadType: 0 });
  await until(() => caller.heard.length >= 30, "10 more relayed frames");

  const heard = caller.heard.slice(0, 30);
  assert.ok(
    heard.every((p) => p.ssrc === caller.endpoint.session.ssrc),
    "one SSRC through bridge, conference and bridge",
  );
  for (let i = 1; i < heard.length; i++) {
    assert.equal(
      heard[i]?.sequenceNumber,
      ((heard[i - 1]?.sequenceNumber ?? 0) + 1) & 0xffff,
      `no sequence gap at ${i}`,
    );
    const step = ((heard[i]?.timestamp ?? 0) - (heard[i - 1]?.timestamp ?? 0)) >>> 0;
    assert.ok(
      step > 0 && step % 160 === 0 && step < 160 * 100,
      `timestamps move forward by whole frames at ${i}: ${step}`,
    );
  }
});
