import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  answerOffer,
  createOffer,
  hold,
  type LocalMedia,
  mirrorDirection,
  resume,
  SdpError,
  SessionDescription,
} from "../../../../src/media/index.ts";

const sdp = (...lines: string[]) => `${lines.join("\r\n")}\r\n`;

const LOCAL: LocalMedia = {
  address: "198.51.100.7",
  port: 30000,
  codecs: ["PCMU", "PCMA"],
  telephoneEvent: true,
  sessionId: "4711",
};

/** A softphone (Linphone/Zoiper style) offering opus, PCMU, PCMA and telephone-event 101. */
const SOFTPHONE_OFFER = sdp(
  "v=0",
  "o=alice 3724394400 3724394401 IN IP4 192.0.2.10",
  "s=Talk",
  "c=IN IP4 192.0.2.10",
  "t=0 0",
  "m=audio 7078 RTP/AVP 96 0 8 101",
  "a=rtpmap:96 opus/48000/2",
  "a=fmtp:96 useinbandfec=1",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-16",
  "a=ptime:20",
  "a=rtcp-mux",
);

/** Audio plus video; c= only at media level; dynamic telephone-event PT 100. */
const AUDIO_VIDEO_OFFER = sdp(
  "v=0",
  "o=- 1234567890123456789 2 IN IP4 203.0.113.5",
  "s=-",
  "t=0 0",
  "m=audio 49170 RTP/AVP 8 0 100",
  "c=IN IP4 203.0.113.5",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:100 telephone-event/8000",
  "a=ptime:30",
  "m=video 51372 RTP/AVP 97 31",
  "c=IN IP4 203.0.113.5",
  "a=rtpmap:97 H264/90000",
);

test("SessionDescription parses media lines with session-level c=, rtpmap, fmtp, ptime and rtcp-mux", () => {
  const offer = SessionDescription.parse(SOFTPHONE_OFFER);
  assert.equal(offer.media.length, 1);
  const audio = offer.media[0];
  assert.ok(audio);
  assert.equal(audio.type, "audio");
  assert.equal(audio.port, 7078);
  assert.equal(audio.connectionAddress, "192.0.2.10");
  assert.deepEqual(audio.remote, { address: "192.0.2.10", port: 7078 });
  assert.deepEqual(
    audio.payloadFormats.map((f) => [f.payloadType, f.encoding, f.clockRate]),
    [
      [96, "opus", 48000],
      [0, "PCMU", 8000],
      [8, "PCMA", 8000],
      [101, "telephone-event", 8000],
    ],
  );
  assert.equal(audio.payloadFormats[3]?.fmtp, "0-16");
  assert.equal(audio.ptime, 20);
  assert.equal(audio.rtcpMux, true);
  assert.equal(audio.direction, "sendrecv", "RFC 3264 §5.1 default");
});

test("SessionDescription uses media-level c= and keeps a 64-bit session id exactly", () => {
  const offer = SessionDescription.parse(AUDIO_VIDEO_OFFER);
  assert.equal(offer.connectionAddress, undefined);
  assert.equal(offer.media[0]?.connectionAddress, "203.0.113.5");
  assert.equal(offer.sessionId, "1234567890123456789");
  assert.equal(offer.sessionVersion, 2);
  assert.match(offer.serialize(), /^o=- 1234567890123456789 2 IN IP4/m);
});

test("SessionDescription takes the session-level direction when the m= line has none", () => {
  const offer = SessionDescription.parse(
    sdp(
      "v=0",
      "o=- 1 1 IN IP4 192.0.2.1",
      "s=-",
      "c=IN IP4 192.0.2.1",
      "t=0 0",
      "a=recvonly",
      "m=audio 4000 RTP/AVP 0",
    ),
  );
  assert.equal(offer.media[0]?.direction, "recvonly");
});

