import type { SchemaNode } from "./describe.ts";
import { describeRule } from "./describe.ts";
import { environmentName } from "./load.ts";
import { ConfigSchema } from "./schema.ts";

const ROOT = ConfigSchema as unknown as SchemaNode;

interface KeyDoc {
  key: string;
  section: string | undefined;
  name: string;
  schema: SchemaNode;
}

/** Top-level lists of tables ([[trunks]]): documented entry by entry, not as plain keys. */
function tableLists(): Array<[string, SchemaNode]> {
  return Object.entries(ROOT.properties ?? {}).filter(
    ([, node]) => node.type === "array" && node.items?.type === "object",
  );
}

function keys(): KeyDoc[] {
  const out: KeyDoc[] = [];
  for (const [name, node] of Object.entries(ROOT.properties ?? {})) {
    if (node.type === "array" && node.items?.type === "object") continue;
    if (node.type === "object") {
      for (const [child, leaf] of Object.entries(node.properties ?? {})) {
        out.push({ key: `${name}.${child}`, section: name, name: child, schema: leaf });
      }
    } else {
      out.push({ key: name, section: undefined, name, schema: node });
    }
  }
  return out;
}

function tomlValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)} = ${tomlValue(v)}`);
    return entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`;
  }
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * parley.example.toml, generated from the schema so that the example can never drift from what
 * the loader accepts: every key, commented out at its default, with its description and rule.
 */
export function renderExampleToml(): string {
  const lines = [
    "# Parley configuration. Every key is shown at its default, commented out; uncomment to change.",
    "# Every key can also be set by environment variable: PARLEY_<SECTION>_<KEY>, e.g. PARLEY_HTTP_PORT.",
    "# Check a file with: parley --config parley.toml config check",
    "",
  ];
  let section: string | undefined;
  for (const doc of keys()) {
    if (doc.section !== section) {
      section = doc.section;
      const description = section ? ROOT.properties?.[section]?.description : undefined;
      lines.push("", "", `# ${description ?? ""}`.trimEnd(), `[${section}]`);
    }
    lines.push(
      "",
      `# ${doc.schema.description ?? ""}`.trimEnd(),
      `# Allowed: ${describeRule(doc.schema)}. Environment: ${environmentName(doc.key)}.`,
      `# ${doc.name} = ${tomlValue(doc.schema.default)}`,
    );
  }
  for (const [name, node] of tableLists()) {
    lines.push(
      "",
      "",
      `# ${node.description ?? ""} None by default; one table per entry, for example:`,
      "#",
      `# [[${name}]]`,
    );
    for (const [key, leaf] of Object.entries(node.items?.properties ?? {})) {
      const value = leaf.default === undefined ? `"…"  (required)` : tomlValue(leaf.default);
      lines.push(`${`#   ${key} = ${value}`.padEnd(40)}  # ${leaf.description ?? ""}`);
    }
  }
  return `${lines.join("\n").replace(/\n{4,}/g, "\n\n\n")}\n`;
}

/** The key reference table of docs/configuration.md. */
export function renderKeyTable(): string {
  const cell = (s: string) => s.replaceAll("|", "\\|");
  const rows = keys().map((doc) => {
    return `| \`${doc.key}\` | \`${environmentName(doc.key)}\` | \`${tomlValue(doc.schema.default)}\` | ${cell(describeRule(doc.schema))} | ${cell(doc.schema.description ?? "")} |`;
  });
  for (const [name, node] of tableLists()) {
    for (const [key, leaf] of Object.entries(node.items?.properties ?? {})) {
      const value = leaf.default === undefined ? "(required)" : `\`${tomlValue(leaf.default)}\``;
      rows.push(
        `| \`${name}[].${key}\` | (file only) | ${value} | ${cell(describeRule(leaf))} | ${cell(leaf.description ?? "")} |`,
      );
    }
  }
  return [
    "| Key | Environment | Default | Allowed | Meaning |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}
