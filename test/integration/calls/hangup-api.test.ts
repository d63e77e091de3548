import assert from "node:assert/strict";
import { test } from "node:test";
import { eventually } from "../../support/call-peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { closeSoftPhones, registeredSoftPhone } from "../../support/soft-phones.ts";

test("DELETE /api/v1/calls/{id} hangs up a call in progress (the phone gets BYE); an unknown or ended call is 404", async (t) => {
  const parley = await startSipTestNode(["1201"]);
  t.after(async () => {
    await closeSoftPhones(t);
    await parley.stop();
  });
  const phone = await registeredSoftPhone(t, { extension: "1201", server: parley.target, autoAnswer: true });
  const api = (path: string, method = "GET", body?: unknown) =>
    fetch(`${parley.api}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${parley.adminToken}`,
        ...(body ? { "content-type": "application/json" } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const created = await api("/calls", "POST", { to: "1201", play: [{ toneHz: 440, ms: 60_000 }] });
  assert.equal(created.status, 201);
  const { id } = (await created.json()) as { id: string };
  await eventually(() => phone.state === "Connected", "the phone to answer");
  let ended: { by: string } | undefined;
  phone.on("ended", (end) => {
    ended = end;
  });
  assert.equal((await api(`/calls/${id}`, "DELETE")).status, 204);
  await eventually(() => ended !== undefined, "the phone to get BYE");
  assert.equal(ended?.by, "remote");
  await eventually(
    async () => ((await (await api(`/calls/${id}`)).json()) as { state: string }).state === "ended",
    "the call ended",
  );
  assert.equal((await api(`/calls/${id}`, "DELETE")).status, 404);
  assert.equal((await api("/calls/C00000000", "DELETE")).status, 404);
});
