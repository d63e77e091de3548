import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { AmdVerdict } from "../../../src/calls/index.ts";
import { readWav, wavHeader } from "../../../src/media/index.ts";
import { BARESIP_HOW_TO_GET, BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
import { eventually } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";

const FIXTURES = new URL("../../fixtures/audio/", import.meta.url);

/**
 * A fixture (8 kHz mono) as baresip's aufile wants it, 48 kHz stereo 16-bit, written to a temp
 * dir: each sample interpolated linearly to six (baresip filters and resamples it back to 8 kHz
 * for G.711), so no sox is needed.
 */
function aufileVersion(name: string): string {
  const mono = readWav(readFileSync(new URL(`${name}.wav`, FIXTURES))).samples[0] as Int16Array;
  const out = new Int16Array(mono.length * 6 * 2);
  for (let i = 0; i < mono.length; i++) {
    const a = mono[i] as number;
    const b = mono[i + 1] ?? a;
    for (let k = 0; k < 6; k++) {
      const v = Math.round(a + ((b - a) * k) / 6);
      out[(i * 6 + k) * 2] = v;
      out[(i * 6 + k) * 2 + 1] = v;
    }
  }
  const file = join(mkdtempSync(join(tmpdir(), "parley-amd-")), `${name}-48k.wav`);
  writeFileSync(file, Buffer.concat([wavHeader(48_000, 2, out.byteLength), Buffer.from(out.buffer)]));
  return file;
}

/**
 * Starts a baresip phone for `extension` that answers at once and speaks `fixture`, places a call to it
 * from the server, and runs answering-machine detection on the answered phone.
 */
async function verdictFor(parley: SipTestNode, extension: string, fixture: string): Promise<AmdVerdict> {
  const phone = await BaresipPhone.start({
    extension,
    password: `pw-${extension}`,
    registrar: parley.target,
    toneHz: 1000,
    audioFile: aufileVersion(fixture),
    autoAnswer: true,
    seconds: 30,
  });
  try {
    await eventually(
      () => parley.node.sip.location.lookup(`sip:${extension}@parley.test`).length === 1,
      `${extension} to register`,
    );
    const verdict = await new Promise<AmdVerdict>((resolve, reject) => {
      const call = parley.node.sip.calls.originate(
        { kind: "user", extension },
        {
          service: "amd-test",
          app: async (session, party) => {
            try {
              resolve(await session.detectAnsweringMachine(party));
              session.hangup();
            } catch (error) {
              reject(error);
            }
          },
        },
      );
      call.once("ended", () => reject(new Error(`the call ended without a verdict\n${phone.output}`)));
    });
    await eventually(() => parley.node.sip.calls.calls.length === 0, "the call to end after the verdict");
    return verdict;
  } finally {
    await phone.quit();
  }
}

describe("answering-machine detection on a baresip phone that answers with a recording", () => {
  test("a recorded voicemail greeting is a machine, a short 'hello' is a human", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1002", "1003", "1004"]);
    t.after(() => parley.stop());

    const machine = await verdictFor(parley, "1002", "amd-greeting");
    assert.equal(machine.result, "machine", JSON.stringify(machine));
    assert.ok(["long-greeting", "too-many-words", "beep"].includes(machine.reason), machine.reason);

    const human = await verdictFor(parley, "1003", "amd-hello");
    assert.deepEqual(
      { result: human.result, reason: human.reason },
      { result: "human", reason: "human-pattern" },
    );

    const who = await verdictFor(parley, "1004", "amd-hello-who");
    assert.equal(who.result, "human", JSON.stringify(who));
  });
});
