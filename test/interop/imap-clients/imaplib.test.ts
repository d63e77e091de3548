import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, type TestContext, test } from "node:test";
import { missingPeer } from "../../support/peers.ts";
import {
  hasPython,
  MESSAGE_WAV_LENGTH,
  MESSAGE_WAV_SHA256,
  PASSWORD,
  startInteropServer,
  USER,
} from "./imap-peer.ts";

/** The client side, run by python3: every step's result goes to stdout as one JSON object. */
const SCRIPT = String.raw`
import base64, hashlib, imaplib, json, sys
port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
out = {}
M = imaplib.IMAP4("127.0.0.1", port)
out["capabilities"] = sorted(M.capabilities)
out["login"] = M.login(user, password)[0]
typ, data = M.list()
out["list"] = sorted(d.decode() for d in data)
typ, data = M.select("INBOX")
out["exists"] = int(data[0])
typ, data = M.fetch("1", "(BODYSTRUCTURE)")
out["bodystructure"] = data[0].decode()
typ, data = M.uid("FETCH", "1", "(BODY.PEEK[2] BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
parts = [d for d in data if isinstance(d, tuple)]
out["fetch_heads"] = [p[0].decode() for p in parts]
wav = base64.b64decode(parts[0][1])
out["wav"] = {"riff": wav[:4].decode("latin1"), "wave": wav[8:12].decode("latin1"), "rate": int.from_bytes(wav[24:28], "little"), "length": len(wav), "sha256": hashlib.sha256(wav).hexdigest()}
out["subject"] = parts[1][1].decode()
out["unseen_before"] = M.search(None, "UNSEEN")[1][0].decode()
out["store_seen"] = [d.decode() for d in M.store("1", "+FLAGS", "\\Seen")[1]]
out["store_deleted"] = [d.decode() for d in M.store("2", "+FLAGS", "(\\Deleted)")[1]]
typ, data = M.expunge()
out["expunge"] = [d.decode() for d in data if d]
out["unseen_after"] = M.search(None, "UNSEEN")[1][0].decode()
out["close"] = M.close()[0]
out["logout"] = M.logout()[0]
print(json.dumps(out))
`;

function runPython(
  t: TestContext,
  port: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("python3", ["-c", SCRIPT, String(port), USER, PASSWORD], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    t.after(() => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid);
    });
  });
}

describe("Python imaplib against ImapServer (real client)", () => {
  test("logs in, lists, selects, reads BODYSTRUCTURE and the audio part, marks \\Seen, deletes and expunges", async (t) => {
    if (!hasPython()) return missingPeer(t, "python3", "install Python 3 (apt-get install python3)");
    const { server, store, port } = await startInteropServer();
    t.after(() => server.close());
    const result = await runPython(t, port);
    assert.equal(result.code, 0, `python3 failed:\n${result.stderr}`);
    const out = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.ok((out.capabilities as string[]).includes("IMAP4REV1"));
    assert.equal(out.login, "OK");
    assert.deepEqual(out.list, ['(\\HasNoChildren) "/" "INBOX"', '(\\HasNoChildren) "/" "Saved"']);
    assert.equal(out.exists, 2);
    assert.match(
      out.bodystructure as string,
      /^1 \(BODYSTRUCTURE \(\("TEXT" "PLAIN" .*\("AUDIO" "WAV" \("NAME" "message.wav"\).*"MIXED"/,
    );
    assert.deepEqual(out.fetch_heads, ["1 (UID 1 BODY[2] {16484}", " BODY[HEADER.FIELDS (SUBJECT)] {56}"]);
    assert.deepEqual(out.wav, {
      riff: "RIFF",
      wave: "WAVE",
      rate: 8000,
      length: MESSAGE_WAV_LENGTH,
      sha256: MESSAGE_WAV_SHA256,
    });
    assert.equal(out.subject, "Subject: Voice message from +33 1 23 45 67 89 (0:01)\r\n\r\n");
    assert.equal(out.unseen_before, "1");
    assert.deepEqual(out.store_seen, ["1 (FLAGS (\\Seen))"]);
    assert.deepEqual(out.store_deleted, ["2 (FLAGS (\\Seen \\Deleted))"]);
    assert.deepEqual(out.expunge, ["2"]);
    assert.equal(out.unseen_after, "");
    assert.equal(out.close, "OK");
    assert.equal(out.logout, "BYE");
    const messages = await store.messages(USER, "INBOX");
    assert.deepEqual(
      messages.map((m) => ({ uid: m.uid, flags: m.flags })),
      [{ uid: 1, flags: ["\\Seen"] }],
      "the store holds the read voicemail and not the expunged message",
    );
  });
});
