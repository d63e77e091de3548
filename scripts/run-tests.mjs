#!/usr/bin/env node
// `npm test`: runs every test/**/*.test.ts with Node's built-in runner (TypeScript through tsx).
// Node 20's --test does not expand globs, so the files are listed here. Arguments narrow the run:
//   npm test -- test/unit/config        (a folder)    npm test -- test/unit/config/load.test.ts
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const targets = process.argv.slice(2);

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) {
      if (entry === "node_modules" || entry.startsWith(".")) continue;
      collect(join(path, entry), out);
    }
  } else if (path.endsWith(".test.ts")) {
    out.push(relative(root, path));
  }
  return out;
}

const files = (targets.length > 0 ? targets : ["test"]).flatMap((t) => collect(join(root, t), []));
if (files.length === 0) {
  console.error("run-tests: no test files found");
  process.exit(1);
}
const child = spawn(
  process.execPath,
  [
    "--import",
    "tsx",
    "--test",
    "--test-reporter=spec",
    "--test-concurrency=4",
    "--test-timeout=120000",
    ...files,
  ],
  { cwd: root, stdio: "inherit" },
);
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
