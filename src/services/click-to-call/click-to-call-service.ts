import { randomUUID } from "node:crypto";
import {
  type CallOriginator,
  type CallParty,
  type CallPlayItem,
  type CallSession,
  type DialTarget,
  dialTarget,
  MUSIC_ON_HOLD,
  type PartyIdentity,
} from "../../calls/index.ts";
import type { Clock, TimerHandle } from "../../kernel/clock.ts";
import type { Logger } from "../../kernel/log.ts";
import { TypedEmitter } from "../../kernel/typed-emitter.ts";
import {
  type ClickCall,
  type ClickCallEvent,
  type ClickCallStep,
  type ClickRequest,
  ClickToCallRefused,
} from "./click-call.ts";
import type { Merchant, MerchantStore } from "./merchant-store.ts";

/** Places calls from the server (call control's originate). */
export type ClickDialer = CallOriginator;

/** A rate plan as this service needs it (billing's RatePlan fits). */
export interface ClickPlan {
  currency: string;
}

/**
 * Credit control as click-to-call uses it (billing's CreditControl fits; services reach billing
 * through this port, ARCHITECTURE §2.5): the balance check, the reservation of the most a call may
 * cost, the charge on the rated time, the release of an unused reservation.
 */
export interface ClickCredit<P extends ClickPlan = ClickPlan> {
  plan(id: string): Promise<P>;
  check(target: {
    accountId: string;
    plan: P;
    destination: string;
  }): Promise<{ allowed: boolean; maxSeconds: number }>;
  reserve(target: {
    accountId: string;
    plan: P;
    destination: string;
    callId: string;
    maxSeconds: number;
  }): Promise<{ amount: number }>;
  /** Charges the call's billable seconds; the ledger entry's amount is negative (or 0). */
  settle(callId: string, billableSeconds: number): Promise<{ amount: number }>;
  release(callId: string): Promise<unknown>;
}

export interface ClickMember {
  extension: string;
  domain: string;
  displayName: string;
  phoneNumbers: readonly string[];
  features: Readonly<Record<string, boolean>>;
}

export interface ClickToCallServiceOptions {
  merchants: MerchantStore;
  // biome-ignore lint/suspicious/noExplicitAny: any plan type the credit port was built for
  credit: ClickCredit<any>;
  dialer: ClickDialer;
  /** Writes who paid and what it cost into the call's detail record. */
  recordCharge?(callId: string, charge: { payer: string; cost: number; currency: string }): Promise<void>;
  /** A member by extension@domain. */
  findMember(user: string): Promise<ClickMember | undefined>;
  /** The billing account of a member (when members pay). */
  memberAccount(user: string): string;
  /** Seconds the member's phone rings, then the merchant's. */
  memberRingSeconds: number;
  merchantRingSeconds: number;
  /** The longest call any payer's balance may buy at once (so one sponsor can pay several calls). */
  maxCallSeconds: number;
  /** A warning tone this long before the paid time runs out. */
  warningSeconds: number;
  clock: Clock;
  logger: Logger;
}

export interface ClickToCallEvents extends Record<string, unknown[]> {
  progress: [ClickCall, ClickCallEvent];
}

const E164 = /^\+[1-9][0-9]{6,14}$/;
const EXTENSION = /^[0-9]{2,8}$/;
const prompt = (name: string): CallPlayItem => ({ kind: "prompt", name });

/** A member's number as typed: E.164 or a local extension, or undefined when it is neither. */
export function memberNumberOf(text: string): string | undefined {
  const compact = text.replace(/[\s().-]/g, "");
  return E164.test(compact) || EXTENSION.test(compact) ? compact : undefined;
}

/**
 * Service 4: click-to-call with a paying party. A member clicks a merchant's number; Parley
 * checks the payer's balance and holds the most the call may cost (a reservation, so concurrent
 * calls can never overdraw one account), calls the member first and keeps them on hold with a
 * prompt and music, calls the merchant, and bridges them; the call is cut where the balance ends
 * (a warning tone a minute before), rated on the bridged time and charged in one transaction.
 * No merchant call is made when the member does not answer; a merchant who does not answer
 * leaves the member a prompt.
 */
export class ClickToCallService extends TypedEmitter<ClickToCallEvents> {
  readonly #o: ClickToCallServiceOptions;
  readonly #calls = new Map<string, ClickCall>();

