/**
 * In-memory fakes of the portal's ports and a server built with them, for the portal's unit tests
 * (inject) and its Chromium test (listening on port 0).
 */
import type { FastifyInstance } from "fastify";
import { buildHttpServer } from "../../../../src/http/index.ts";
import {
  MemoryPortalSessionStore,
  type PortalBalances,
  type PortalClickCall,
  type PortalClickEvent,
  type PortalClickRequest,
  type PortalClickStep,
  type PortalClickToCall,
  type PortalMerchant,
  type PortalMerchantQuery,
  type PortalMerchants,
  type PortalOptions,
} from "../../../../src/http/portal/index.ts";
import { silentLogger } from "../../../../src/kernel/log.ts";
import { createMetricsRegistry } from "../../../../src/kernel/metrics.ts";
import { TypedEmitter } from "../../../../src/kernel/typed-emitter.ts";
import { type DirectoryFixture, openFixture } from "../../../support/directory-fixture.ts";
import type { FakeClock } from "../../../support/fake-clock.ts";

export class FakeMerchants implements PortalMerchants {
  readonly merchants = new Map<string, PortalMerchant>();

  add(merchant: PortalMerchant): this {
    this.merchants.set(merchant.id, merchant);
    return this;
  }

  async list(query: PortalMerchantQuery): Promise<{ merchants: PortalMerchant[]; total: number }> {
    const found = [...this.merchants.values()]
      .filter((m) => query.all || m.active)
      .filter((m) => query.category === undefined || m.category === query.category)
      .filter(
        (m) =>
          !query.search ||
          [m.name, m.description, m.category].some((t) =>
            t.toLowerCase().includes(query.search?.toLowerCase() ?? ""),
          ),
      )
      .sort((a, b) => a.name.localeCompare(b.name));
    const offset = query.offset ?? 0;
    return { merchants: found.slice(offset, offset + (query.limit ?? 100)), total: found.length };
  }

  async get(id: string): Promise<PortalMerchant | undefined> {
    return this.merchants.get(id);
  }

  async categories(): Promise<string[]> {
    return [...new Set([...this.merchants.values()].filter((m) => m.active).map((m) => m.category))].sort();
  }
}

/** Refusal shaped like click-to-call's ClickToCallRefused. */
export class FakeRefusal extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * A click-to-call service the test drives: place() records the request and starts a call at
 * "checking"; step() appends the next step and emits progress as the real service does.
 */
