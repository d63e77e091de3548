import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type MailboxChange, MemoryMailStore } from "../../../src/imap/index.ts";
import { FakeClock } from "../../support/fake-clock.ts";

describe("MemoryMailStore", () => {
  test("append gives ascending UIDs, keeps UIDVALIDITY and counts unseen messages", async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const store = new MemoryMailStore({ clock, firstUidValidity: 42 });
    assert.equal(store.append("alice", "inbox", Buffer.from("a")), 1);
    assert.equal(store.append("alice", "INBOX", Buffer.from("bb"), ["\\Seen"]), 2);
    assert.deepEqual(await store.status("alice", "Inbox"), {
      name: "INBOX",
      uidValidity: 42,
      uidNext: 3,
      messages: 2,
      unseen: 1,
    });
    const [first] = await store.messages("alice", "INBOX");
    assert.deepEqual(first, { uid: 1, flags: [], internalDate: new Date(Date.UTC(2026, 0, 1)), size: 1 });
    assert.equal(store.createMailbox("alice", "Saved").uidValidity, 43);
  });

  test("every change is told to the user's watchers, whoever made it", async () => {
    const store = new MemoryMailStore();
    store.createMailbox("alice", "Saved");
    const changes: MailboxChange[] = [];
    const unwatch = store.watch("alice", (change) => changes.push(change));
    store.append("alice", "INBOX", Buffer.from("x"));
    await store.setFlags("alice", "INBOX", 1, ["\\Seen", "\\seen"]);
    assert.deepEqual(await store.copy("alice", "INBOX", [1], "Saved"), { uidValidity: 1, uids: [1] });
    await store.expunge("alice", "INBOX", [1]);
    store.append("bob", "INBOX", Buffer.from("not alice's"));
    unwatch();
    store.append("alice", "INBOX", Buffer.from("unwatched"));
    assert.deepEqual(changes, [
      { kind: "added", mailbox: "INBOX", uid: 1 },
      { kind: "flags", mailbox: "INBOX", uid: 1, flags: ["\\Seen"] },
      { kind: "added", mailbox: "Saved", uid: 1 },
      { kind: "expunged", mailbox: "INBOX", uid: 1 },
    ]);
    assert.equal(store.watcherCount("alice"), 0);
  });

  test("UIDs are not reused after an expunge", async () => {
    const store = new MemoryMailStore();
    store.append("alice", "INBOX", Buffer.from("1"));
    await store.expunge("alice", "INBOX", [1]);
    assert.equal(store.append("alice", "INBOX", Buffer.from("2")), 2);
    assert.equal(await store.source("alice", "INBOX", 1), undefined);
    assert.equal(await store.setFlags("alice", "INBOX", 1, []), undefined);
  });
});
