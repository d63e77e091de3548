import { type Clock, SystemClock } from "../../src/kernel/clock.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { MediaEngine, SessionDescription } from "../../src/media/index.ts";
import {
  DEFAULT_PARSE_LIMITS,
  DEFAULT_TIMERS,
  DigestClient,
  type InviteSession,
  NameAddr,
  type SipRequest,
  type SipResponse,
  SipStack,
  SipUri,
} from "../../src/sip/index.ts";

/**
 * A minimal SIP phone made of Parley's own stack, for flows no packaged softphone offers (baresip
 * 1.0 has no attended transfer): it places calls through Parley with digest credentials and can
 * send requests inside them. It carries RTP ports but no audio; real phones do the listening.
 */
export class StackPhone {
  readonly extension: string;
  readonly #stack: SipStack;
  readonly #engine: MediaEngine;
  readonly #credentials: DigestClient;
  readonly #registrar: { address: string; port: number };
  /** Sessions this phone answered (see `answerCalls`). */
  readonly answered: InviteSession[] = [];
  /** INVITEs that reached this phone (see `answerCalls`). */
  readonly invites: SipRequest[] = [];
  /** re-INVITEs and UPDATEs received inside its sessions (session refreshes, holds …). */
  readonly reoffers: SipRequest[] = [];

  private constructor(
    extension: string,
    password: string,
    registrar: string,
    stack: SipStack,
    engine: MediaEngine,
  ) {
    this.extension = extension;
    this.#stack = stack;
    this.#engine = engine;
    this.#credentials = new DigestClient({ username: extension, password });
    const [address = "127.0.0.1", port = "5060"] = registrar.split(":");
    this.#registrar = { address, port: Number(port) };
  }

  static async start(options: {
    extension: string;
    password: string;
    registrar: string;
    /** The clock for its SIP timers (a FakeClock shared with Parley in timer tests). */
    clock?: Clock;
  }): Promise<StackPhone> {
    const clock = options.clock ?? new SystemClock();
    const logger = silentLogger();
    const stack = new SipStack({
      host: "127.0.0.1",
      port: 0,
      limits: DEFAULT_PARSE_LIMITS,
      timers: DEFAULT_TIMERS,
      idleTimeoutMs: 60_000,
      clock,
      logger,
      product: "parley-test-phone",
    });
    await stack.start();
    const engine = new MediaEngine({ address: "127.0.0.1", portMin: 40_000, portMax: 44_000, clock, logger });
    return new StackPhone(options.extension, options.password, options.registrar, stack, engine);
  }

  /** The UDP port this phone's stack listens on (bind it in the location service to reach it). */
  get port(): number {
    return this.#stack.local.port("udp");
  }

  /**
   * What this phone does with the next INVITEs: answer (180, then 200), only ring (180, until a
   * CANCEL), or refuse with a status.
   */
  mode: "answer" | "ring" | number = "answer";

  /** Answers every incoming INVITE (as `mode` says) with an SDP answer and `headers` in the 200. */
  answerCalls(headers: Array<[string, string]> = []): void {
    this.#stack.onInvite((invite) => {
      this.invites.push(invite.request);
      const mode = this.mode;
      if (typeof mode === "number") return invite.reject(mode);
      invite.progress(180);
      if (mode === "ring") return;
      void (async () => {
        const offer = invite.offer;
        if (!offer) return invite.reject(488);
        const result = await this.#engine.answer(SessionDescription.parse(offer.data.toString("utf8")));
        if ("error" in result) return invite.reject(488);
        const body = { contentType: "application/sdp", data: Buffer.from(result.answer.serialize()) };
        this.answered.push(this.#follow(invite.accept({ body, headers }), body));
      })();
    });
  }

  /** Calls `extension` through Parley; `outcome` is the answered session or the failure status. */
  async dial(extension: string): Promise<{
    cancel(): void;
    outcome: Promise<{ session: InviteSession } | { status: number }>;
  }> {
    const domain = "parley.test";
    const pending = await this.#engine.offer();
    const invite = this.#stack.invite({
      uri: new SipUri({ user: extension, host: this.#registrar.address, port: this.#registrar.port }),
      target: { protocol: "udp", ...this.#registrar },
      from: new NameAddr(new SipUri({ user: this.extension, host: domain })),
      to: new NameAddr(new SipUri({ user: extension, host: domain })),
      body: { contentType: "application/sdp", data: Buffer.from(pending.offer.serialize()) },
      credentials: this.#credentials,
    });
    const outcome = new Promise<{ session: InviteSession } | { status: number }>((resolve) => {
      invite.on("answered", (session, response: SipResponse) => {
        pending.complete(SessionDescription.parse(response.body.toString("utf8")));
        resolve({
          session: this.#follow(session, {
            contentType: "application/sdp",
            data: Buffer.from(pending.offer.serialize()),
          }),
        });
      });
      invite.on("failed", (response) => {
        pending.close();
        resolve({ status: response.status });
      });
    });
    await invite.start();
    return { cancel: () => invite.cancel(), outcome };
  }

  /** Calls `extension` through Parley and resolves with the answered session. */
  async call(extension: string, headers: Array<[string, string]> = []): Promise<InviteSession> {
    const domain = "parley.test";
    const pending = await this.#engine.offer();
    const invite = this.#stack.invite({
      uri: new SipUri({ user: extension, host: this.#registrar.address, port: this.#registrar.port }),
      target: { protocol: "udp", ...this.#registrar },
      from: new NameAddr(new SipUri({ user: this.extension, host: domain })),
      to: new NameAddr(new SipUri({ user: extension, host: domain })),
      body: { contentType: "application/sdp", data: Buffer.from(pending.offer.serialize()) },
      credentials: this.#credentials,
      headers,
    });
    const answered = new Promise<InviteSession>((resolve, reject) => {
      invite.on("answered", (session, response: SipResponse) => {
        pending.complete(SessionDescription.parse(response.body.toString("utf8")));
        resolve(
          this.#follow(session, {
            contentType: "application/sdp",
            data: Buffer.from(pending.offer.serialize()),
          }),
        );
      });
      invite.on("failed", (response) => reject(new Error(`call to ${extension} failed: ${response.status}`)));
    });
    await invite.start();
    return answered;
  }

  /** Answers re-offers with this phone's own description, and notes them. */
  #follow(session: InviteSession, body: { contentType: string; data: Buffer }): InviteSession {
    session.delegate = {
      onReoffer: (request) => {
        this.reoffers.push(request);
        return { status: 200, body };
      },
    };
    return session;
  }

  async stop(): Promise<void> {
    this.#engine.close();
    await this.#stack.stop();
  }
}
