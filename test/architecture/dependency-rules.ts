/**
 * Parley's dependency rules (docs: ARCHITECTURE.md §1 layout, §2 dependency direction), as a
 * dependency-cruiser `forbidden` rule set. Paths are matched relative to the repository root
 * (`src/sip/messages/parser.ts`). Rules naming folders that do not exist yet match nothing.
 */
import type { IFlattenedRuleSet, IForbiddenRuleType } from "dependency-cruiser";

/** A top-level module of src/ as a path regex: folders end in "/", main.ts is a file. */
function area(name: string): string {
  return name.endsWith(".ts") ? `^src/${name.replace(/\./g, "\\.")}$` : `^src/${name}/`;
}

/**
 * §2.1 layers, from the bottom: kernel → config → {sip, media, imap, smtp, directory} → registrar →
 * calls → {services, billing} → http, cli → node → main; phone sits on kernel, sip and media only, and
 * cli above it. Each module lists what it may import besides itself; everything else under src/ is
 * forbidden (modules of the same layer included).
 * storage/ and cluster/ are not layers; the adapter rules below govern them.
 */
const LAYERS: ReadonlyArray<readonly [module: string, mayImport: readonly string[]]> = (() => {
  const kernel = ["kernel"];
  const config = [...kernel, "config"];
  const protocols = [...config, "sip", "media", "imap", "smtp", "directory"];
  const registrar = [...protocols, "registrar"];
  const calls = [...registrar, "calls"];
  const features = [...calls, "services", "billing"];
  const edges = [...features, "http", "cli"];
  return [
    ["kernel", []],
    ["config", kernel],
    ["sip", config],
    ["media", config],
    ["imap", config],
    ["smtp", config],
    // The subscriber directory (domains, users, API tokens and their store ports) sits on kernel only.
    ["directory", kernel],
    ["registrar", protocols],
    // The softphone (`parley phone`) is a SIP user agent with media of its own, beside calls/ rather
    // than on top of it: it may import sip/, media/ (each through its index.ts, see §2.7) and kernel/.
    ["phone", [...kernel, "sip", "media"]],
    ["calls", registrar],
    ["services", calls],
    ["billing", calls],
    ["http", features],
    // §1: "cli/ may import config/, node/, storage/": the one upward edge of the list. `parley phone`
    // runs the softphone, so cli/ may import phone/ too.
    ["cli", [...features, "node", "phone"]],
    ["node", edges],
    ["main.ts", [...edges, "node"]],
  ];
})();

const ADAPTERS = ["storage", "cluster"] as const;

const layerRules: IForbiddenRuleType[] = LAYERS.map(([module, mayImport]) => ({
  name: mayImport.length === 0 ? `${module}-imports-nothing-of-ours` : `layer-${module.replace(".ts", "")}`,
  comment:
    mayImport.length === 0
      ? `§1/§2.1: ${module}/ is the bottom layer and imports nothing from src/.`
      : `§2.1: imports only point down. ${module} may import ${mayImport.join(", ")}.`,
  severity: "error",
  from: { path: area(module) },
  to: { path: "^src/", pathNot: [area(module), ...mayImport.map(area), ...ADAPTERS.map(area)] },
}));

/** §2.2: messages ← transports ← transactions ← dialogs ← user-agent; type-only imports count too. */
const SIP_LAYERS = ["messages", "transports", "transactions", "dialogs", "user-agent"] as const;

const sipLayerRules: IForbiddenRuleType[] = SIP_LAYERS.slice(0, -1).map((layer, i) => {
  const higher: string[] = [...SIP_LAYERS.slice(i + 1)];
  if (layer === "messages") higher.push("auth");
  return {
    name: `sip-${layer}-not-to-higher-sip-layers`,
    comment: `§2.2: sip/${layer}/ may not import ${higher.map((h) => `sip/${h}/`).join(", ")} or sip/index.ts.`,
    severity: "error",
    from: { path: `^src/sip/${layer}/` },
    to: { path: [`^src/sip/(${higher.join("|")})/`, "^src/sip/index\\.ts$"] },
  };
});

