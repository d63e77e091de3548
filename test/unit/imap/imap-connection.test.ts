import assert from "node:assert/strict";
import { after, afterEach, beforeEach, describe, test } from "node:test";
import {
  PASSWORD,
  simpleMessage,
  startTestServer,
  type TestServer,
  USER,
  voiceMessage,
} from "./test-server.ts";
import { WireClient } from "./wire-client.ts";

describe("ImapConnection", () => {
  let t: TestServer;
  const clients: WireClient[] = [];
  const connect = async () => {
    const client = await WireClient.connect(t.port);
    clients.push(client);
    return client;
  };
  const selected = async (mailbox = "INBOX") => {
    const client = await connect();
    await client.login();
    const { tagged } = await client.command(`SELECT ${mailbox}`);
    assert.match(tagged, /OK \[READ-WRITE\]/);
    return client;
  };

  beforeEach(async () => {
    t = await startTestServer();
    t.store.append(USER, "INBOX", voiceMessage(), [], new Date(Date.UTC(2026, 0, 15, 8, 30, 12)));
    t.store.append(USER, "INBOX", simpleMessage("Lunch?"), ["\\Seen"], new Date(Date.UTC(2026, 0, 16, 10)));
    t.store.append(
      USER,
      "INBOX",
      simpleMessage("Call me back", "Please call.\r\n"),
      ["\\Flagged"],
      new Date(Date.UTC(2026, 1, 2)),
    );
    t.store.createMailbox(USER, "Saved");
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await t.close();
  });
  after(() => undefined);

  test("greets with its capabilities and answers CAPABILITY", async () => {
    const client = await connect();
    assert.equal(
      client.greeting,
      "* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS UNSELECT AUTH=PLAIN] Parley IMAP4rev1 ready",
    );
    const { untagged, tagged } = await client.command("CAPABILITY");
    assert.deepEqual(untagged, ["* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS UNSELECT AUTH=PLAIN"]);
    assert.match(tagged, /^A1 OK/);
  });

  test("answers an unknown command with BAD and stays usable", async () => {
    const client = await connect();
    assert.match((await client.command("XYZZY now")).tagged, /^A1 BAD Unknown command/);
    assert.match((await client.command("NOOP")).tagged, /^A2 OK/);
  });

  test("answers a line with an invalid tag with an untagged BAD", async () => {
    const client = await connect();
    client.write("A+1 NOOP\r\n");
    assert.match(await client.readResponse(), /^\* BAD Invalid tag/);
    client.write("\r\n");
    assert.match(await client.readResponse(), /^\* BAD/);
    assert.match((await client.command("NOOP")).tagged, /OK/);
  });

  test("refuses commands outside their states before running them", async () => {
    const client = await connect();
    assert.match(
      (await client.command("SELECT INBOX")).tagged,
      /BAD SELECT is not allowed in the NotAuthenticated state/,
    );
    await client.login();
    assert.match(
      (await client.command("LOGIN a b")).tagged,
      /BAD LOGIN is not allowed in the Authenticated state/,
    );
    assert.match((await client.command("FETCH 1 FLAGS")).tagged, /BAD/);
    assert.match((await client.command("EXPUNGE")).tagged, /BAD/);
  });

  test("LOGIN accepts quoted strings and synchronising literals", async () => {
    const client = await connect();
    client.write("A1 LOGIN {20}\r\n");
    assert.match(await client.readResponse(), /^\+ /);
    client.write(`${USER} "${PASSWORD}"\r\n`);
    const { tagged } = await client.until("A1");
    assert.match(tagged, /^A1 OK \[CAPABILITY .*\] LOGIN completed/);
  });

  test("LOGIN with a wrong password is NO [AUTHENTICATIONFAILED]", async () => {
    const client = await connect();
    assert.match((await client.command(`LOGIN ${USER} wrong`)).tagged, /NO \[AUTHENTICATIONFAILED\]/);
  });

  test("AUTHENTICATE PLAIN with a continuation, with SASL-IR, and cancelled", async () => {
    const token = Buffer.from(`\0${USER}\0${PASSWORD}`).toString("base64");
    const first = await connect();
    first.write("A1 AUTHENTICATE PLAIN\r\n");
    assert.equal(await first.readResponse(), "+ ");
    first.write(`${token}\r\n`);
    assert.match((await first.until("A1")).tagged, /^A1 OK/);
    assert.match((await first.command("SELECT INBOX")).tagged, /OK/);

    const second = await connect();
    assert.match((await second.command(`AUTHENTICATE PLAIN ${token}`)).tagged, /^A1 OK/);

    const third = await connect();
    third.write("A1 AUTHENTICATE PLAIN\r\n");
    await third.readResponse();
    third.write("*\r\n");
    assert.match((await third.until("A1")).tagged, /^A1 BAD Authentication cancelled/);
    assert.match((await third.command("AUTHENTICATE PLAIN !!!")).tagged, /BAD/);
    assert.match((await third.command("AUTHENTICATE CRAM-MD5")).tagged, /NO/);
  });

  test("LIST matches * and % against the user's mailboxes; LSUB lists the same", async () => {
    t.store.createMailbox(USER, "Old/2025");
    const client = await connect();
    await client.login();
    const all = await client.command('LIST "" "*"');
    assert.deepEqual(all.untagged.sort(), [
      '* LIST (\\HasNoChildren) "/" "INBOX"',
      '* LIST (\\HasNoChildren) "/" "Old/2025"',
      '* LIST (\\HasNoChildren) "/" "Saved"',
    ]);
    assert.equal((await client.command('LIST "" %')).untagged.length, 2);
    assert.deepEqual((await client.command('LIST "" inbox')).untagged, [
      '* LIST (\\HasNoChildren) "/" "INBOX"',
    ]);
    assert.deepEqual((await client.command('LIST "" ""')).untagged, ['* LIST (\\Noselect) "/" ""']);
    assert.equal((await client.command('LSUB "" "*"')).untagged.length, 3);
  });

  test("SELECT reports FLAGS, EXISTS, RECENT, UNSEEN, PERMANENTFLAGS, UIDVALIDITY, UIDNEXT", async () => {
    const client = await connect();
    await client.login();
    const { untagged, tagged } = await client.command("select inbox");
    assert.deepEqual(untagged, [
      "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
      "* 3 EXISTS",
      "* 0 RECENT",
      "* OK [UNSEEN 1] First unseen",
      "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted",
      "* OK [UIDVALIDITY 1700000000] UIDs valid",
      "* OK [UIDNEXT 4] Predicted next UID",
    ]);
    assert.equal(tagged, "A2 OK [READ-WRITE] SELECT completed");
    assert.match((await client.command("SELECT Nowhere")).tagged, /NO \[NONEXISTENT\]/);
    assert.match(
      (await client.command("FETCH 1 FLAGS")).tagged,
      /BAD/,
      "a failed SELECT leaves no mailbox selected",
    );
  });

  test("EXAMINE is read-only: STORE is refused and BODY[] does not set \\Seen", async () => {
    const client = await connect();
    await client.login();
    assert.match((await client.command("EXAMINE INBOX")).tagged, /OK \[READ-ONLY\]/);
    assert.match((await client.command("STORE 1 +FLAGS (\\Seen)")).tagged, /NO/);
    const fetched = await client.command("FETCH 1 (BODY[1])");
    assert.ok(!fetched.untagged[0]?.includes("\\Seen"));
    assert.deepEqual((await t.store.messages(USER, "INBOX"))[0]?.flags, []);
  });

  test("STATUS reports the counters of a mailbox without selecting it", async () => {
    const client = await connect();
    await client.login();
    const { untagged } = await client.command("STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)");
    assert.deepEqual(untagged, [
      '* STATUS "INBOX" (MESSAGES 3 RECENT 0 UIDNEXT 4 UIDVALIDITY 1700000000 UNSEEN 2)',
    ]);
    assert.match((await client.command("STATUS INBOX (BOGUS)")).tagged, /BAD/);
    assert.match((await client.command("STATUS Nowhere (MESSAGES)")).tagged, /NO \[NONEXISTENT\]/);
  });

  test("FETCH returns FLAGS, UID, INTERNALDATE, RFC822.SIZE and macros", async () => {
    const client = await selected();
    const { untagged } = await client.command("FETCH 1:2 FAST");
    assert.deepEqual(untagged, [
      `* 1 FETCH (FLAGS () INTERNALDATE "15-Jan-2026 08:30:12 +0000" RFC822.SIZE ${voiceMessage().length})`,
      `* 2 FETCH (FLAGS (\\Seen) INTERNALDATE "16-Jan-2026 10:00:00 +0000" RFC822.SIZE ${simpleMessage("Lunch?").length})`,
    ]);
    const all = await client.command("FETCH 2 ALL");
    assert.match(
      all.untagged[0] ?? "",
      /ENVELOPE \("Fri, 16 Jan 2026 10:00:00 \+0000" "Lunch\?" \(\("Bob" NIL "bob" "parley.example"\)\)/,
    );
    const uid = await client.command("UID FETCH 2:* FLAGS");
    assert.deepEqual(uid.untagged, [
      "* 2 FETCH (UID 2 FLAGS (\\Seen))",
      "* 3 FETCH (UID 3 FLAGS (\\Flagged))",
    ]);
  });

  test("FETCH BODY[section] returns exact bytes; partial data is labelled with its origin", async () => {
    const client = await selected();
    const { untagged } = await client.command(
      "FETCH 1 (BODY.PEEK[2]<0.4> BODY.PEEK[5.MIME] BODY.PEEK[HEADER.FIELDS (Subject)])",
    );
    assert.equal(
      untagged[0],
      '* 1 FETCH (BODY[2]<0> {4}\r\nUklG BODY[5.MIME] {170}\r\nContent-Type: image/png; name="signature.png"\r\n' +
        'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="signature.png"\r\n' +
        "X-Parley-Signature: image\r\n\r\n BODY[HEADER.FIELDS (Subject)] {56}\r\n" +
        "Subject: Voice message from +33 1 23 45 67 89 (0:01)\r\n\r\n)",
    );
    const whole = await client.command("FETCH 2 (RFC822.HEADER RFC822.TEXT)");
    assert.match(whole.untagged[0] ?? "", /RFC822.TEXT \{7\}\r\nHello\r\n\)$/);
  });

  test("FETCH BODY[] without PEEK sets \\Seen and says so; BODY.PEEK does not", async () => {
    const client = await selected();
    const peek = await client.command("FETCH 1 (BODY.PEEK[1])");
    assert.ok(!peek.untagged[0]?.includes("FLAGS"));
    const read = await client.command("FETCH 1 (BODY[1])");
    assert.match(read.untagged[0] ?? "", /FLAGS \(\\Seen\)\)$/);
    assert.deepEqual((await t.store.messages(USER, "INBOX"))[0]?.flags, ["\\Seen"]);
    const again = await client.command("FETCH 1 (BODY[1])");
    assert.ok(!again.untagged[0]?.includes("FLAGS"), "no FLAGS when nothing changed");
  });

  test("invalid sequence sets get BAD and the connection goes on", async () => {
    const client = await selected();
    for (const set of ["0", "1:x", "4", "1,,2", "*:0"]) {
      assert.match((await client.command(`FETCH ${set} FLAGS`)).tagged, /BAD/, set);
    }
    assert.match((await client.command("FETCH 1 (FLAGS BOGUS)")).tagged, /BAD/);
    assert.match(
      (await client.command("UID FETCH 99 FLAGS")).tagged,
      /OK/,
      "UIDs that do not exist are no error",
    );
    assert.equal((await client.command("FETCH * UID")).untagged[0], "* 3 FETCH (UID 3)");
  });

  test("in an empty mailbox FETCH 1:* answers OK with nothing and FETCH 1 is BAD", async () => {
    const client = await selected("Saved");
    const all = await client.command("FETCH 1:* FLAGS");
    assert.deepEqual(all.untagged, []);
    assert.match(all.tagged, /OK/);
    assert.match((await client.command("FETCH 1 FLAGS")).tagged, /BAD/);
    assert.match((await client.command("UID FETCH 1:* FLAGS")).tagged, /OK/);
  });

  test("STORE sets, adds and removes flags; .SILENT says nothing; UID STORE answers with UID", async () => {
    const client = await selected();
    assert.deepEqual((await client.command("STORE 1 +FLAGS (\\Flagged $Important)")).untagged, [
      "* 1 FETCH (FLAGS (\\Flagged $Important))",
    ]);
    assert.deepEqual((await client.command("STORE 1 -FLAGS.SILENT \\Flagged")).untagged, []);
    assert.deepEqual((await client.command("UID STORE 3 FLAGS (\\Answered)")).untagged, [
      "* 3 FETCH (UID 3 FLAGS (\\Answered))",
    ]);
    assert.deepEqual(
      (await t.store.messages(USER, "INBOX")).map((m) => m.flags),
      [["$Important"], ["\\Seen"], ["\\Answered"]],
    );
    assert.match((await client.command("STORE 1 +FLAGS (\\Recent)")).tagged, /BAD/);
    assert.match((await client.command("STORE 1 REPLACE (\\Seen)")).tagged, /BAD/);
  });

  test("COPY answers COPYUID, and TRYCREATE for a mailbox that does not exist", async () => {
    const client = await selected();
    assert.match(
      (await client.command("COPY 1:2 Saved")).tagged,
      /^A3 OK \[COPYUID \d+ 1:2 1:2\] COPY completed/,
    );
    assert.match((await client.command("UID COPY 3 Saved")).tagged, /OK \[COPYUID \d+ 3 3\]/);
    assert.match((await client.command("COPY 1 Archive")).tagged, /NO \[TRYCREATE\]/);
    assert.equal((await t.store.status(USER, "Saved"))?.messages, 3);
  });

  test("SEARCH understands flags, headers, dates, sizes, sets, NOT, OR and groups", async () => {
    const client = await selected();
    const search = async (criteria: string) => (await client.command(`SEARCH ${criteria}`)).untagged[0];
    assert.equal(await search("ALL"), "* SEARCH 1 2 3");
    assert.equal(await search("UNSEEN"), "* SEARCH 1 3");
    assert.equal(await search("SEEN"), "* SEARCH 2");
    assert.equal(await search("FLAGGED"), "* SEARCH 3");
    assert.equal(await search("UNDELETED UNANSWERED"), "* SEARCH 1 2 3");
    assert.equal(await search('FROM "voicemail@parley"'), "* SEARCH 1");
    assert.equal(await search("SUBJECT lunch"), "* SEARCH 2");
    assert.equal(await search("TO alice"), "* SEARCH 1 2 3");
    assert.equal(await search("HEADER X-Parley-Caller +33123456789"), "* SEARCH 1");
    assert.equal(await search('BODY "please call"'), "* SEARCH 3");
    assert.equal(await search("SINCE 16-Jan-2026"), "* SEARCH 2 3");
    assert.equal(await search("BEFORE 16-Jan-2026"), "* SEARCH 1");
    assert.equal(await search("ON 2-Feb-2026"), "* SEARCH 3");
    assert.equal(await search("SENTBEFORE 16-Jan-2026"), "* SEARCH 1");
    assert.equal(await search("LARGER 1000"), "* SEARCH 1");
    assert.equal(await search("SMALLER 1000"), "* SEARCH 2 3");
    assert.equal(await search("2:*"), "* SEARCH 2 3");
    assert.equal(await search("UID 1,3"), "* SEARCH 1 3");
    assert.equal(await search("NOT SEEN"), "* SEARCH 1 3");
    assert.equal(await search("OR SEEN FLAGGED"), "* SEARCH 2 3");
    assert.equal(await search("(OR SEEN FLAGGED) NOT 3"), "* SEARCH 2");
    assert.equal(await search("NEW"), "* SEARCH");
    assert.equal(await search("OLD"), "* SEARCH 1 2 3");
    assert.equal((await client.command("UID SEARCH UNSEEN")).untagged[0], "* SEARCH 1 3");
    assert.match((await client.command("SEARCH CHARSET KOI8-R ALL")).tagged, /NO \[BADCHARSET/);
    assert.match((await client.command("SEARCH BOGUS")).tagged, /BAD/);
  });

  test("EXPUNGE removes \\Deleted messages with one EXPUNGE each; UID EXPUNGE only those named", async () => {
    const client = await selected();
    await client.command("STORE 1:3 +FLAGS.SILENT (\\Deleted)");
    assert.deepEqual((await client.command("UID EXPUNGE 2")).untagged, ["* 2 EXPUNGE"]);
    assert.deepEqual((await client.command("EXPUNGE")).untagged, ["* 2 EXPUNGE", "* 1 EXPUNGE"]);
    assert.deepEqual(await t.store.messages(USER, "INBOX"), []);
  });

  test("CLOSE expunges silently and returns to Authenticated; UNSELECT does not expunge", async () => {
    const client = await selected();
    await client.command("STORE 2 +FLAGS.SILENT (\\Deleted)");
    const closed = await client.command("CLOSE");
    assert.deepEqual(closed.untagged, []);
    assert.equal((await t.store.status(USER, "INBOX"))?.messages, 2);
    assert.match((await client.command("FETCH 1 FLAGS")).tagged, /BAD/);
    await client.command("SELECT INBOX");
    await client.command("STORE 1 +FLAGS.SILENT (\\Deleted)");
    assert.match((await client.command("UNSELECT")).tagged, /OK/);
    assert.equal((await t.store.status(USER, "INBOX"))?.messages, 2);
  });

  test("CREATE, DELETE, RENAME, UNSUBSCRIBE and APPEND answer NO [CANNOT]; SUBSCRIBE is a no-op", async () => {
    const client = await connect();
    await client.login();
    for (const command of ["CREATE Foo", "DELETE Saved", "RENAME Saved Kept", "UNSUBSCRIBE Saved"]) {
      assert.match((await client.command(command)).tagged, /NO \[CANNOT\]/, command);
    }
    client.write("A9 APPEND INBOX (\\Seen) {5+}\r\nHello\r\n");
    assert.match((await client.until("A9")).tagged, /NO \[CANNOT\]/);
    assert.match((await client.command("SUBSCRIBE Saved")).tagged, /OK/);
    assert.match((await client.command("CREATE")).tagged, /BAD/);
  });

  test("changes by another session arrive as EXISTS and FETCH FLAGS at the next command; EXPUNGE waits for a command that allows it", async () => {
    const reader = await selected();
    const writer = await selected();
    await writer.command("STORE 1 +FLAGS.SILENT (\\Seen)");
    t.store.append(USER, "INBOX", simpleMessage("New one"));
    const noop = await reader.command("NOOP");
    assert.deepEqual(noop.untagged, ["* 1 FETCH (UID 1 FLAGS (\\Seen))", "* 4 EXISTS", "* 1 RECENT"]);

    await writer.command("STORE 2 +FLAGS.SILENT (\\Deleted)");
    await writer.command("EXPUNGE");
    const fetch = await reader.command("FETCH 1:* UID");
    assert.deepEqual(
      fetch.untagged.filter((line) => / FETCH \(UID \d+\)$/.test(line)),
      ["* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)", "* 3 FETCH (UID 3)", "* 4 FETCH (UID 4)"],
      "sequence numbers do not move during FETCH",
    );
    assert.ok(!fetch.untagged.some((line) => line.includes("EXPUNGE")));
    const body = await reader.command("FETCH 2 BODY.PEEK[]");
    assert.deepEqual(body.untagged, [], "the gone message's body cannot be sent, and its EXPUNGE may not be");
    assert.match(body.tagged, /OK/);
    const search = await reader.command("SEARCH ALL");
    assert.ok(!search.untagged.some((line) => line.includes("EXPUNGE")));
    const check = await reader.command("CHECK");
    assert.deepEqual(check.untagged, ["* 2 EXPUNGE"]);
    assert.equal((await reader.command("SEARCH RECENT")).untagged[0], "* SEARCH 3");
  });

  test("IDLE pushes EXISTS, FETCH FLAGS and EXPUNGE from other writers until DONE", async () => {
    const client = await selected();
    client.write("A9 IDLE\r\n");
    assert.equal(await client.readResponse(), "+ idling");
    t.store.append(USER, "INBOX", simpleMessage("Voicemail while idling"));
    assert.equal(await client.readResponse(), "* 4 EXISTS");
    assert.equal(await client.readResponse(), "* 1 RECENT");
    await t.store.setFlags(USER, "INBOX", 1, ["\\Seen"]);
    assert.equal(await client.readResponse(), "* 1 FETCH (UID 1 FLAGS (\\Seen))");
    await t.store.expunge(USER, "INBOX", [2]);
    assert.equal(await client.readResponse(), "* 2 EXPUNGE");
    client.write("DONE\r\n");
    assert.equal((await client.until("A9")).tagged, "A9 OK IDLE terminated");
    assert.match((await client.command("NOOP")).tagged, /OK/);
  });

  test("IDLE ended by something other than DONE is BAD", async () => {
    const client = await selected();
    client.write("A9 IDLE\r\n");
    await client.readResponse();
    client.write("NOPE\r\n");
    assert.match((await client.until("A9")).tagged, /A9 BAD/);
  });

  test("LOGOUT sends BYE, then OK, then closes; the session stops watching the store", async () => {
    const client = await selected();
    assert.equal(t.store.watcherCount(USER), 1);
    const { untagged, tagged } = await client.command("LOGOUT");
    assert.deepEqual(untagged, ["* BYE Parley IMAP4rev1 server logging out"]);
    assert.match(tagged, /OK/);
    await client.ended;
    assert.equal(t.store.watcherCount(USER), 0);
  });
});