  constructor(options: ClickToCallServiceOptions) {
    super();
    this.#o = options;
    this.onListenerError = (error) => options.logger.error({ err: error }, "click-to-call listener failed");
  }

  get(id: string): ClickCall | undefined {
    const found = this.#calls.get(id);
    return found && structuredClone(found);
  }

  /** Checks, reserves and starts a click-to-call; refusals throw ClickToCallRefused before any call is placed. */
  async place(request: ClickRequest): Promise<ClickCall> {
    const merchant = await this.#o.merchants.get(request.merchantId);
    if (!merchant?.active) throw new ClickToCallRefused("CLICK_MERCHANT", "This merchant cannot be called.");
    const number = merchant.numbers[request.numberIndex ?? 0];
    if (!number) throw new ClickToCallRefused("CLICK_NUMBER", "This merchant has no such number.");
    const memberNumber = memberNumberOf(request.memberNumber);
    if (!memberNumber) {
      throw new ClickToCallRefused(
        "CLICK_NUMBER",
        "Your number must be +country code and number, or an extension.",
      );
    }
    const payer = this.#payer(merchant, request.member);
    const plan = await this.#o.credit.plan(merchant.planId).catch(() => {
      throw new ClickToCallRefused("CLICK_RATE", "Calls to this merchant cannot be rated.");
    });
    const destination = number.number;
    const check = await this.#o.credit.check({ accountId: payer, plan, destination }).catch(() => undefined);
    if (!check?.allowed) {
      throw new ClickToCallRefused(
        "CLICK_BALANCE",
        "The paying account has no balance left for this call. Top it up, then try again.",
      );
    }
    const click: ClickCall = {
      id: `K${randomUUID().replace(/-/g, "").slice(0, 16)}`,
      ...(request.member ? { member: request.member } : {}),
      memberNumber,
      merchantId: merchant.id,
      merchantNumber: destination,
      payerAccount: payer,
      step: "checking",
      maxSeconds: Math.min(check.maxSeconds, this.#o.maxCallSeconds),
      events: [],
    };
    try {
      const held = await this.#o.credit.reserve({
        accountId: payer,
        callId: click.id,
        plan,
        destination,
        maxSeconds: click.maxSeconds ?? 0,
      });
      click.currency = plan.currency;
      this.#o.logger.info({ click: click.id, payer, held: held.amount }, "click-to-call reserved");
    } catch {
      throw new ClickToCallRefused(
        "CLICK_BALANCE",
        "The paying account has no balance left for this call. Top it up, then try again.",
      );
    }
    this.#calls.set(click.id, click);
    this.#step(click, "checking", `Paid by ${payer}; up to ${click.maxSeconds} s`);
    this.#callMember(click, merchant);
    return structuredClone(click);
  }

  #payer(merchant: Merchant, member: string | undefined): string {
    const now = this.#o.clock.now();
    const campaign = merchant.campaigns?.find(
      (c) => (c.from === undefined || c.from <= now) && (c.until === undefined || now < c.until),
    );
    const rule = campaign?.payer ?? merchant.payer;
    if (rule.kind !== "member") return rule.accountId;
    if (!member)
      throw new ClickToCallRefused(
        "CLICK_PAYER",
        "Log in to call this merchant: members pay for these calls.",
      );
    return this.#o.memberAccount(member);
  }

  #target(number: string): DialTarget {
    return dialTarget(number);
  }

  #step(click: ClickCall, step: ClickCallStep, message: string): void {
    click.step = step;
    const event: ClickCallEvent = { seq: click.events.length + 1, step, at: this.#o.clock.now(), message };
    click.events.push(event);
    this.safeEmit("progress", structuredClone(click), event);
  }

  #callMember(click: ClickCall, merchant: Merchant): void {
    this.#step(click, "calling-member", `Calling you at ${click.memberNumber}`);
    const call = this.#o.dialer.originate(this.#target(click.memberNumber), {
      callerId: { number: merchant.numbers[0]?.number.replace(/^\+/, "") ?? "parley", name: merchant.name },
      service: "click-to-call",
      timeout: this.#o.memberRingSeconds,
      app: (session, member) => this.#memberAnswered(click, merchant, session, member),
      onFailed: (cause) => {
        void this.#o.credit.release(click.id).catch(() => undefined);
        this.#step(click, "failed", `You did not answer (${cause}); the merchant was not called.`);
      },
    });
    click.callId = call.id;
  }

  async #memberAnswered(
    click: ClickCall,
    merchant: Merchant,
    session: CallSession,
    member: CallParty,
  ): Promise<void> {
    this.#step(click, "member-answered", "You answered");
    void session.play(member, [prompt("call-back"), ...MUSIC_ON_HOLD], { loop: true });
    this.#step(click, "calling-merchant", `Calling ${merchant.name}`);
    const memberUser = click.member ? await this.#o.findMember(click.member) : undefined;
    const result = await session.dial([this.#target(click.merchantNumber)], {
      timeout: this.#o.merchantRingSeconds,
      viaTrunks: true,
      onBehalfOf: member,
      callerId: memberUser
        ? {
            number: memberUser.extension,
            ...(memberUser.displayName ? { name: memberUser.displayName } : {}),
            ...(memberUser.phoneNumbers[0] ? { external: memberUser.phoneNumbers[0] } : {}),
          }
        : { number: click.memberNumber.replace(/^\+/, "") },
    });
    if ("failed" in result) {
      await this.#o.credit.release(click.id).catch(() => undefined);
      if (member.state !== "Ended") {
        session.stopPlayback(member);
        await session.play(member, [prompt("click-merchant-missed")]);
        session.hangup(member);
      }
      this.#step(click, "failed", `${merchant.name} did not answer.`);
      return;
    }
    const merchantParty = result.answered;
    if (member.state === "Ended") {
      session.hangup(merchantParty);
      await this.#o.credit.release(click.id).catch(() => undefined);
      this.#step(click, "failed", "You hung up before the merchant answered.");
      return;
    }
    session.stopPlayback(member);
    const bridgedAt = this.#o.clock.now();
    const identity: PartyIdentity | undefined = memberUser && {
      extension: memberUser.extension,
      domain: memberUser.domain,
      features: memberUser.features,
    };
    await session.connect(
      { caller: member, callee: merchantParty },
      { dialled: click.merchantNumber, ...(identity ? { caller: identity } : {}) },
    );
    this.#step(click, "connected", `Connected to ${merchant.name}`);
    const timers = this.#limit(click, session, member, merchantParty);
    session.on("ended", () => {
      for (const timer of timers) timer.cancel();
      void this.#settle(click, bridgedAt);
    });
  }

  /** The paid time: a warning tone `warningSeconds` before it ends, then both are hung up. */
  #limit(click: ClickCall, session: CallSession, a: CallParty, b: CallParty): TimerHandle[] {
    const max = (click.maxSeconds ?? 0) * 1000;
    const warnAt = max - this.#o.warningSeconds * 1000;
    const timers: TimerHandle[] = [];
    const beep: CallPlayItem[] = [{ kind: "tone", tone: "beep", maxMs: 400 }];
    if (this.#o.warningSeconds > 0 && warnAt > 0) {
      timers.push(
        this.#o.clock.setTimer(warnAt, () => {
          this.#step(click, "warning", `${this.#o.warningSeconds} s of paid time left`);
          void session.play(a, beep);
          void session.play(b, beep);
        }),
      );
    }
    timers.push(
      this.#o.clock.setTimer(max, () => {
        this.#o.logger.info({ click: click.id }, "click-to-call cut: the paid time is over");
        session.hangup(undefined, "NORMAL_CLEARING");
      }),
    );
    return timers;
  }

  async #settle(click: ClickCall, bridgedAt: number): Promise<void> {
    const seconds = Math.min(
      Math.ceil((this.#o.clock.now() - bridgedAt) / 1000),
      click.maxSeconds ?? Number.POSITIVE_INFINITY,
    );
    try {
      const entry = await this.#o.credit.settle(click.id, seconds);
      click.durationSeconds = seconds;
      click.cost = -entry.amount;
      if (click.callId && click.payerAccount) {
        await this.#o
          .recordCharge?.(click.callId, {
            payer: click.payerAccount,
            cost: click.cost,
            currency: click.currency ?? "",
          })
          .catch((error: unknown) =>
            this.#o.logger.error({ err: error, click: click.id }, "CDR charge not written"),
          );
      }
      this.#step(click, "ended", `Call ended after ${seconds} s; cost ${click.cost} (${click.currency})`);
    } catch (error) {
      this.#o.logger.error({ err: error, click: click.id }, "click-to-call not charged");
      click.durationSeconds = seconds;
      this.#step(click, "ended", `Call ended after ${seconds} s; the charge failed`);
    }
  }
}
