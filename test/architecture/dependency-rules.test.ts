/**
 * ARCHITECTURE.md §2 as tests: dependency-cruiser over src/ with the rules in ./dependency-rules.ts,
 * a text scan for ambient time and environment access, and the 600-line file limit.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { cruise, type ICruiseResult, type IViolation } from "dependency-cruiser";
import extractTSConfig from "dependency-cruiser/config-utl/extract-ts-config";
import { ambientRules, dependencyRules, MAX_FILE_LINES } from "./dependency-rules.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SRC = join(ROOT, "src");
const SOURCE_FILE = /\.(ts|mts|cts|js|mjs|cjs)$/;

/** Every file under src/, as a repository-relative posix path ("src/sip/index.ts"). */
function srcFiles(): string[] {
  if (!existsSync(SRC)) return [];
  return readdirSync(SRC, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .sort();
}

function describeViolation(violation: IViolation): string {
  const line = `${violation.from} -> ${violation.to} (${violation.rule.name})`;
  const cycle = violation.cycle?.map((step) => step.name);
  return cycle && cycle.length > 0 ? `${line} cycle: ${[violation.from, ...cycle].join(" -> ")}` : line;
}

/**
 * Blanks comments and the contents of string and template literals (keeping `${…}` code and every
 * newline), so a scan sees only code and reports true line numbers. Regex literals are not recognised.
 */
function codeOnly(source: string): string {
  let out = "";
  let state: "code" | "line" | "block" | "'" | '"' | "`" = "code";
  const braces: number[] = []; // open-brace depth of each `${` we are inside
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i] ?? "";
    const next = source[i + 1] ?? "";
    const blank = ch === "\n" ? "\n" : " ";
    if (state === "code") {
      if (ch === "/" && next === "/") state = "line";
      else if (ch === "/" && next === "*") state = "block";
      else if (ch === "'" || ch === '"' || ch === "`") state = ch;
      else if (ch === "{") depth++;
      else if (ch === "}" && braces.length > 0 && braces.at(-1) === depth) {
        braces.pop();
        state = "`";
      } else if (ch === "}") depth--;
      out += state === "code" || state === ch ? ch : blank;
    } else if (state === "line") {
      if (ch === "\n") state = "code";
      out += blank;
    } else if (state === "block") {
      if (ch === "*" && next === "/") {
        out += "  ";
        i++;
        state = "code";
      } else out += blank;
    } else if (ch === "\\") {
      out += `${blank}${next === "\n" ? "\n" : " "}`;
      i++;
    } else if (ch === state) {
      out += ch;
      state = "code";
    } else if (state === "`" && ch === "$" && next === "{") {
      out += "${";
      i++;
      braces.push(depth);
      state = "code";
    } else out += blank;
  }
  return out;
}

function lineCount(text: string): number {
  if (text.length === 0) return 0;
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

test("src/ obeys the dependency rules of ARCHITECTURE §2 (dependency-cruiser)", async () => {
  const files = srcFiles().filter((file) => SOURCE_FILE.test(file));
  if (files.length === 0) return; // nothing written yet: nothing can break a rule
  const tsConfigFile = join(ROOT, "tsconfig.json");
  const { output } = await cruise(
    ["src"],
    {
      baseDir: ROOT,
      validate: true,
      ruleSet: dependencyRules,
      tsPreCompilationDeps: true,
      tsConfig: { fileName: tsConfigFile },
      doNotFollow: { path: "node_modules" },
      exclude: { path: "node_modules" },
    },
    {},
    { tsConfig: extractTSConfig(tsConfigFile) },
  );
  assert.equal(typeof output, "object", "dependency-cruiser returned a report string, expected a result");
  const result = output as ICruiseResult;
  assert.ok(result.summary.totalCruised > 0, "dependency-cruiser found no modules under src/");
  const violations = [...new Set(result.summary.violations.map(describeViolation))].sort();
  if (violations.length > 0) {
    assert.fail(
      `${violations.length} dependency rule violation(s) (see test/architecture/dependency-rules.ts):\n  ${violations.join("\n  ")}\n`,
    );
  }
});

test("process.env, Date.now(), setTimeout and setInterval appear only in src/config/ and src/kernel/", () => {
  const findings: string[] = [];
  for (const file of srcFiles()) {
    if (!SOURCE_FILE.test(file) || ambientRules.allowedIn.some((dir) => file.startsWith(dir))) continue;
    const lines = codeOnly(readFileSync(join(ROOT, file), "utf8")).split("\n");
    lines.forEach((line, index) => {
      for (const { name, pattern } of ambientRules.forbidden) {
        if (pattern.test(line)) findings.push(`${file}:${index + 1} uses ${name}`);
      }
    });
  }
  if (findings.length > 0) {
    assert.fail(
      `${findings.length} use(s) outside config/ and kernel/ (inject a Config slice or the kernel Clock instead):\n  ${findings.join("\n  ")}\n`,
    );
  }
});

test(`no file under src/ is over ${MAX_FILE_LINES} lines`, () => {
  const tooLong = srcFiles()
    .map((file) => ({ file, lines: lineCount(readFileSync(join(ROOT, file), "utf8")) }))
    .filter(({ lines }) => lines > MAX_FILE_LINES)
    .map(({ file, lines }) => `${file}: ${lines} lines`);
  if (tooLong.length > 0) {
    assert.fail(
      `${tooLong.length} file(s) over ${MAX_FILE_LINES} lines; split them:\n  ${tooLong.join("\n  ")}\n`,
    );
  }
});
