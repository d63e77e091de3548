/**
 * The merchant directory of click-to-call (service 4): merchants with their numbers, who pays for
 * the calls members place to them, and the rate plan those calls are rated by.
 */

/** Who pays a click-to-call: the member who clicked, the merchant, or a sponsor (advertiser) account. */
export type PayerRule =
  | { kind: "member" }
  | { kind: "merchant"; accountId: string }
  | { kind: "sponsor"; accountId: string };

/**
 * A campaign: for a while, someone else (an advertiser) pays for calls to the merchant. The first
 * campaign running at the moment of the click decides the payer; outside every campaign the
 * merchant's own payer rule does.
 */
export interface MerchantCampaign {
  id: string;
  payer: PayerRule;
  /** Epoch ms; absent: from the start. */
  from?: number;
  /** Epoch ms; absent: open-ended. */
  until?: number;
}

export interface MerchantNumber {
  /** The button's text ("Sales", "Support"). */
  label: string;
  /** E.164 number or a local extension. */
  number: string;
}

export interface Merchant {
  id: string;
  name: string;
  description: string;
  category: string;
  numbers: MerchantNumber[];
  payer: PayerRule;
  /** Payers for a while (sponsored periods), ahead of `payer`. */
  campaigns?: MerchantCampaign[];
  /** The rate plan calls to this merchant are rated by. */
  planId: string;
  /** The portal user (extension@domain) who manages this merchant, if any (role merchant). */
  owner?: string;
  /** Origins allowed to embed this merchant's call button (the widget). */
  widgetOrigins: string[];
  /**
   * The widget's merchant key: names this merchant in the embed code on the merchant's own site
   * (public, not an admin secret; what it may do is bounded by `widgetOrigins` and the widget's
   * rate limits). No key, no widget.
   */
  widgetKey?: string;
  active: boolean;
}

export interface MerchantQuery {
  /** Text found in the name, description or category (case-insensitive). */
  search?: string;
  category?: string;
  limit?: number;
  offset?: number;
  /** Include inactive merchants (admin views). */
  all?: boolean;
}

export interface MerchantStore {
  list(query: MerchantQuery): Promise<{ merchants: Merchant[]; total: number }>;
  get(id: string): Promise<Merchant | undefined>;
  save(merchant: Merchant): Promise<void>;
  remove(id: string): Promise<boolean>;
  /** Categories of active merchants, sorted. */
  categories(): Promise<string[]>;
  /** The active merchant whose widget key this is (the embeddable widget's look-up). */
  byWidgetKey(key: string): Promise<Merchant | undefined>;
}

const matches = (m: Merchant, q: MerchantQuery) => {
  if (!q.all && !m.active) return false;
  if (q.category !== undefined && m.category !== q.category) return false;
  if (q.search) {
    const needle = q.search.toLowerCase();
    return [m.name, m.description, m.category].some((text) => text.toLowerCase().includes(needle));
  }
  return true;
};

export class MemoryMerchantStore implements MerchantStore {
  readonly #merchants = new Map<string, Merchant>();

  async list(query: MerchantQuery): Promise<{ merchants: Merchant[]; total: number }> {
    const found = [...this.#merchants.values()]
      .filter((m) => matches(m, query))
      .sort((a, b) => a.name.localeCompare(b.name));
    const offset = query.offset ?? 0;
    return {
      merchants: structuredClone(found.slice(offset, offset + (query.limit ?? 100))),
      total: found.length,
    };
  }

  async get(id: string): Promise<Merchant | undefined> {
    const found = this.#merchants.get(id);
    return found && structuredClone(found);
  }

  async save(merchant: Merchant): Promise<void> {
    this.#merchants.set(merchant.id, structuredClone(merchant));
  }

  async remove(id: string): Promise<boolean> {
    return this.#merchants.delete(id);
  }

  async categories(): Promise<string[]> {
    return [...new Set([...this.#merchants.values()].filter((m) => m.active).map((m) => m.category))].sort();
  }

  async byWidgetKey(key: string): Promise<Merchant | undefined> {
    if (key === "") return undefined;
    const found = [...this.#merchants.values()].find((m) => m.active && m.widgetKey === key);
    return found && structuredClone(found);
  }
}