export class FakeClickToCall
  extends TypedEmitter<{ progress: [PortalClickCall, PortalClickEvent] }>
  implements PortalClickToCall
{
  readonly calls = new Map<string, PortalClickCall>();
  readonly requests: PortalClickRequest[] = [];
  refusal: FakeRefusal | undefined;
  #next = 1;
  #watchers: Array<() => void> = [];

  readonly clock: FakeClock;

  constructor(clock: FakeClock) {
    super();
    this.clock = clock;
  }

  async place(request: PortalClickRequest): Promise<PortalClickCall> {
    if (this.refusal) throw this.refusal;
    this.requests.push(request);
    const call: PortalClickCall = {
      id: `K${this.#next++}`,
      ...(request.member !== undefined && { member: request.member }),
      memberNumber: request.memberNumber,
      merchantId: request.merchantId,
      merchantNumber: "+15550000000",
      step: "checking",
      events: [],
    };
    this.calls.set(call.id, call);
    this.step(call.id, "checking", "Checking the balance");
    return structuredClone(call);
  }

  get(id: string): PortalClickCall | undefined {
    const call = this.calls.get(id);
    return call && structuredClone(call);
  }

  step(
    id: string,
    step: PortalClickStep,
    message: string,
    end?: { durationSeconds: number; cost: number; currency: string },
  ) {
    const call = this.calls.get(id);
    if (!call) throw new Error(`no call ${id}`);
    const event: PortalClickEvent = { seq: call.events.length + 1, step, at: this.clock.now(), message };
    (call.events as PortalClickEvent[]).push(event);
    call.step = step;
    if (end) Object.assign(call, end);
    this.safeEmit("progress", structuredClone(call), event);
  }

  /** Resolves once someone listens to progress (the status page's event stream is open). */
  watched(): Promise<void> {
    if (this.listenerCount("progress") > 0) return Promise.resolve();
    return new Promise((resolve) => this.#watchers.push(resolve));
  }

  override on<K extends "progress">(
    event: K,
    listener: (call: PortalClickCall, event: PortalClickEvent) => void,
  ): this {
    super.on(event, listener);
    for (const resolve of this.#watchers.splice(0)) resolve();
    return this;
  }
}

export class FakeBalances implements PortalBalances {
  readonly amounts = new Map<string, { amount: number; currency: string }>();

  async balance(user: string) {
    return this.amounts.get(user);
  }
}

export interface PortalFixture {
  app: FastifyInstance;
  directory: DirectoryFixture;
  clock: FakeClock;
  merchants: FakeMerchants;
  clickToCall: FakeClickToCall;
  balances: FakeBalances;
  sessions: MemoryPortalSessionStore;
  close(): Promise<void>;
}

export const ALICE = { extension: "1001", password: "alice-web-pw", phone: "+15551230001" };
export const BOB = { extension: "1002", password: "bob-web-pw" };
export const ADMIN = { extension: "1009", password: "admin-web-pw" };
export const OWNER = { extension: "1005", password: "owner-web-pw" };

/** A node's HTTP server with the portal on fakes: users 1001 (Alice), 1002, 1005 (owns Pizza), 1009 (admin). */
export async function portalFixture(
  overrides: Partial<PortalOptions> = {},
  server: { trustProxy?: boolean } = {},
): Promise<PortalFixture> {
  const directory = await openFixture("sqlite::memory:");
  const clock = directory.clock;
  await directory.directory.addUser({
    extension: ALICE.extension,
    displayName: "Alice",
    password: "sip-secret-1",
    webPassword: ALICE.password,
    phoneNumbers: [ALICE.phone],
  });
  await directory.directory.addUser({
    extension: BOB.extension,
    password: "sip-secret-2",
    webPassword: BOB.password,
  });
  await directory.directory.addUser({
    extension: OWNER.extension,
    password: "sip-secret-5",
    webPassword: OWNER.password,
  });
  await directory.directory.addUser({
    extension: ADMIN.extension,
    password: "sip-secret-9",
    webPassword: ADMIN.password,
  });
  await directory.directory.addUser({ extension: "1003", password: "sip-secret-3" });
  const merchants = new FakeMerchants()
    .add({
      id: "pizza",
      name: "Pizza Roma",
      description: "Pizza delivered hot",
      category: "Food",
      numbers: [
        { label: "Orders", number: "+15557770001" },
        { label: "Complaints", number: "+15557770002" },
      ],
      owner: `${OWNER.extension}@pbx.example.com`,
      active: true,
    })
    .add({
      id: "evil",
      name: "<script>alert(1)</script>",
      description: 'Quotes " and <b>tags</b>',
      category: "Tricks & <Treats>",
      numbers: [{ label: "<img src=x onerror=alert(1)>", number: "+15558880001" }],
      active: true,
    })
    .add({
      id: "garage",
      name: "Garage Bolt",
      description: "Car repairs",
      category: "Cars",
      numbers: [{ label: "Workshop", number: "+15559990001" }],
      active: true,
    })
    .add({
      id: "closed",
      name: "Closed Shop",
      description: "Gone",
      category: "Food",
      numbers: [{ label: "Main", number: "+15556660001" }],
      active: false,
    });
  const clickToCall = new FakeClickToCall(clock);
  const balances = new FakeBalances();
  balances.amounts.set(`${ALICE.extension}@pbx.example.com`, { amount: 1250, currency: "EUR" });
  const sessions = new MemoryPortalSessionStore();
  const app = await buildHttpServer({
    logger: silentLogger(),
    metrics: createMetricsRegistry(),
    directory: directory.directory,
    tokens: directory.tokens,
    version: "0.0.0-test",
    ready: async () => {},
    ...(server.trustProxy !== undefined && { trustProxy: server.trustProxy }),
    portal: {
      clock,
      directory: directory.directory,
      sessions,
      merchants,
      clickToCall: () => clickToCall,
      balances,
      adminUsers: [`${ADMIN.extension}@pbx.example.com`],
      ...overrides,
    },
  });
  return {
    app,
    directory,
    clock,
    merchants,
    clickToCall,
    balances,
    sessions,
    close: async () => {
      await app.close();
      await directory.database.close();
    },
  };
}

type InjectResponse = Awaited<ReturnType<FastifyInstance["inject"]>>;

/** A browser stand-in over inject(): keeps the session cookie and reads CSRF tokens from pages. */
export class PortalClient {
  readonly app: FastifyInstance;
  session: string | undefined;
  lastHtml = "";
  /** Sent with every request (e.g. x-forwarded-for to act from another address). */
  headers: Record<string, string> = {};

  constructor(app: FastifyInstance) {
    this.app = app;
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<InjectResponse> {
    return this.#remember(await this.app.inject({ method: "GET", url, headers: this.#headers(headers) }));
  }

  async post(
    url: string,
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<InjectResponse> {
    return this.#remember(
      await this.app.inject({
        method: "POST",
        url,
        payload: new URLSearchParams(form).toString(),
        headers: { "content-type": "application/x-www-form-urlencoded", ...this.#headers(headers) },
      }),
    );
  }

  /** The CSRF token in the last page received. */
  get csrf(): string {
    const match = /name="_csrf" value="([^"]*)"/.exec(this.lastHtml);
    if (!match?.[1]) throw new Error("no CSRF token in the last page");
    return match[1];
  }

  /** Opens the login page and logs in; returns the POST's response. */
  async login(account: string, password: string): Promise<InjectResponse> {
    await this.get("/login");
    return this.post("/login", { account, password, _csrf: this.csrf });
  }

  #headers(extra: Record<string, string>): Record<string, string> {
    return {
      ...this.headers,
      ...(this.session !== undefined && { cookie: `parley_session=${this.session}` }),
      ...extra,
    };
  }

  #remember(response: InjectResponse): InjectResponse {
    const cookie = response.cookies.find((c) => c.name === "parley_session");
    if (cookie) this.session = cookie.value === "" ? undefined : cookie.value;
    if (String(response.headers["content-type"] ?? "").startsWith("text/html")) this.lastHtml = response.body;
    return response;
  }
}
