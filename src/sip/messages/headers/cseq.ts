import { SipParseError } from "../../errors.ts";
import { TOKEN } from "../scanner.ts";

/** §8.1.1.5: "The sequence number value MUST be expressible as a 32-bit unsigned integer and MUST be less than 2**31." */
export const MAX_CSEQ = 2 ** 31 - 1;

/** CSeq, RFC 3261 §20.16: a sequence number and the request method. */
export class CSeq {
  readonly seq: number;
  readonly method: string;

  constructor(seq: number, method: string) {
    this.seq = seq;
    this.method = method;
  }

  static parse(text: string): CSeq {
    const match = /^\s*(\d+)\s+(\S+)\s*$/.exec(text);
    if (!match) throw new SipParseError("Bad CSeq", "expected <number> <method>");
    const seq = Number(match[1]);
    const method = match[2] as string;
    if (seq > MAX_CSEQ) throw new SipParseError("Bad CSeq", "sequence number above 2^31-1");
    if (!TOKEN.test(method)) throw new SipParseError("Bad CSeq", "bad method");
    return new CSeq(seq, method);
  }

  toString(): string {
    return `${this.seq} ${this.method}`;
  }
}
