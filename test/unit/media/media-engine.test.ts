import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { silentLogger } from "../../../src/kernel/log.ts";
import { MediaEngine, SessionDescription } from "../../../src/media/index.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { rtpSession, until } from "../../support/media-legs.ts";

function offerFrom(port: number, codecs = "8 0 101") {
  return SessionDescription.parse(
    [
      "v=0",
      "o=phone 1 1 IN IP4 127.0.0.1",
      "s=-",
      "c=IN IP4 127.0.0.1",
      "t=0 0",
      `m=audio ${port} RTP/AVP ${codecs}`,
      "a=rtpmap:8 PCMA/8000",
      "a=rtpmap:0 PCMU/8000",
      "a=rtpmap:101 telephone-event/8000",
      "a=fmtp:101 0-16",
      "a=sendrecv",
      "",
    ].join("\r\n"),
  );
}

describe("MediaEngine", () => {
  test("answers an offer with an endpoint pointed at the offerer, and media flows both ways", async (t) => {
    const clock = new FakeClock();
    const engine = new MediaEngine({
      address: "127.0.0.1",
      portMin: 46000,
      portMax: 47999,
      clock,
      logger: silentLogger(),
    });
    t.after(() => engine.close());
    const phone = await rtpSession();
    t.after(() => phone.close());
    const result = await engine.answer(offerFrom(phone.port));
    assert.ok(!("error" in result), "the offer is acceptable");
    const { endpoint, answer } = result;
    assert.equal(endpoint.codec, "PCMU", "our preferred G.711 law among those offered");
    assert.equal(endpoint.payloadType, 0);
    assert.equal(endpoint.telephoneEventPayloadType, 101);
    const audio = answer.media[0];
    assert.equal(audio?.port, endpoint.session.port, "the answer names our RTP port");
    phone.setRemote({ address: "127.0.0.1", port: endpoint.session.port });
    let heard = 0;
    endpoint.session.on("packet", () => {
      heard += 1;
    });
    phone.send(new Uint8Array(160), { payloadType: 0 });
    await until(() => heard === 1, "the phone's packet at the endpoint");
    let back = 0;
    phone.on("packet", () => {
      back += 1;
    });
    endpoint.session.send(new Uint8Array(160), { payloadType: 0 });
    await until(() => back === 1, "the endpoint's packet at the phone");
  });

  test("an offer without G.711 is not acceptable (488) and leaves no port open", async (t) => {
    const engine = new MediaEngine({
      address: "127.0.0.1",
      portMin: 48000,
      portMax: 48999,
      clock: new FakeClock(),
      logger: silentLogger(),
    });
    t.after(() => engine.close());
    const result = await engine.answer(
      SessionDescription.parse(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n",
      ),
    );
    assert.ok("error" in result);
    assert.equal(engine.portsInUse, 0);
  });

  test("close() closes every endpoint, bridge, mixer and player it made and releases the ports", async () => {
    const clock = new FakeClock();
    const engine = new MediaEngine({
      address: "127.0.0.1",
      portMin: 49000,
      portMax: 49999,
      clock,
      logger: silentLogger(),
    });
    const a = await engine.answer(offerFrom(40000));
    const b = await engine.answer(offerFrom(40002, "0"));
    assert.ok(!("error" in a) && !("error" in b));
    const bridge = engine.bridge(a.endpoint, b.endpoint);
    engine.conference();
    const player = engine.player(a.endpoint);
    player.play([{ kind: "tone", tone: "ringback" }]);
    assert.equal(engine.portsInUse, 2);
    assert.equal(engine.size, 5);
    engine.close();
    assert.equal(engine.portsInUse, 0);
    assert.equal(engine.size, 0);
    assert.equal(bridge.closed, true);
    assert.equal(player.playing, false);
    assert.equal(a.endpoint.session.closed, true);
    assert.throws(() => engine.conference(), /closed/);
    engine.close();
  });

  test("a bridge, mixer, player or endpoint closed by its user leaves the engine at once", async () => {
    const engine = new MediaEngine({
      address: "127.0.0.1",
      portMin: 49000,
      portMax: 49999,
      clock: new FakeClock(),
      logger: silentLogger(),
    });
    const a = await engine.answer(offerFrom(40000));
    const b = await engine.answer(offerFrom(40002, "0"));
    assert.ok(!("error" in a) && !("error" in b));
    const made = [engine.bridge(a.endpoint, b.endpoint), engine.conference(), engine.player(a.endpoint)];
    assert.equal(engine.size, 5);
    for (const [index, child] of made.entries()) {
      child.close();
      assert.equal(engine.size, 4 - index);
    }
    a.endpoint.close();
    b.endpoint.close();
    assert.equal(engine.size, 0);
    assert.equal(engine.portsInUse, 0);
    engine.close();
  });
});
