import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { ImapServer, type ImapServerOptions, MemoryMailStore } from "../../../src/imap/index.ts";
import { SystemClock } from "../../../src/kernel/clock.ts";
import { silentLogger } from "../../../src/kernel/log.ts";

export const USER = "alice@parley.example";
export const PASSWORD = "s3cret pass";

/** SHA-256 of the 8 kHz WAV inside the voicemail fixture's audio/wav part (BODY[2]). */
export const MESSAGE_WAV_SHA256 = "401b42e51fef1e22a414d5a0f080ee65bec43c740fff0f730b70713932b90976";
export const MESSAGE_WAV_LENGTH = 12044;

export function voiceMessage(): Buffer {
  return readFileSync(new URL("../../fixtures/mail/voice-message.eml", import.meta.url));
}

export function hasPython(): boolean {
  return spawnSync("python3", ["--version"]).status === 0;
}

/**
 * An ImapServer on 127.0.0.1 port 0 for real clients, with a MemoryMailStore holding the
 * voicemail fixture (UID 1, unseen) and a short text message (UID 2). Real clients use their own
 * timers, so the server runs on the system clock.
 */
export async function startInteropServer(options: Partial<ImapServerOptions> = {}) {
  const store = new MemoryMailStore({ firstUidValidity: 1_700_000_000 });
  store.createMailbox(USER, "INBOX");
  store.createMailbox(USER, "Saved");
  store.append(USER, "INBOX", voiceMessage(), [], new Date(Date.UTC(2026, 0, 15, 8, 30, 12)));
  store.append(
    USER,
    "INBOX",
    Buffer.from("From: bob@parley.example\r\nTo: alice@parley.example\r\nSubject: old news\r\n\r\nBye\r\n"),
    ["\\Seen"],
    new Date(Date.UTC(2026, 0, 16)),
  );
  const server = new ImapServer({
    store,
    login: { verify: async (user, password) => (user === USER && password === PASSWORD ? USER : undefined) },
    clock: new SystemClock(),
    logger: silentLogger(),
    host: "127.0.0.1",
    port: 0,
    ...options,
  });
  const { port } = await server.listen();
  return { server, store, port };
}
