/**
 * Reads the JSON Schema that TypeBox produced for the configuration, so that validation errors
 * and the environment overlay can speak in terms of keys and rules rather than schema paths.
 */
export interface SchemaNode {
  type?: string;
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
  anyOf?: SchemaNode[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
  allowed?: string;
  description?: string;
  default?: unknown;
}

/** "an integer from 0 to 65535", "one of "json", "pretty"" ... */
export function describeRule(schema: SchemaNode): string {
  if (schema.allowed) return schema.allowed;
  if (schema.anyOf?.every((s) => s.const !== undefined)) {
    return `one of ${schema.anyOf.map((s) => JSON.stringify(s.const)).join(", ")}`;
  }
  const range = (): string => {
    if (schema.minimum !== undefined && schema.maximum !== undefined) {
      return ` from ${schema.minimum} to ${schema.maximum}`;
    }
    if (schema.minimum !== undefined) return ` of at least ${schema.minimum}`;
    if (schema.maximum !== undefined) return ` of at most ${schema.maximum}`;
    return "";
  };
  switch (schema.type) {
    case "integer":
      return `an integer${range()}`;
    case "number":
      return `a number${range()}`;
    case "boolean":
      return "true or false";
    case "object":
      return "a table of keys";
    case "array":
      return `a list of ${schema.items ? describeRule(schema.items).replace(/^one of /, "") : "values"}`;
    case "string":
      return schema.minLength ? "a non-empty string" : "a string";
    default:
      return "a valid value";
  }
}

/** Every leaf key of the schema as a dotted path with its schema node. */
export function leafKeys(schema: SchemaNode, prefix = ""): Array<[string, SchemaNode]> {
  const out: Array<[string, SchemaNode]> = [];
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (child.type === "object" && child.properties) out.push(...leafKeys(child, key));
    else out.push([key, child]);
  }
  return out;
}

/** The closest known key, for "did you mean" hints on typos. */
export function closestKey(unknown: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(unknown, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
