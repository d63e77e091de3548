import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { AmdVerdict, Call, CallParty } from "../../../src/calls/index.ts";
import { SystemClock } from "../../../src/kernel/clock.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import { MediaEngine, SessionDescription } from "../../../src/media/index.ts";
import {
  DEFAULT_PARSE_LIMITS,
  DEFAULT_TIMERS,
  type InviteSession,
  SipStack,
} from "../../../src/sip/index.ts";
import { bindContact, eventually } from "../../support/call-peers.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/audio/${name}.wav`, import.meta.url));

/**
 * A phone made of Parley's own SIP stack and media engine that answers every call at once and
 * speaks a WAV into it (an answering machine's greeting, or a person's "hello?"), then sends
 * silence, as a phone does while its user waits.
 */
async function speakingPhone(wav: string) {
  const clock = new SystemClock();
  const logger = silentLogger();
  const stack = new SipStack({
    host: "127.0.0.1",
    port: 0,
    limits: DEFAULT_PARSE_LIMITS,
    timers: DEFAULT_TIMERS,
    idleTimeoutMs: 60_000,
    clock,
    logger,
    product: "parley-test-answerer",
  });
  await stack.start();
  const engine = new MediaEngine({ address: "127.0.0.1", portMin: 44_000, portMax: 48_000, clock, logger });
  const sessions: InviteSession[] = [];
  stack.onInvite((invite) => {
    void (async () => {
      const offer = invite.offer;
      if (!offer) return invite.reject(488);
      const result = await engine.answer(SessionDescription.parse(offer.data.toString("utf8")));
      if ("error" in result) return invite.reject(488);
      const body = { contentType: "application/sdp", data: Buffer.from(result.answer.serialize()) };
      sessions.push(invite.accept({ body }));
      engine.player(result.endpoint).play([
        { kind: "file", path: wav },
        { kind: "silence", ms: 10_000 },
      ]);
    })();
  });
  return {
    port: stack.local.port("udp"),
    sessions,
    async stop() {
      engine.close();
      await stack.stop();
    },
  };
}

/** Places a call from the server to 1002 and runs AMD on it as soon as it is answered. */
async function detectOn(
  parley: SipTestNode,
  wav: string,
  options: { hangUpDuring?: boolean } = {},
): Promise<{ verdict: AmdVerdict; call: Call; party: CallParty }> {
  const phone = await speakingPhone(wav);
  try {
    await bindContact(parley.node, "1002", phone.port);
    const outcome = new Promise<{ verdict: AmdVerdict; call: Call; party: CallParty }>((resolve, reject) => {
      parley.node.sip.calls.originate(
        { kind: "user", extension: "1002" },
        {
          service: "amd-test",
          app: async (call, party) => {
            try {
              const detecting = call.detectAnsweringMachine(party);
              if (options.hangUpDuring) call.hangup(party);
              const verdict = await detecting;
              call.hangup();
              resolve({ verdict, call, party });
            } catch (error) {
              reject(error);
            }
          },
        },
      );
    });
    const result = await outcome;
    await eventually(() => result.call.ended, "the call to end after the verdict");
    return result;
  } finally {
    await phone.stop();
  }
}

describe("CallSession.detectAnsweringMachine on a call Parley placed", () => {
  test("a phone that plays a voicemail greeting is a machine; one that says hello and waits is a human", async (t) => {
    const parley = await startSipTestNode(["1002"]);
    t.after(() => parley.stop());

    const machine = await detectOn(parley, fixture("amd-greeting"));
    assert.equal(machine.verdict.result, "machine", JSON.stringify(machine.verdict));
    assert.ok(["long-greeting", "too-many-words", "beep"].includes(machine.verdict.reason));
    assert.ok(machine.verdict.afterMs < 5000);

    const human = await detectOn(parley, fixture("amd-hello"));
    assert.deepEqual(
      { result: human.verdict.result, reason: human.verdict.reason },
      { result: "human", reason: "human-pattern" },
    );
    assert.ok(human.verdict.afterMs >= 900 && human.verdict.afterMs < 2500, `${human.verdict.afterMs} ms`);

    const who = await detectOn(parley, fixture("amd-hello-who"));
    assert.equal(who.verdict.result, "human", JSON.stringify(who.verdict));
  });

  test("a party that hangs up during detection, or already has, gives unknown (hangup) at once", async (t) => {
    const parley = await startSipTestNode(["1002"]);
    t.after(() => parley.stop());
    const { verdict, call, party } = await detectOn(parley, fixture("amd-greeting"), { hangUpDuring: true });
    assert.deepEqual(verdict, { result: "unknown", reason: "hangup", afterMs: 0 });
    assert.deepEqual(await call.detectAnsweringMachine(party), {
      result: "unknown",
      reason: "hangup",
      afterMs: 0,
    });
  });
});
