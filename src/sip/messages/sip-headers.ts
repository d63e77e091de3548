import { canonicalHeaderName, headerKey, isListHeader } from "./header-names.ts";
import { splitOutside } from "./scanner.ts";

interface HeaderLine {
  /** The name as received or as given, re-emitted as is. */
  name: string;
  /** Lower-case long form, the lookup key. */
  key: string;
  value: string;
}

/**
 * The header fields of one message, in order. Unknown headers are kept verbatim and re-emitted
 * where they were; lookups are case-insensitive and accept compact forms. Typed values (Via,
 * CSeq …) are parsed on first use and cached until the header changes.
 */
export class SipHeaders {
  #lines: HeaderLine[] = [];
  /** header key → parser → parsed value; a change to the header drops its entry. */
  #cache = new Map<string, Map<unknown, unknown>>();

  /** Appends a header line as received (parser) or as built. */
  append(name: string, value: string): void {
    const key = headerKey(name);
    this.#lines.push({ name, key, value });
    this.#cache.delete(key);
  }

  /** Inserts before every other line of the same header (a proxy's Via, a Record-Route). */
  prepend(name: string, value: string): void {
    const key = headerKey(name);
    const at = this.#lines.findIndex((l) => l.key === key);
    const line = { name: canonicalHeaderName(name), key, value };
    if (at < 0) this.#lines.push(line);
    else this.#lines.splice(at, 0, line);
    this.#cache.delete(key);
  }

  /** Replaces every line of the header with one line (in the place of the first). */
  set(name: string, value: string): void {
    const key = headerKey(name);
    const at = this.#lines.findIndex((l) => l.key === key);
    this.#lines = this.#lines.filter((l) => l.key !== key);
    const line = { name: canonicalHeaderName(name), key, value };
    if (at < 0) this.#lines.push(line);
    else this.#lines.splice(at, 0, line);
    this.#cache.delete(key);
  }

  /** Replaces the value of the first line of a header (e.g. the top Via after adding received). */
  replaceFirst(name: string, value: string): void {
    const key = headerKey(name);
    const line = this.#lines.find((l) => l.key === key);
    if (!line) {
      this.append(canonicalHeaderName(name), value);
      return;
    }
    line.value = value;
    this.#cache.delete(key);
  }

  remove(name: string): void {
    const key = headerKey(name);
    this.#lines = this.#lines.filter((l) => l.key !== key);
    this.#cache.delete(key);
  }

  has(name: string): boolean {
    const key = headerKey(name);
    return this.#lines.some((l) => l.key === key);
  }

  /** The first line's value, as written. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    return this.#lines.find((l) => l.key === key)?.value;
  }

  /** Every line's value, as written (no comma splitting). */
  lines(name: string): string[] {
    const key = headerKey(name);
    return this.#lines.filter((l) => l.key === key).map((l) => l.value);
  }

  /**
   * Every value of a header, with comma-joined list headers split (§7.3.1), e.g. two Via lines
   * of which one holds two values give three values.
   */
  values(name: string): string[] {
    const key = headerKey(name);
    const rows = this.lines(key);
    if (!isListHeader(key)) return rows;
    return rows.flatMap((row) => splitOutside(row, ",").map((v) => v.trim())).filter((v) => v !== "");
  }

  /** A typed view of a header, parsed once and cached until the header changes. */
  parsed<T>(name: string, parse: (headers: SipHeaders) => T): T {
    const key = headerKey(name);
    let byParser = this.#cache.get(key);
    if (byParser?.has(parse)) return byParser.get(parse) as T;
    const value = parse(this);
    if (!byParser) {
      byParser = new Map();
      this.#cache.set(key, byParser);
    }
    byParser.set(parse, value);
    return value;
  }

  /** Every line in order: [name, value]. */
  entries(): Array<[string, string]> {
    return this.#lines.map((l) => [l.name, l.value]);
  }

  get size(): number {
    return this.#lines.length;
  }

  clone(): SipHeaders {
    const copy = new SipHeaders();
    copy.#lines = this.#lines.map((l) => ({ ...l }));
    return copy;
  }
}
