import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { missingPeer } from "../../support/peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { freePort } from "../../support/sipp.ts";
import { selfSignedCertificate } from "../../support/tls-certificate.ts";

const HAS_BARESIP = spawnSync("baresip", ["-h"], { encoding: "utf8" }).error === undefined;

/**
 * Runs baresip with one account for `seconds` and returns everything it printed. baresip also
 * binds the port after its SIP port (TLS); when a parallel test holds one of them, it is run again
 * on other ports.
 */
async function runBaresip(
  account: string,
  transport: "udp" | "tcp" | "tls",
  seconds: number,
  caFile?: string,
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const output = await runBaresipOnce(account, transport, seconds, caFile);
    if (attempt >= 3 || !/init failed \(Address already in use\)/.test(output)) return output;
  }
}

async function runBaresipOnce(
  account: string,
  transport: "udp" | "tcp" | "tls",
  seconds: number,
  caFile?: string,
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "parley-baresip-"));
  const port = await freePort("127.0.0.1", transport !== "udp");
  writeFileSync(
    join(dir, "config"),
    [
      `sip_listen 127.0.0.1:${port}`,
      ...(caFile ? [`sip_cafile ${caFile}`] : []),
      "module_path /usr/lib/baresip/modules",
      "module g711.so",
      "module_app account.so",
      "",
    ].join("\n"),
  );
  writeFileSync(join(dir, "accounts"), `${account}\n`);
  const child = spawn("baresip", ["-f", dir, "-t", String(seconds)], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (c) => {
    output += c;
  });
  child.stderr.on("data", (c) => {
    output += c;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), (seconds + 10) * 1000);
  await once(child, "exit");
  clearTimeout(timer);
  // Colour escapes make the log hard to match.
  return output.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
}

describe("baresip (Debian package) registers to Parley", () => {
  for (const transport of ["udp", "tcp", "tls"] as const) {
    test(`over ${transport.toUpperCase()} with a password; baresip reports 200 OK`, async (t) => {
      if (!HAS_BARESIP) {
        missingPeer(t, "baresip", "apt-get install baresip");
        return;
      }
      const certificate = transport === "tls" ? selfSignedCertificate() : undefined;
      if (transport === "tls" && !certificate) {
        missingPeer(t, "openssl", "apt-get install openssl (to make a test certificate)");
        return;
      }
      const parley = await startSipTestNode(
        ["1001"],
        certificate
          ? {
              PARLEY_SIP_TLS_CERT: certificate.cert,
              PARLEY_SIP_TLS_KEY: certificate.key,
              PARLEY_SIP_TLS_PORT: "0",
            }
          : {},
      );
      t.after(() => parley.stop());
      const target = transport === "tls" ? `127.0.0.1:${parley.node.sipAddresses.tls?.port}` : parley.target;
      const output = await runBaresip(
        `<sip:1001@${target};transport=${transport}>;auth_pass=pw-1001;regint=300`,
        transport,
        3,
        certificate?.cert,
      );
      const proto = transport.toUpperCase();
      assert.match(
        output,
        new RegExp(`1001@127\\.0\\.0\\.1: \\{0/${proto}/v4\\} 200 OK \\(Parley/[^)]+\\) \\[1 binding\\]`),
        output,
      );
      // baresip unregisters (Expires: 0) as it quits, and the registrar removed the binding.
      assert.deepEqual(parley.node.sip.location.lookup("sip:1001@parley.test"), []);
    });
  }

  test("a wrong password is refused and baresip reports the failure", async (t) => {
    if (!HAS_BARESIP) {
      missingPeer(t, "baresip", "apt-get install baresip");
      return;
    }
    const parley = await startSipTestNode(["1001"]);
    t.after(() => parley.stop());
    const output = await runBaresip(
      `<sip:1001@${parley.target};transport=udp>;auth_pass=wrong;regint=300`,
      "udp",
      2,
    );
    assert.match(output, /403 Forbidden/, output);
    assert.deepEqual(parley.node.sip.location.lookup("sip:1001@parley.test"), []);
  });
});
