import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { SystemClock } from "../../src/kernel/clock.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { SoftPhone } from "../../src/phone/index.ts";
import { eventually } from "../support/call-peers.ts";
import { directCaller } from "../support/direct-caller.ts";
import { ParleyProcess, runParley } from "../support/parley-process.ts";
import { startSipTestNode } from "../support/sip-node.ts";
import { dominantTone } from "../support/tone-probe.ts";

/** The stdout lines of a `parley phone` process (ParleyProcess keeps non-JSON lines as `msg`). */
function output(proc: ParleyProcess): string[] {
  return proc.lines.filter((line) => line.raw === true).map((line) => String(line.msg));
}

describe("parley phone", () => {
  test("registers, prints a line per event (incoming normal, answered, ended, incoming emergency, preempted) and unregisters on SIGTERM with exit 0", async (t) => {
    const parley = await startSipTestNode(["1001", "1002"]);
    const cwd = mkdtempSync(join(tmpdir(), "parley-phone-"));
    const proc = ParleyProcess.start({
      cwd,
      args: [
        "phone",
        ...["--server", parley.target, "--user", "1001", "--password", "pw-1001"],
        ...["--domain", "parley.test", "--auto-answer", "--tone", "1000"],
      ],
    });
    const caller = new SoftPhone({
      extension: "1002",
      password: "pw-1002",
      server: { address: "127.0.0.1", port: Number(parley.target.split(":")[1]) },
      domain: parley.domain,
      clock: new SystemClock(),
      logger: silentLogger(),
      toneHz: 2000,
    });
    t.after(async () => {
      await caller.close();
      await proc.kill();
      await parley.stop();
    });
    const line = (text: string | RegExp) =>
      proc.waitForLine(
        (l) => l.raw === true && (typeof text === "string" ? l.msg === text : text.test(String(l.msg))),
      );

    await line("registered 1001@parley.test");
    const [binding] = parley.node.sip.location.lookup("sip:1001@parley.test");
    assert.ok(binding, "the command's phone is registered");

    await caller.start();
    await caller.register();
    assert.deepEqual(await caller.call("1001"), { answered: true });
    await line("incoming normal from sip:1002@parley.test");
    await line("answered sip:1002@parley.test");
    await eventually(() => caller.heard().length >= 8000, "a second of the command phone's tone");
    assert.equal(
      dominantTone(caller.heard().slice(-4000), 8000, [1000, 2000]).frequency,
      1000,
      "--tone 1000",
    );

    // An emergency INVITE straight to the command's phone preempts the call through Parley.
    const psap = await directCaller(t, 1500);
    const target = { address: binding.source.address, port: binding.source.port };
    assert.deepEqual(await psap(target, "<urn:alert:service:emergency>"), { status: 200 });
    await line("incoming emergency from sip:psap@127.0.0.1");
    await line('ended by local (preemption ;cause=1 ;text="UA Preemption")');
    await line(/^preempted: ended the current call \(sip:1002@parley\.test\) for an emergency call/);
    await line("answered sip:psap@127.0.0.1");
    await eventually(() => caller.state === "Idle", "Parley to end the caller's side");
    assert.deepEqual(await psap(target, undefined), { status: 486 });
    await line("rejected 486 (normal ring while busy)");

    proc.signalGroup("SIGTERM");
    const exit = await proc.exited;
    assert.equal(exit.code, 0, proc.transcript());
    assert.equal(output(proc).at(-1), "unregistered 1001@parley.test");
    assert.ok(output(proc).includes("ended by local"), "the emergency call was hung up on the way out");
    assert.equal(parley.node.sip.location.lookup("sip:1001@parley.test").length, 0, "the binding is gone");
  });

  test("a bad option prints one line naming it and exits 2", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "parley-phone-"));
    const cases: Array<[string[], RegExp]> = [
      [["--server", "127.0.0.1:5060", "--user", "1001", "--tone", "abc"], /--tone <hz>.*'abc' is invalid/],
      [
        ["--server", "localhost", "--user", "1001"],
        /--server <host:port>.*'localhost' is invalid.*host:port/,
      ],
      [["--user", "1001"], /required option '--server <host:port>' not specified/],
      [["--server", "127.0.0.1:5060", "--user", "1001", "--loud"], /unknown option '--loud'/],
      [["--server", "127.0.0.1:5060", "--user", "1001"], /--password <secret>.* empty/],
    ];
    for (const [args, message] of cases) {
      const result = await runParley(["phone", ...args], { cwd, input: "" });
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      const lines = result.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, `one line for ${args.join(" ")}: ${result.stderr}`);
      assert.match(lines[0] ?? "", message);
      assert.equal(result.stdout, "");
    }
  });
});
