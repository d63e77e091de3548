import { wavHeader } from "../../src/media/index.ts";
import type { SipTestNode } from "./sip-node.ts";
import { sineFrame } from "./tone-probe.ts";

/** The smallest valid PNG (1×1, transparent). */
export const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg==",
  "base64",
);

/** A tone as an 8 kHz mono 16-bit WAV. */
export function toneWav(frequency: number, seconds = 1): Buffer {
  const pcm = sineFrame(frequency, 8000, 8000 * seconds, 0.5);
  return Buffer.concat([
    wavHeader(8000, 1, pcm.byteLength),
    Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength),
  ]);
}

/** A signature with all three parts: text, a 600 Hz voice clip, a PNG. */
export const ALICE_SIGNATURE = {
  text: "Alice Martin — Parley Telecom, +49 30 1234",
  voice: toneWav(600).toString("base64"),
  image: { contentType: "image/png", data: PNG.toString("base64") },
};

/** A JSON call to a test node's REST API with its admin token. */
export async function adminApi(node: SipTestNode, method: string, path: string, body?: unknown) {
  const response = await fetch(`${node.api}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${node.adminToken}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>),
  };
}

/** The message-summary bodies baresip printed ("----- MWI for <aor> -----", then the body), in order. */
export function mwiBodies(output: string): string[] {
  return output
    .split(/^----- MWI for \S+ -----\r?\n/m)
    .slice(1)
    .map((block) => block.split(/\r?\n\r?\n/)[0] ?? "");
}
