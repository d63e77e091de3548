import { readFileSync } from "node:fs";
import { ImapServer, type ImapServerOptions, MemoryMailStore } from "../../../src/imap/index.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import { FakeClock } from "../../support/fake-clock.ts";

export const USER = "alice@parley.example";
export const PASSWORD = "secret";

/** The VPIM-style voicemail fixture (multipart/mixed: summary, message, three signature parts). */
export function voiceMessage(): Buffer {
  return readFileSync(new URL("../../fixtures/mail/voice-message.eml", import.meta.url));
}

export function simpleMessage(subject: string, body = "Hello\r\n"): Buffer {
  return Buffer.from(
    `From: Bob <bob@parley.example>\r\nTo: ${USER}\r\nSubject: ${subject}\r\nDate: Fri, 16 Jan 2026 10:00:00 +0000\r\n\r\n${body}`,
  );
}

export interface TestServer {
  server: ImapServer;
  store: MemoryMailStore;
  clock: FakeClock;
  port: number;
  close(): Promise<void>;
}

/** An ImapServer on 127.0.0.1 port 0 with a MemoryMailStore and a fake clock; alice/secret logs in. */
export async function startTestServer(options: Partial<ImapServerOptions> = {}): Promise<TestServer> {
  const clock = new FakeClock();
  const store = new MemoryMailStore({ clock, firstUidValidity: 1_700_000_000 });
  store.createMailbox(USER, "INBOX");
  const server = new ImapServer({
    store,
    login: { verify: async (user, password) => (user === USER && password === PASSWORD ? USER : undefined) },
    clock,
    logger: silentLogger(),
    host: "127.0.0.1",
    port: 0,
    ...options,
  });
  const { port } = await server.listen();
  return { server, store, clock, port, close: () => server.close() };
}
