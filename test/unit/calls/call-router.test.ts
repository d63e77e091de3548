import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CallRouter,
  type Subscribers,
  Trunk,
  type TrunkSettings,
  trunkFor,
} from "../../../src/calls/index.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import { LocationService, MemoryBindingStore } from "../../../src/registrar/index.ts";
import { NameAddr, SipUri } from "../../../src/sip/index.ts";
import { FakeClock } from "../../support/fake-clock.ts";

function trunk(name: string, prefixes: string[], extra: Partial<TrunkSettings> = {}): Trunk {
  return new Trunk({
    name,
    host: "192.0.2.10",
    port: 5060,
    transport: "udp",
    username: "",
    password: "",
    register: false,
    registerExpires: 3600,
    prefixes,
    strip: 0,
    prepend: "",
    callerId: "",
    fromDomain: "",
    ...extra,
  });
}

const nobody: Subscribers = { byExtension: async () => undefined, byNumber: async () => undefined };
const from = new NameAddr(new SipUri({ user: "1001", host: "parley.test" }));

function router(trunks: Trunk[], subscribers = nobody): CallRouter {
  const location = new LocationService({
    store: new MemoryBindingStore(),
    clock: new FakeClock(),
    logger: silentLogger(),
    persistence: "write-through",
  });
  return new CallRouter({ location, subscribers, defaultDomain: "parley.test", trunks });
}

test("the trunk with the longest matching prefix carries a number; first listed wins a tie", () => {
  const any = trunk("any", ["+"]);
  const germany = trunk("de", ["+49"]);
  const berlin = trunk("berlin", ["+4930", "+4940"]);
  const twin = trunk("twin", ["+4930"]);
  const trunks = [any, germany, berlin, twin];
  assert.equal(trunkFor(trunks, "+4930123456")?.name, "berlin");
  assert.equal(trunkFor(trunks, "+4989123456")?.name, "de");
  assert.equal(trunkFor(trunks, "+33123456789")?.name, "any");
  assert.equal(trunkFor([germany], "+33123456789"), undefined);
});

test("a number goes out with the rewrite, the caller ID and the P-Asserted-Identity of its trunk", async () => {
  const carrier = trunk("carrier", ["+49"], {
    strip: 3,
    prepend: "0",
    callerId: "+4930999000",
    fromDomain: "carrier.example",
  });
  const route = await router([carrier]).route({ kind: "number", number: "+49 30 123456" }, from, {
    mayUseTrunks: true,
    number: "+4930111222",
  });
  assert.equal(route.kind, "trunk");
  if (route.kind !== "trunk") return;
  const target = route.targets[0];
  assert.equal(target?.uri.toString(), "sip:030123456@192.0.2.10:5060");
  assert.equal(target?.from.uri.toString(), "sip:+4930999000@carrier.example");
  assert.deepEqual(target?.headers, [["P-Asserted-Identity", "<sip:+4930999000@carrier.example>"]]);
  assert.deepEqual(target?.target, { protocol: "udp", address: "192.0.2.10", port: 5060 });

  const own = trunk("own", ["+49"]);
  const withCallersNumber = await router([own]).route({ kind: "number", number: "+4930123456" }, from, {
    mayUseTrunks: true,
    number: "+4930111222",
  });
  assert.equal(
    withCallersNumber.kind === "trunk" && withCallersNumber.targets[0]?.from.uri.toString(),
    "sip:+4930111222@192.0.2.10",
  );
});

test("no open relay: without permission (a call that came from a trunk, or a stranger) a number has no route", async () => {
  const r = router([trunk("carrier", ["+"])]);
  for (const caller of [undefined, { mayUseTrunks: false, number: "+4930111222" }]) {
    const route = await r.route({ kind: "number", number: "+4930123456" }, from, caller);
    assert.deepEqual(route, { kind: "failed", cause: "NO_ROUTE_DESTINATION" });
  }
  assert.equal(r.trunkAt("192.0.2.10")?.name, "carrier");
  assert.equal(r.trunkAt("192.0.2.11"), undefined);
});

test("a number owned by a user rings the user, never a trunk; unknown extensions are UNALLOCATED", async () => {
  const subscribers: Subscribers = {
    byExtension: async () => undefined,
    byNumber: async (number) =>
      number === "+4930555001"
        ? {
            extension: "2001",
            domain: "parley.test",
            displayName: "Ann",
            phoneNumbers: [number],
            features: {},
          }
        : undefined,
  };
  const r = router([trunk("carrier", ["+"])], subscribers);
  const route = await r.route({ kind: "number", number: "+4930555001" }, from, {
    mayUseTrunks: true,
    number: "x",
  });
  assert.deepEqual(
    route,
    {
      kind: "failed",
      cause: "SUBSCRIBER_ABSENT",
      subscriber: {
        extension: "2001",
        domain: "parley.test",
        displayName: "Ann",
        phoneNumbers: ["+4930555001"],
        features: {},
      },
    },
    "a local user who is not registered (named, so voicemail can take the call)",
  );
  assert.deepEqual(await r.route({ kind: "user", extension: "7777" }, from), {
    kind: "failed",
    cause: "UNALLOCATED_NUMBER",
  });
});
