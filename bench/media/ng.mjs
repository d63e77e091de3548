// A tiny client for rtpengine's ng control protocol: bencoded dictionaries over UDP, each message
// "<cookie> <bencode>", the reply carrying the same cookie. Only what the media bench needs:
// ping, offer, answer. No dependencies.
import dgram from "node:dgram";

/** Bencodes strings, integers, arrays and plain objects (keys sorted, as the format requires). */
export function bencode(value) {
  const parts = [];
  encodeInto(value, parts);
  return Buffer.concat(parts);
}

function encodeInto(value, parts) {
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new TypeError(`bencode: not an integer: ${value}`);
    parts.push(Buffer.from(`i${value}e`));
  } else if (typeof value === "string" || Buffer.isBuffer(value)) {
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value, "utf8");
    parts.push(Buffer.from(`${bytes.length}:`), bytes);
  } else if (Array.isArray(value)) {
    parts.push(Buffer.from("l"));
    for (const item of value) encodeInto(item, parts);
    parts.push(Buffer.from("e"));
  } else if (value !== null && typeof value === "object") {
    parts.push(Buffer.from("d"));
    for (const key of Object.keys(value).sort()) {
      if (value[key] === undefined) continue;
      encodeInto(key, parts);
      encodeInto(value[key], parts);
    }
    parts.push(Buffer.from("e"));
  } else {
    throw new TypeError(`bencode: cannot encode ${typeof value}`);
  }
}

/** Decodes one bencoded value from `buf` starting at `offset`; strings come back as UTF-8 text. */
export function bdecode(buf, offset = 0) {
  const [value, end] = decodeAt(buf, offset);
  return { value, end };
}

function decodeAt(buf, i) {
  const c = buf[i];
  if (c === 0x69 /* i */) {
    const end = buf.indexOf(0x65, i);
    if (end < 0) throw new Error("bdecode: unterminated integer");
    return [Number(buf.toString("latin1", i + 1, end)), end + 1];
  }
  if (c === 0x6c /* l */) {
    const list = [];
    let j = i + 1;
    while (buf[j] !== 0x65) {
      if (j >= buf.length) throw new Error("bdecode: unterminated list");
      const [item, next] = decodeAt(buf, j);
      list.push(item);
      j = next;
    }
    return [list, j + 1];
  }
  if (c === 0x64 /* d */) {
    const dict = {};
    let j = i + 1;
    while (buf[j] !== 0x65) {
      if (j >= buf.length) throw new Error("bdecode: unterminated dictionary");
      const [key, afterKey] = decodeAt(buf, j);
      const [val, afterVal] = decodeAt(buf, afterKey);
      dict[key] = val;
      j = afterVal;
    }
    return [dict, j + 1];
  }
  if (c >= 0x30 && c <= 0x39) {
    const colon = buf.indexOf(0x3a, i);
    if (colon < 0) throw new Error("bdecode: bad string length");
    const len = Number(buf.toString("latin1", i, colon));
    const start = colon + 1;
    if (start + len > buf.length) throw new Error("bdecode: truncated string");
    return [buf.toString("utf8", start, start + len), start + len];
  }
  throw new Error(`bdecode: unexpected byte ${c} at ${i}`);
}

/** One UDP socket talking ng to one rtpengine; requests are matched to replies by cookie. */
export class NgClient {
  #socket;
  #host;
  #port;
  #pending = new Map();
  #next = 1;
  #prefix = `${process.pid}_`;

  constructor(host, port) {
    this.#host = host;
    this.#port = port;
    this.#socket = dgram.createSocket("udp4");
    this.#socket.on("message", (msg) => this.#onMessage(msg));
    this.#socket.on("error", () => {});
  }

  /** Sends `dict` and resolves with the reply dictionary; rejects after `timeoutMs`. */
  request(dict, timeoutMs = 2000) {
    const cookie = `${this.#prefix}${this.#next++}`;
    const payload = Buffer.concat([Buffer.from(`${cookie} `), bencode(dict)]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(cookie);
        reject(new Error(`ng ${dict.command}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(cookie, { resolve, reject, timer });
      this.#socket.send(payload, this.#port, this.#host);
    });
  }

  close() {
    for (const { timer, reject } of this.#pending.values()) {
      clearTimeout(timer);
      reject(new Error("ng client closed"));
    }
    this.#pending.clear();
    this.#socket.close();
  }

  #onMessage(msg) {
    const space = msg.indexOf(0x20);
    if (space < 0) return;
    const cookie = msg.toString("latin1", 0, space);
    const pending = this.#pending.get(cookie);
    if (!pending) return;
    this.#pending.delete(cookie);
    clearTimeout(pending.timer);
    try {
      const { value } = bdecode(msg, space + 1);
      if (value.result === "error") pending.reject(new Error(`ng error: ${value["error-reason"]}`));
      else pending.resolve(value);
    } catch (error) {
      pending.reject(error);
    }
  }
}
