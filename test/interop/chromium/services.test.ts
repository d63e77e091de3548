import assert from "node:assert/strict";
import { test } from "node:test";
import { chromium } from "playwright-core";
import { parseVoiceMessage } from "../../../src/smtp/index.ts";
import { eventually } from "../../support/call-peers.ts";
import { CHROMIUM_HOW_TO_GET, CHROMIUM_PATH, HAS_CHROMIUM } from "../../support/chromium.ts";
import { missingPeer } from "../../support/peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { PNG, toneWav } from "../../support/voicemail.ts";

test("on a real node a user stores a signature and sends a voice message from the portal; the recipient's inbox holds it with the three signature parts; a background call started from the portal is stopped from the page", async (t) => {
  if (!HAS_CHROMIUM) return missingPeer(t, "Chromium", CHROMIUM_HOW_TO_GET);
  const parley = await startSipTestNode(
    ["1001", "1002", "1003"],
    {},
    {
      features: { voicemail: true, backgroundCall: true },
    },
  );
  t.after(() => parley.stop());
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const base = parley.api.replace(/\/api\/v1$/, "");

  await page.goto(`${base}/login`);
  await page.getByLabel("Account").fill("1001");
  await page.getByLabel("Password").fill("web-1001");
  await Promise.all([
    page.waitForURL(`${base}/merchants`),
    page.getByRole("button", { name: /Log in/ }).click(),
  ]);

  // The signature: text, a WAV clip and a PNG.
  await page.getByRole("link", { name: "Voicemail" }).click();
  await page.getByRole("link", { name: "Signature" }).click();
  await page.getByLabel("Text").fill("Alice Martin — Parley");
  const voice = toneWav(600, 1);
  await page.getByLabel("Voice clip").setInputFiles({ name: "me.wav", mimeType: "audio/wav", buffer: voice });
  await page.getByLabel("Image").setInputFiles({ name: "me.png", mimeType: "image/png", buffer: PNG });
  await Promise.all([
    page.waitForURL(`${base}/voicemail/signature?saved=1`),
    page.getByRole("button", { name: "Save the signature" }).click(),
  ]);
  await page.getByText("Signature saved.").waitFor();
  assert.equal(await page.locator("#signature-text").textContent(), "Alice Martin — Parley");
  assert.equal(
    await page
      .locator("#signature-image")
      .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
    1,
    "the stored image is served to the page",
  );

  // A voice message to 1002.
  await page.getByRole("link", { name: "Send a voice message" }).click();
  await page.getByLabel("To").fill("1002");
  await page
    .getByLabel("Recording")
    .setInputFiles({ name: "hello.wav", mimeType: "audio/wav", buffer: toneWav(440, 2) });
  await page.getByLabel("Urgent").check();
  await page.getByRole("button", { name: "Send" }).click();
  await page.locator("#send-report").waitFor();
  assert.match(
    (await page.locator("#send-report").textContent()) ?? "",
    /1002@parley\.test: delivered to the mailbox[\s\S]*Your signature was attached\./,
  );
  const store = parley.node.voicemail.store;
  const [filed] = await store.messages("1002@parley.test", "INBOX");
  assert.ok(filed, "the message is in 1002's INBOX");
  assert.ok(filed.flags.includes("\\Flagged"), "urgent");
  const raw = await store.source("1002@parley.test", "INBOX", filed.uid);
  assert.ok(raw);
  const message = await parseVoiceMessage(raw);
  assert.equal(message.from?.address, "1001@parley.test");
  assert.equal(message.signature.text, "Alice Martin — Parley");
  assert.deepEqual(message.signature.image, { data: PNG, contentType: "image/png" });
  assert.equal(message.signature.voice?.toString("latin1", 0, 4), "RIFF");
  assert.equal(message.signature.voice?.length, voice.length);

  // A background call to 1003, who is not registered: Parley keeps trying until it is stopped.
  await page.getByRole("link", { name: "Background calls" }).click();
  await page.getByLabel("Number to keep trying").fill("1003");
  await Promise.all([
    page.waitForURL(/\/background-calls\?started=1003$/),
    page.getByRole("button", { name: "Start" }).click(),
  ]);
  const service = parley.node.backgroundCalls?.service;
  assert.ok(service);
  const [job] = await service.list({ caller: "1001@parley.test", limit: 10 });
  assert.equal(job?.callee, "1003@parley.test");
  assert.equal(job?.origin, "portal");
  const card = page.locator(`li[data-job="${job?.id}"]`);
  await card.waitFor();
  await eventually(async () => ((await service.get(job?.id ?? ""))?.attempts ?? 0) >= 1, "a first attempt");
  await Promise.all([
    page.waitForURL(/\/background-calls\?stopped=1003$/),
    card.getByRole("button", { name: "Stop the background call to 1003" }).click(),
  ]);
  assert.equal(await card.getAttribute("data-state"), "stopped");
  const stopped = await service.get(job?.id ?? "");
  assert.equal(stopped?.state, "stopped");
  assert.equal(stopped?.log.at(-1)?.detail, "portal (1001@parley.test)");
});
