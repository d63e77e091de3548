import assert from "node:assert/strict";
import { test } from "node:test";
import { silentLogger } from "../../../../src/kernel/log.ts";
import { TypedEmitter } from "../../../../src/kernel/typed-emitter.ts";
import { RtpPacket, RtpSession, type RtpSessionEvents, type RtpSocket } from "../../../../src/media/index.ts";
import { FakeClock } from "../../../support/fake-clock.ts";

/** A stand-in for RtpSocket: the test delivers datagrams through `onRtp` itself. */
function fakeSocket() {
  return {
    port: 10000,
    onRtp: (_data: Buffer, _address: string, _port: number) => {},
    onRtcp: () => {},
    sendRtp: () => {},
    close: () => {},
  };
}

/**
 * RtpSession keeps its "packet" listeners itself (the receive path's fast lane); this runs the same
 * script of on/once/off/removeAllListeners, listeners that throw, and listeners that subscribe or
 * unsubscribe during an emit, against the session and against a plain TypedEmitter, and expects the
 * same calls in the same order.
 */
test("RtpSession's packet listeners behave exactly like TypedEmitter's", () => {
  type Log = string[];
  function script(
    on: (l: (p: RtpPacket) => void) => void,
    once: (l: (p: RtpPacket) => void) => void,
    off: (l: (p: RtpPacket) => void) => void,
    emit: () => void,
    count: () => number,
    clear: () => void,
  ): Log {
    const log: Log = [];
    const a = () => log.push("a");
    const b = () => {
      log.push("b");
      throw new Error("b fails");
    };
    const late = () => log.push("late");
    const c = () => {
      log.push("c");
      on(late); // added during an emit
    };
    const d = () => {
      log.push("d");
      off(a); // removed during an emit: still called in this one
    };
    on(a);
    on(b);
    once(() => log.push("once"));
    on(c);
    emit();
    log.push(`count ${count()}`);
    on(d);
    emit();
    log.push(`count ${count()}`);
    once(() => log.push("once2"));
    on(a);
    on(a);
    emit();
    off(a);
    log.push(`count ${count()}`);
    emit();
    clear();
    log.push(`count ${count()}`);
    emit();
    return log;
  }

  const errors: string[] = [];
  const emitter = new TypedEmitter<RtpSessionEvents>();
  emitter.onListenerError = (_e, event) => errors.push(`emitter ${event}`);
  const packet = new RtpPacket({
    payloadType: 0,
    sequenceNumber: 1,
    timestamp: 0,
    ssrc: 9,
    payload: new Uint8Array(160),
  });
  const expected = script(
    (l) => emitter.on("packet", l),
    (l) => emitter.once("packet", l),
    (l) => emitter.off("packet", l),
    () => emitter.safeEmit("packet", packet),
    () => emitter.listenerCount("packet"),
    () => emitter.removeAllListeners(),
  );

  const socket = fakeSocket();
  const session = new RtpSession({
    socket: socket as unknown as RtpSocket,
    clock: new FakeClock(),
    logger: silentLogger(),
  });
  session.onListenerError = (_e, event) => errors.push(`session ${event}`);
  const datagram = () => packet.serialize();
  const actual = script(
    (l) => session.on("packet", l),
    (l) => session.once("packet", l),
    (l) => session.off("packet", l),
    () => socket.onRtp(datagram(), "127.0.0.1", 4000),
    () => session.listenerCount("packet"),
    () => session.removeAllListeners(),
  );
  assert.deepEqual(actual, expected);
  assert.ok(expected.includes("late") && expected.includes("once2"));
  assert.equal(
    errors.filter((e) => e.startsWith("session")).length,
    errors.filter((e) => e.startsWith("emitter")).length,
  );

  // safeEmit("packet") from outside reaches the same listeners.
  const heard: number[] = [];
  session.on("packet", (p) => heard.push(p.ssrc));
  session.safeEmit("packet", packet);
  assert.deepEqual(heard, [9]);
});
