import { createHash, randomBytes } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../../kernel/clock.ts";
import type { PortalSessionRecord, PortalSessionStore } from "./ports.ts";

export const SESSION_COOKIE = "parley_session";
const ID_BYTES = 32;
const CSRF_BYTES = 32;
/** lastSeenAt is written at most this often, so that reading pages does not write on every request. */
const TOUCH_EVERY_MS = 60_000;
/** Expired sessions are purged at most this often, on the back of a new session. */
const PURGE_EVERY_MS = 10 * 60_000;

export interface PortalSessionsOptions {
  store: PortalSessionStore;
  clock: Clock;
  /** A session unused this long ends. */
  idleTimeoutMs: number;
  /** A session ends this long after it began, used or not. */
  lifetimeMs: number;
}

/** The session a request carries: who (null before login) and the CSRF token its forms must send. */
export interface ActiveSession {
  idHash: string;
  user: string | null;
  csrfToken: string;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Portal sessions: an opaque random id (256 bits) in the `parley_session` cookie (HttpOnly,
 * SameSite=Lax, Path=/, Secure over HTTPS), only its SHA-256 in the store, an idle timeout and an
 * absolute lifetime counted on the injected Clock.
 */
export class PortalSessions {
  readonly #store: PortalSessionStore;
  readonly #clock: Clock;
  readonly #idleMs: number;
  readonly #lifetimeMs: number;
  #lastPurge = Number.NEGATIVE_INFINITY;

  constructor(options: PortalSessionsOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#idleMs = options.idleTimeoutMs;
    this.#lifetimeMs = options.lifetimeMs;
  }

  /** The request's live session, or undefined (no cookie, unknown, idle too long or too old). */
  async load(request: FastifyRequest): Promise<ActiveSession | undefined> {
    const id = request.cookies[SESSION_COOKIE];
    if (!id || id.length > 128) return undefined;
    const idHash = sha256Hex(id);
    const record = await this.#store.get(idHash);
    if (!record) return undefined;
    const now = this.#clock.now();
    if (this.#expired(record, now)) {
      await this.#store.delete(idHash);
      return undefined;
    }
    if (now - record.lastSeenAt >= TOUCH_EVERY_MS) await this.#store.touch(idHash, now);
    return { idHash, user: record.user, csrfToken: record.csrfToken };
  }

  /** Starts a session for `user` (null: anonymous, for the login form) and sets its cookie. */
  async start(request: FastifyRequest, reply: FastifyReply, user: string | null): Promise<ActiveSession> {
    const now = this.#clock.now();
    await this.#purgeNow(now);
    const id = randomBytes(ID_BYTES).toString("base64url");
    const record: PortalSessionRecord = {
      idHash: sha256Hex(id),
      user,
      csrfToken: randomBytes(CSRF_BYTES).toString("base64url"),
      createdAt: now,
      lastSeenAt: now,
    };
    await this.#store.create(record);
    reply.setCookie(SESSION_COOKIE, id, {
      httpOnly: true,
      sameSite: "lax",
      path: "/",
      secure: request.protocol === "https",
    });
    return { idHash: record.idHash, user, csrfToken: record.csrfToken };
  }

  /**
   * Replaces the request's session with a new one for `user` (login): a new id and a new CSRF
   * token, so that an id planted before login (session fixation) is worth nothing after it.
   */
  async rotate(request: FastifyRequest, reply: FastifyReply, user: string): Promise<ActiveSession> {
    if (request.portalSession) await this.#store.delete(request.portalSession.idHash);
    return this.start(request, reply, user);
  }

  /** Ends the request's session and clears its cookie. */
  async end(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (request.portalSession) await this.#store.delete(request.portalSession.idHash);
    reply.clearCookie(SESSION_COOKIE, {
      httpOnly: true,
      sameSite: "lax",
      path: "/",
      secure: request.protocol === "https",
    });
  }

  #expired(record: PortalSessionRecord, now: number): boolean {
    return now - record.lastSeenAt >= this.#idleMs || now - record.createdAt >= this.#lifetimeMs;
  }

  async #purgeNow(now: number): Promise<void> {
    if (now - this.#lastPurge < PURGE_EVERY_MS) return;
    this.#lastPurge = now;
    await this.#store.purge({ lastSeenBefore: now - this.#idleMs, createdBefore: now - this.#lifetimeMs });
  }
}
