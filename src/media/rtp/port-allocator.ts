import { ParleyError } from "../../kernel/parley-error.ts";

export class MediaPortsExhaustedError extends ParleyError {
  constructor(min: number, max: number) {
    super("MEDIA_PORTS_EXHAUSTED", `no free RTP port pair between ${min} and ${max}`);
  }
}

/**
 * Hands out RTP port pairs from media.rtp_port_min..rtp_port_max: an even RTP port and the odd
 * RTCP port above it (RFC 3550 §11: "RTP SHOULD use an even destination port number and the
 * corresponding RTCP stream SHOULD use the next higher (odd) destination port number"). Ports are
 * handed out round-robin so a released pair is not reused at once (late packets of the old call).
 */
export class PortAllocator {
  readonly min: number;
  readonly max: number;
  readonly #inUse = new Set<number>();
  #next: number;

  constructor(options: { min: number; max: number }) {
    this.min = options.min % 2 === 0 ? options.min : options.min + 1;
    this.max = options.max;
    if (this.min + 1 > this.max) throw new Error(`empty RTP port range ${options.min}..${options.max}`);
    this.#next = this.min;
  }

  /** Pairs in the range. */
  get capacity(): number {
    return Math.floor((this.max - this.min + 1) / 2);
  }

  get inUse(): number {
    return this.#inUse.size;
  }

  /** The next free even port (its pair is port + 1); throws MediaPortsExhaustedError. */
  allocate(): number {
    for (let tried = 0; tried < this.capacity; tried++) {
      const port = this.#next;
      this.#next = port + 2 + 1 > this.max ? this.min : port + 2;
      if (!this.#inUse.has(port)) {
        this.#inUse.add(port);
        return port;
      }
    }
    throw new MediaPortsExhaustedError(this.min, this.max);
  }

  release(port: number): void {
    this.#inUse.delete(port);
  }
}
