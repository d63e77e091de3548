// `npm run docs`: regenerates the files derived from code (parley.example.toml, the key table in
// docs/configuration.md, docs/openapi.json). test/unit/docs checks that they are current.
import { readFileSync, writeFileSync } from "node:fs";
import { generatedDocs } from "../test/support/generated-docs.ts";

for (const { path, expected } of await generatedDocs()) {
  const current = (() => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  })();
  if (current !== expected) {
    writeFileSync(path, expected);
    console.log(`wrote ${path}`);
  }
}
