import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BARESIP_HOW_TO_GET, BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
import { missingPeer } from "../../support/peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";

/** Real-time bound for a peer process to show something (not a protocol timer). */
const DEADLINE_MS = 10_000;

async function until(what: string, done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited += 50) {
    if (waited >= DEADLINE_MS) throw new Error(`baresip: no ${what} within ${DEADLINE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The message-summary bodies baresip printed, in order. Its mwi module hands each NOTIFY body to
 * the menu module, which prints "----- MWI for <aor> -----" and the body as received.
 */
function mwiBodies(output: string): string[] {
  return output
    .split(/^----- MWI for \S+ -----\r?\n/m)
    .slice(1)
    .map((block) => block.split(/\r?\n\r?\n/)[0] ?? "");
}

describe("message-waiting indication against baresip (real phone, mwi module)", () => {
  test("baresip subscribes with digest auth and shows Messages-Waiting yes, then no, as the mailbox changes", async (t) => {
    if (!HAS_BARESIP) {
      missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
      return;
    }
    const parley = await startSipTestNode(["4101"]);
    let phone: BaresipPhone | undefined;
    // The phone quits first (it unsubscribes while Parley still answers), then the node stops.
    t.after(async () => {
      await phone?.quit();
      await parley.stop();
    });
    const aor = "sip:4101@parley.test";
    const mwi = parley.node.sip.messageWaiting;
    mwi.lookup = async () => ({ new: 0, old: 0 });
    const answered: number[] = [];
    mwi.on("notified", (notified, notice) => {
      if (notified === aor && notice.kind === "subscription") answered.push(notice.status);
    });
    phone = await BaresipPhone.start({
      extension: "4101",
      password: "pw-4101",
      registrar: parley.target,
      toneHz: 440,
      seconds: 60,
    });
    await until("registration", () => parley.node.sip.location.lookup(aor).length > 0);
    // test/support/baresip.ts does not load mwi, and baresip's mwi module subscribes when a user
    // agent registers: load it, then add a user agent for the same account, which registers
    // (the first one stays registered too).
    const loaded = await phone.command("insmod", "mwi");
    assert.ok(loaded.ok, loaded.data);
    const added = await phone.command(
      "uanew",
      `<sip:4101@${parley.target};transport=udp>;auth_pass=pw-4101;regint=300`,
    );
    assert.ok(added.ok, added.data);

    await until("initial NOTIFY answered", () => answered.length >= 1);
    assert.match(phone.output, /mwi: subscribing to messages for sip:4101@/);
    assert.deepEqual(mwi.subscriptions(), new Map([[aor, 1]]));
    await until("initial message summary printed", () => mwiBodies(phone.output).length >= 1);
    assert.match(mwiBodies(phone.output)[0] ?? "", /^Messages-Waiting: no$/m);

    mwi.update(aor, { new: 1, old: 0 });
    await until("NOTIFY of the new message", () => mwiBodies(phone.output).length >= 2);
    const lit = mwiBodies(phone.output)[1] ?? "";
    assert.match(lit, /^Messages-Waiting: yes$/m);
    assert.match(lit, /^Voice-Message: 1\/0 \(0\/0\)$/m);
    assert.match(lit, /^Message-Account: sip:4101@parley\.test$/m);

    mwi.update(aor, { new: 0, old: 1 });
    await until("NOTIFY of the heard message", () => mwiBodies(phone.output).length >= 3);
    const dark = mwiBodies(phone.output)[2] ?? "";
    assert.match(dark, /^Messages-Waiting: no$/m);
    assert.match(dark, /^Voice-Message: 0\/1 \(0\/0\)$/m);
    assert.deepEqual(answered, [200, 200, 200], "baresip answered every NOTIFY 200");
  });
});