test("SessionDescription.parse throws SdpError MEDIA_SDP for unusable SDP", () => {
  const cases = [
    "",
    "hello",
    sdp("v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "t=0 0", "m=audio 4000 RTP/AVP 0"), // no c=
    sdp("v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "c=IN IP4 192.0.2.1", "t=0 0", "m=audio 70000 RTP/AVP 0"),
    sdp("v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "c=IN IP4 192.0.2.1", "t=0 0", "m=audio x RTP/AVP 0"),
    sdp("v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "c=IN IP4 192.0.2.1", "t=0 0", "m=audio 4000 RTP/AVP 300"),
    sdp("v=0", "s=-", "c=IN IP4 192.0.2.1", "t=0 0", "m=audio 4000 RTP/AVP 0"), // no o=
  ];
  for (const text of cases) {
    assert.throws(
      () => SessionDescription.parse(text),
      (error: unknown) => error instanceof SdpError && error.code === "MEDIA_SDP",
      JSON.stringify(text),
    );
  }
});

test("SessionDescription accepts a rejected stream without c=", () => {
  const offer = SessionDescription.parse(
    sdp("v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "t=0 0", "m=video 0 RTP/AVP 31"),
  );
  assert.equal(offer.media[0]?.active, false);
  assert.equal(offer.media[0]?.remote, undefined);
});

test("answerOffer accepts PCMU from a softphone offer with the offerer's payload types and telephone-event", () => {
  const result = answerOffer(SessionDescription.parse(SOFTPHONE_OFFER), LOCAL);
  assert.ok("answer" in result, JSON.stringify(result));
  assert.deepEqual(result.audio, {
    codec: "PCMU",
    payloadType: 0,
    telephoneEventPayloadType: 101,
    remote: { address: "192.0.2.10", port: 7078 },
    ptime: 20,
    direction: "sendrecv",
    mediaIndex: 0,
  });
  const line = result.answer.media[0];
  assert.ok(line);
  assert.equal(result.answer.media.length, 1);
  assert.equal(line.port, 30000);
  assert.equal(line.connectionAddress, "198.51.100.7");
  assert.deepEqual(line.formats, ["0", "101"]);
  assert.equal(line.payloadFormats[1]?.fmtp, "0-16");
  assert.equal(line.ptime, 20);
  assert.equal(line.direction, "sendrecv");
  assert.equal(result.answer.sessionId, "4711");
  assert.equal(result.answer.sessionVersion, 1);
});

test("answerOffer prefers the local order among offered codecs", () => {
  const offer = SessionDescription.parse(SOFTPHONE_OFFER);
  const result = answerOffer(offer, { ...LOCAL, codecs: ["PCMA", "PCMU"] });
  assert.ok("answer" in result);
  assert.equal(result.audio.codec, "PCMA");
  assert.equal(result.audio.payloadType, 8);
});

test("answerOffer keeps m= count and order, rejects video with port 0 and the same formats", () => {
  const result = answerOffer(SessionDescription.parse(AUDIO_VIDEO_OFFER), LOCAL);
  assert.ok("answer" in result);
  const [audio, video] = result.answer.media;
  assert.equal(result.answer.media.length, 2);
  assert.equal(audio?.type, "audio");
  assert.equal(audio?.port, 30000);
  assert.deepEqual(audio?.formats, ["0", "100"], "telephone-event keeps the offerer's dynamic PT 100");
  assert.equal(audio?.payloadFormats[1]?.fmtp, "0-15", "RFC 4733 default events when the offer has no fmtp");
  assert.equal(video?.type, "video");
  assert.equal(video?.port, 0);
  assert.deepEqual(video?.formats, ["97", "31"]);
  assert.equal(result.audio.ptime, 30, "send at the ptime the offerer asked for");
  assert.match(result.answer.serialize(), /^m=video 0 RTP\/AVP 97 31\r$/m);
});

test("answerOffer uses the offerer's dynamic payload type for G.711 and omits telephone-event when disabled", () => {
  const offer = SessionDescription.parse(
    sdp(
      "v=0",
      "o=- 5 5 IN IP4 192.0.2.20",
      "s=-",
      "c=IN IP4 192.0.2.20",
      "t=0 0",
      "m=audio 5004 RTP/AVP 112 113",
      "a=rtpmap:112 PCMA/8000",
      "a=rtpmap:113 telephone-event/8000",
    ),
  );
  const result = answerOffer(offer, { ...LOCAL, telephoneEvent: false });
  assert.ok("answer" in result);
  assert.equal(result.audio.codec, "PCMA");
  assert.equal(result.audio.payloadType, 112);
  assert.equal(result.audio.telephoneEventPayloadType, undefined);
  assert.deepEqual(result.answer.media[0]?.formats, ["112"]);
  assert.equal(result.answer.media[0]?.payloadFormats[0]?.encoding, "PCMA");
});

test("answerOffer mirrors directions: sendonly→recvonly, recvonly→sendonly, inactive→inactive", () => {
  for (const [offered, answered] of [
    ["sendonly", "recvonly"],
    ["recvonly", "sendonly"],
    ["inactive", "inactive"],
    ["sendrecv", "sendrecv"],
  ] as const) {
    const offer = SessionDescription.parse(
      SOFTPHONE_OFFER.replace("a=ptime:20", `a=ptime:20\r\na=${offered}`),
    );
    const result = answerOffer(offer, LOCAL);
    assert.ok("answer" in result);
    assert.equal(result.audio.direction, answered, offered);
    assert.equal(result.answer.media[0]?.direction, answered, offered);
    assert.equal(mirrorDirection(offered), answered);
  }
});

test("answerOffer treats an RFC 2543 c=0.0.0.0 hold as sendonly", () => {
  const offer = SessionDescription.parse(SOFTPHONE_OFFER.replaceAll("192.0.2.10", "0.0.0.0"));
  const result = answerOffer(offer, LOCAL);
  assert.ok("answer" in result);
  assert.equal(result.audio.direction, "recvonly");
});

test("answerOffer answers a hold re-offer with the next o= version of the previous answer", () => {
  const first = answerOffer(SessionDescription.parse(SOFTPHONE_OFFER), LOCAL);
  assert.ok("answer" in first);
  const reOffer = SessionDescription.parse(
    SOFTPHONE_OFFER.replace("3724394401", "3724394402").replace("a=ptime:20", "a=ptime:20\r\na=sendonly"),
  );
  const second = answerOffer(reOffer, { ...LOCAL, sessionId: "ignored", previous: first.answer });
  assert.ok("answer" in second);
  assert.equal(second.answer.sessionId, "4711");
  assert.equal(second.answer.sessionVersion, first.answer.sessionVersion + 1);
  assert.equal(second.audio.direction, "recvonly");
  const inactive = answerOffer(
    SessionDescription.parse(SOFTPHONE_OFFER.replace("a=ptime:20", "a=ptime:20\r\na=inactive")),
    { ...LOCAL, previous: second.answer },
  );
  assert.ok("answer" in inactive);
  assert.equal(inactive.audio.direction, "inactive");
  assert.equal(inactive.answer.sessionVersion, first.answer.sessionVersion + 2);
});

test("answerOffer with a local hold intersects its direction with the mirrored offer", () => {
  const result = answerOffer(SessionDescription.parse(SOFTPHONE_OFFER), { ...LOCAL, direction: "sendonly" });
  assert.ok("answer" in result);
  assert.equal(result.audio.direction, "sendonly");
});

test("answerOffer returns not-acceptable for an offer with only G.729", () => {
  const offer = SessionDescription.parse(
    sdp(
      "v=0",
      "o=- 9 9 IN IP4 192.0.2.30",
      "s=-",
      "c=IN IP4 192.0.2.30",
      "t=0 0",
      "m=audio 6000 RTP/AVP 18 101",
      "a=rtpmap:18 G729/8000",
      "a=fmtp:18 annexb=no",
      "a=rtpmap:101 telephone-event/8000",
    ),
  );
  const result = answerOffer(offer, LOCAL);
  assert.ok("error" in result);
  assert.equal(result.error, "not-acceptable");
  assert.match(result.reason, /G729/);
});

test("answerOffer returns not-acceptable when the only audio stream is disabled or the offer has no media", () => {
  const disabled = SessionDescription.parse(
    sdp("v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "c=IN IP4 192.0.2.1", "t=0 0", "m=audio 0 RTP/AVP 0"),
  );
  assert.ok("error" in answerOffer(disabled, LOCAL));
  const empty = SessionDescription.parse(sdp("v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "t=0 0"));
  assert.ok("error" in answerOffer(empty, LOCAL));
});

test("answerOffer accepts only the first acceptable audio stream", () => {
  const offer = SessionDescription.parse(
    sdp(
      "v=0",
      "o=- 1 1 IN IP4 192.0.2.1",
      "s=-",
      "c=IN IP4 192.0.2.1",
      "t=0 0",
      "m=audio 4000 RTP/AVP 18",
      "m=audio 4002 RTP/AVP 8",
      "m=audio 4004 RTP/AVP 0",
    ),
  );
  const result = answerOffer(offer, LOCAL);
  assert.ok("answer" in result);
  assert.deepEqual(
    result.answer.media.map((line) => line.port),
    [0, 30000, 0],
  );
  assert.equal(result.audio.mediaIndex, 1);
  assert.equal(result.audio.remote.port, 4002);
});

test("serialize(parse(answer)) is stable for our own answer and offer", () => {
  const result = answerOffer(SessionDescription.parse(AUDIO_VIDEO_OFFER), LOCAL);
  assert.ok("answer" in result);
  const text = result.answer.serialize();
  assert.equal(SessionDescription.parse(text).serialize(), text);
  const offer = createOffer(LOCAL).serialize();
  assert.equal(SessionDescription.parse(offer).serialize(), offer);
});

test("createOffer offers PCMU 0, PCMA 8, telephone-event 101 (0-16), ptime 20, sendrecv", () => {
  const offer = createOffer(LOCAL);
  const line = offer.media[0];
  assert.ok(line);
  assert.equal(offer.media.length, 1);
  assert.deepEqual(line.formats, ["0", "8", "101"]);
  assert.deepEqual(
    line.payloadFormats.map((f) => [f.encoding, f.clockRate, f.fmtp]),
    [
      ["PCMU", 8000, undefined],
      ["PCMA", 8000, undefined],
      ["telephone-event", 8000, "0-16"],
    ],
  );
  assert.equal(line.ptime, 20);
  assert.equal(line.direction, "sendrecv");
  assert.deepEqual(line.remote, { address: "198.51.100.7", port: 30000 });
  assert.equal(offer.sessionId, "4711");
  assert.equal(offer.sessionVersion, 1);
  const reOffer = createOffer({ ...LOCAL, previous: offer });
  assert.equal(reOffer.sessionId, "4711");
  assert.equal(reOffer.sessionVersion, 2);
});

test("an offer we create is accepted by our own answerer", () => {
  const result = answerOffer(createOffer(LOCAL), { ...LOCAL, sessionId: "99", codecs: ["PCMA"] });
  assert.ok("answer" in result);
  assert.equal(result.audio.codec, "PCMA");
  assert.equal(result.audio.telephoneEventPayloadType, 101);
});

test("hold and resume produce re-offers with sendonly / sendrecv and incremented versions", () => {
  const offer = createOffer(LOCAL);
  const held = hold(offer);
  assert.equal(held.media[0]?.direction, "sendonly");
  assert.equal(held.sessionVersion, offer.sessionVersion + 1);
  assert.equal(held.sessionId, offer.sessionId);
  const resumed = resume(held);
  assert.equal(resumed.media[0]?.direction, "sendrecv");
  assert.equal(resumed.sessionVersion, offer.sessionVersion + 2);
  assert.equal(offer.media[0]?.direction, "sendrecv", "descriptions are immutable");
  const recvonly = createOffer({ ...LOCAL, direction: "recvonly" });
  assert.equal(hold(recvonly).media[0]?.direction, "inactive", "RFC 3264 §8.4: recvonly on hold is inactive");
  assert.equal(offer.nextVersion().sessionVersion, 2);
});

const CODECS = {
  PCMU: { pt: 0, rtpmap: "PCMU/8000" },
  PCMA: { pt: 8, rtpmap: "PCMA/8000" },
  G722: { pt: 9, rtpmap: "G722/8000" },
  opus: { pt: 111, rtpmap: "opus/48000/2" },
  "telephone-event": { pt: 101, rtpmap: "telephone-event/8000" },
} as const;
type CodecName = keyof typeof CODECS;
const NAMES = Object.keys(CODECS) as CodecName[];

test("answerOffer is not-acceptable exactly when no G.711 codec is offered, else picks an offered G.711", () => {
  fc.assert(
    fc.property(
      fc.shuffledSubarray(NAMES, { minLength: 1 }),
      fc.shuffledSubarray(["PCMU", "PCMA"] as const, { minLength: 1 }),
      fc.boolean(),
      (offered, local, telephoneEvent) => {
        const text = sdp(
          "v=0",
          "o=- 7 7 IN IP4 192.0.2.40",
          "s=-",
          "c=IN IP4 192.0.2.40",
          "t=0 0",
          `m=audio 8000 RTP/AVP ${offered.map((name) => CODECS[name].pt).join(" ")}`,
          ...offered.map((name) => `a=rtpmap:${CODECS[name].pt} ${CODECS[name].rtpmap}`),
        );
        const result = answerOffer(SessionDescription.parse(text), {
          ...LOCAL,
          codecs: local,
          telephoneEvent,
        });
        const common = local.filter((codec) => offered.includes(codec));
        if (common.length === 0) {
          assert.ok("error" in result);
          return;
        }
        assert.ok("answer" in result);
        assert.equal(result.audio.codec, common[0]);
        assert.equal(result.audio.payloadType, CODECS[result.audio.codec].pt);
        assert.equal(
          result.audio.telephoneEventPayloadType,
          telephoneEvent && offered.includes("telephone-event") ? 101 : undefined,
        );
        const answerText = result.answer.serialize();
        assert.equal(SessionDescription.parse(answerText).serialize(), answerText);
      },
    ),
  );
});
