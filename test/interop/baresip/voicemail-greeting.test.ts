import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { readWav } from "../../../src/media/index.ts";
import { BARESIP_HOW_TO_GET, BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
import { eventually } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { dominantTone } from "../../support/tone-probe.ts";

const BOB = "1002@parley.test";

describe("recording a greeting by phone", () => {
  test("after the messages the menu offers the options: 1 records a greeting (until #), which becomes the mailbox's greeting", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1002"], {}, { features: { voicemail: true } });
    t.after(() => parley.stop());
    const bob = await BaresipPhone.start({
      extension: "1002",
      password: "pw-1002",
      registrar: parley.target,
      toneHz: 800,
      seconds: 60,
    });
    t.after(() => bob.kill());
    await eventually(() => parley.node.sip.location.lookup(`sip:${BOB}`).length === 1, "1002 to register");
    assert.equal((await bob.command("dial", `sip:*98@${parley.target}`)).ok, true);
    await eventually(
      () => parley.node.sip.calls.calls[0]?.parties[0]?.answered === true,
      "the menu to answer",
    );
    await sleep(5000); // "You have no new messages." "There are no more messages." then the options: 1 cuts in
    assert.equal((await bob.command("sndcode", "1")).ok, true);
    await sleep(7000); // "Record your greeting after the tone…" (4 s), the beep, then 800 Hz is recorded
    assert.equal((await bob.command("sndcode", "#")).ok, true);
    await eventually(
      async () => (await parley.node.voicemail.service.settings(BOB))?.greeting !== undefined,
      "the greeting stored",
    );
    const greeting = (await parley.node.voicemail.service.settings(BOB))?.greeting as Buffer;
    const samples = readWav(greeting).samples[0] as Int16Array;
    assert.ok(samples.length / 8000 >= 1, `${samples.length / 8000} s recorded`);
    assert.equal(dominantTone(samples, 8000, [800, 1000, 2000]).frequency, 800, "the phone's own voice");
    assert.equal((await bob.command("sndcode", "*")).ok, true);
    await eventually(() => parley.node.sip.calls.calls.length === 0, "the menu to end", 20_000);
    await bob.quit();
  });
});
