import { ImapParseError } from "../errors.ts";

/** `*` is kept symbolic until the largest number in use is known. */
type Bound = number | "*";

const MAX_NUMBER = 0xffff_ffff;
const NUMBER = /^[1-9]\d{0,9}$/;

function bound(text: string, tag: string | undefined): Bound {
  if (text === "*") return "*";
  if (!NUMBER.test(text) || Number(text) > MAX_NUMBER) throw new ImapParseError("Invalid sequence set", tag);
  return Number(text);
}

/**
 * A sequence set (https://www.rfc-editor.org/rfc/rfc3501#section-9, `sequence-set`): numbers,
 * `a:b` ranges in either order and `*`, "the largest number in use". The same syntax names
 * message sequence numbers and, after UID, unique identifiers.
 */
export class SequenceSet {
  readonly #ranges: ReadonlyArray<readonly [Bound, Bound]>;
  readonly text: string;

  private constructor(ranges: ReadonlyArray<readonly [Bound, Bound]>, text: string) {
    this.#ranges = ranges;
    this.text = text;
  }

  static parse(text: string, tag?: string): SequenceSet {
    if (text.length === 0 || text.length > 10_000) throw new ImapParseError("Invalid sequence set", tag);
    const ranges = text.split(",").map((part): readonly [Bound, Bound] => {
      const pieces = part.split(":");
      if (pieces.length > 2) throw new ImapParseError("Invalid sequence set", tag);
      const first = bound(pieces[0] ?? "", tag);
      return [first, pieces.length === 2 ? bound(pieces[1] ?? "", tag) : first];
    });
    return new SequenceSet(ranges, text);
  }

  /** The largest explicit number, to tell a sequence set that reaches past the mailbox. */
  get largestNumber(): number {
    let largest = 0;
    for (const [a, b] of this.#ranges) {
      if (a !== "*") largest = Math.max(largest, a);
      if (b !== "*") largest = Math.max(largest, b);
    }
    return largest;
  }

  /** Whether the set uses `*` anywhere. */
  get hasStar(): boolean {
    return this.#ranges.some(([a, b]) => a === "*" || b === "*");
  }

  /** Whether `n` is in the set when `*` stands for `largest`. */
  contains(n: number, largest: number): boolean {
    for (const [a, b] of this.#ranges) {
      const low = a === "*" ? largest : a;
      const high = b === "*" ? largest : b;
      if (n >= Math.min(low, high) && n <= Math.max(low, high)) return true;
    }
    return false;
  }
}

/** Writes ascending numbers as a compact set (`1:3,7`), as COPYUID wants them (RFC 4315 §3). */
export function compactSet(numbers: readonly number[]): string {
  const sorted = [...numbers].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i] as number;
    let end = start;
    while (sorted[i + 1] === end + 1) end = sorted[++i] as number;
    parts.push(start === end ? `${start}` : `${start}:${end}`);
    i++;
  }
  return parts.join(",");
}