/** §2.7: outside a top-level module, import only its index.ts. */
const DEEP_IMPORT_MODULES = ["sip", "media", "calls", "registrar", "imap", "smtp", "phone"] as const;

const deepImportRules: IForbiddenRuleType[] = [
  ...DEEP_IMPORT_MODULES.map(
    (module): IForbiddenRuleType => ({
      name: `no-deep-import-${module}`,
      comment: `§2.7: outside src/${module}/ import only src/${module}/index.ts.`,
      severity: "error",
      from: { path: "^src/", pathNot: `^src/${module}/` },
      to: { path: `^src/${module}/`, pathNot: `^src/${module}/index\\.ts$` },
    }),
  ),
  {
    name: "no-deep-import-services",
    comment: "§1/§2.7: outside src/services/<name>/ import only src/services/<name>/index.ts.",
    severity: "error",
    from: { path: "^src/", pathNot: "^src/services/" },
    to: { path: "^src/services/[^/]+/", pathNot: "^src/services/[^/]+/index\\.ts$" },
  },
];

export const dependencyRules = {
  forbidden: [
    {
      name: "no-circular",
      comment: "§2.8: no cycles at all, type-only imports included.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    ...layerRules,
    {
      name: "media-not-to-sip-or-calls",
      comment: "§2.3: media/ never imports sip/ or calls/; SDP crosses as a SessionDescription.",
      severity: "error",
      from: { path: "^src/media/" },
      to: { path: "^src/(sip|calls)/" },
    },
    {
      name: "sip-not-to-media-calls-registrar",
      comment: "§1/§2.3: sip/ knows nothing of calls, media or the registrar.",
      severity: "error",
      from: { path: "^src/sip/" },
      to: { path: "^src/(media|calls|registrar)/" },
    },
    ...sipLayerRules,
    {
      name: "sip-auth-imports-only-messages",
      comment: "§1: sip/auth/ may import messages/ and kernel/ only.",
      severity: "error",
      from: { path: "^src/sip/auth/" },
      to: { path: "^src/sip/(transports|transactions|dialogs|user-agent)/|^src/sip/index\\.ts$" },
    },
    ...deepImportRules,
    {
      name: "services-not-to-other-services",
      comment: "§2.5: services meet through call events and ports, never by importing each other.",
      severity: "error",
      from: { path: "^src/services/([^/]+)/" },
      to: { path: "^src/services/", pathNot: "^src/services/$1/" },
    },
    {
      name: "adapters-import-kernel-and-port-types-only",
      comment:
        "§1/§2.6: storage/ and cluster/ import kernel/ and only `import type` of other modules' ports.",
      severity: "error",
      from: { path: "^src/(storage|cluster)/" },
      to: { path: "^src/", pathNot: "^src/(kernel|$1)/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "only-node-and-cli-import-adapters",
      comment: "§1/§2.6: only node/ and cli/ (and tests) import storage/ or cluster/.",
      severity: "error",
      from: { path: "^src/([^/]+)", pathNot: "^src/(node|cli)/" },
      to: { path: "^src/(storage|cluster)/", pathNot: "^src/$1/" },
    },
  ],
} satisfies IFlattenedRuleSet;

/** §2.9: these appear only in config/ and kernel/ (everything else gets a Config slice and a Clock). */
export const ambientRules = {
  allowedIn: ["src/config/", "src/kernel/"],
  forbidden: [
    { name: "process.env", pattern: /\bprocess\s*\.\s*env\b/ },
    { name: "Date.now()", pattern: /\bDate\s*\.\s*now\s*\(/ },
    { name: "setTimeout(", pattern: /\bsetTimeout\s*\(/ },
    { name: "setInterval(", pattern: /\bsetInterval\s*\(/ },
  ],
} as const;

/** ARCHITECTURE §6: no file under src/ over this many lines. */
export const MAX_FILE_LINES = 600;
