import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { bindContact, eventually } from "../../support/call-peers.ts";
import { S3RVER_KEY, startLocalS3 } from "../../support/s3-server.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { StackPhone } from "../../support/stack-phone.ts";

test("with recording.storage = s3 a recorded call ends up in the bucket, not on disk, and the API serves ranges of it", async (t) => {
  const s3 = await startLocalS3();
  t.after(() => s3.stop());
  const parley = await startSipTestNode(["1001", "1002"], {
    PARLEY_RECORDING_STORAGE: "s3",
    PARLEY_RECORDING_S3_BUCKET: s3.bucket,
    PARLEY_RECORDING_S3_PREFIX: "calls/",
    PARLEY_RECORDING_S3_ENDPOINT: s3.endpoint,
    PARLEY_RECORDING_S3_ACCESS_KEY_ID: S3RVER_KEY,
    PARLEY_RECORDING_S3_SECRET_ACCESS_KEY: S3RVER_KEY,
  });
  t.after(() => parley.stop());
  const headers = { authorization: `Bearer ${parley.adminToken}` };
  const { users } = (await (await fetch(`${parley.api}/users`, { headers })).json()) as {
    users: Array<{ id: string; extension: string }>;
  };
  const callee = users.find((u) => u.extension === "1002");
  await fetch(`${parley.api}/users/${callee?.id}`, {
    method: "PATCH",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ features: { recording: true } }),
  });
  const caller = await StackPhone.start({ extension: "1001", password: "pw-1001", registrar: parley.target });
  const phone = await StackPhone.start({ extension: "1002", password: "pw-1002", registrar: parley.target });
  t.after(() => caller.stop());
  t.after(() => phone.stop());
  phone.answerCalls();
  await bindContact(parley.node, "1002", phone.port);

  const session = await caller.call("1002");
  await eventually(() => parley.node.recording.active === 1, "the automatic recording");
  const [inProgress] = await parley.node.recording.store.list({});
  assert.ok(inProgress);
  const workingCopy = join(parley.node.config.recording.dir, inProgress.path);
  // The recorder writes once a second: wait for more than the header, so there is audio to range over.
  await eventually(
    () => existsSync(workingCopy) && statSync(workingCopy).size > 44 + 16_000,
    "a second of audio in the working copy",
    10_000,
  );
  assert.deepEqual(await s3.keys(), [], "nothing is uploaded while the call lasts");
  await session.bye();
  await eventually(
    async () => (await parley.node.recording.store.get(inProgress.id))?.status === "saved",
    "saved",
  );

  const row = await parley.node.recording.store.get(inProgress.id);
  assert.ok(row?.sizeBytes && row.sha256);
  const key = `calls/${row.path}`;
  assert.equal(row.location, `s3://${s3.bucket}/${key}`);
  assert.deepEqual(await s3.keys(), [key]);
  const object = await s3.get(key);
  assert.ok(object);
  assert.equal(object.length, row.sizeBytes, "the object's size is the row's");
  assert.equal(createHash("sha256").update(object).digest("hex"), row.sha256, "and so is its SHA-256");
  assert.equal(object.subarray(0, 4).toString("latin1"), "RIFF");
  assert.equal(existsSync(workingCopy), false, "the local copy is gone");

  const audio = `${parley.api}/recordings/${row.id}/audio`;
  const ranged = await fetch(audio, { headers: { ...headers, range: "bytes=100-16099" } });
  assert.equal(ranged.status, 206);
  assert.equal(ranged.headers.get("content-range"), `bytes 100-16099/${object.length}`);
  assert.equal(ranged.headers.get("content-length"), "16000");
  assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), object.subarray(100, 16_100));
  const suffix = await fetch(audio, { headers: { ...headers, range: "bytes=-10" } });
  assert.equal(suffix.status, 206);
  assert.deepEqual(Buffer.from(await suffix.arrayBuffer()), object.subarray(-10));
  const whole = await fetch(audio, { headers });
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get("etag"), `"${row.sha256}"`);
  assert.deepEqual(Buffer.from(await whole.arrayBuffer()), object);
  const past = await fetch(audio, { headers: { ...headers, range: `bytes=${object.length}-` } });
  assert.equal(past.status, 416);
  assert.equal(past.headers.get("content-range"), `bytes */${object.length}`);

  const removed = await fetch(`${parley.api}/recordings/${row.id}`, { method: "DELETE", headers });
  assert.equal(removed.status, 204);
  assert.deepEqual(await s3.keys(), [], "deleting the recording deletes the object");
});
