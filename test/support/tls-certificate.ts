import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A throw-away self-signed certificate for 127.0.0.1 made with the openssl command line;
 * undefined when openssl is missing.
 */
export function selfSignedCertificate(): { cert: string; key: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), "parley-tls-"));
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const result = spawnSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { encoding: "utf8" },
  );
  return result.status === 0 ? { cert, key } : undefined;
}
