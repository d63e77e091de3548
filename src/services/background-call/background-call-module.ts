import { defineService, type ServiceModule } from "../../calls/index.ts";
import type { Clock } from "../../kernel/clock.ts";
import type { Logger } from "../../kernel/log.ts";
import { type BackgroundCallService, CallbackRefused, type TextMessages } from "./background-call-service.ts";

export interface BackgroundCallCodes {
  /** `*55` + number: start a background call to the number. */
  start: string;
  /** `*56` (+ number): stop one's background calls (to that number). */
  stop: string;
  /** `*57` + number: refuse background calls from that number. */
  block: string;
}

/** A text a user's phone sent (SIP MESSAGE). */
export interface IncomingText {
  from: string;
  to: string;
  text: string;
}

const prompt = (name: string) => ({ kind: "prompt" as const, name });
const FEATURE = "backgroundCall";

/**
 * How users reach the background-call service from their phones: feature codes (`*55`+number,
 * `*56`, `*57`+number), texts (`YES` to an offer, `STOP`, `CALL <number>`), and the offer itself,
 * sent as a text after `threshold` unanswered calls in a row to the same callee. Users need the
 * `backgroundCall` feature; the REST API is for admins and users' own tokens.
 */
export function backgroundCallModule(options: {
  service: BackgroundCallService;
  codes: BackgroundCallCodes;
  messages?: TextMessages;
  /** The user part texts to the service are addressed to ("parley"). */
  messageAddress: string;
  clock: Clock;
  logger: Logger;
}): ServiceModule & { text(message: IncomingText): Promise<boolean> } {
  const { service, codes, clock, logger } = options;
  const code = (dialled: string) => {
    for (const [name, prefix] of Object.entries(codes) as Array<[keyof BackgroundCallCodes, string]>) {
      if (dialled.startsWith(prefix)) return { name, rest: dialled.slice(prefix.length) };
    }
    return undefined;
  };
  const say = async (text: string, user: string) => {
    await options.messages?.send(`sip:${user}`, text).catch((error: unknown) => {
      logger.warn({ err: error, user }, "text to a user's phones failed");
    });
  };
  const start = async (caller: string, callee: string, origin: "message" | "offer" | "feature-code") => {
    try {
      const job = await service.begin({ caller, callee, origin });
      return { ok: true as const, job };
    } catch (error) {
      if (error instanceof CallbackRefused) return { ok: false as const, why: error.message };
      throw error;
    }
  };
  return {
    ...defineService({
      name: "background-call",
      claims: (info) => {
        const found = info.caller && code(info.dialled);
        if (!found || info.caller?.features[FEATURE] !== true) return false;
        return found.name === "stop" ? /^[0-9+]*$/.test(found.rest) : /^[0-9+]+$/.test(found.rest);
      },
      handle: async (session, caller, info) => {
        const found = code(info.dialled);
        const user = `${info.caller?.extension}@${info.caller?.domain}`.toLowerCase();
        if (!found || !info.caller) return;
        session.answer(caller);
        let reply = "invalid";
        if (found.name === "start") {
          const started = await start(user, found.rest, "feature-code");
          if (started.ok) reply = "callback-started";
          else logger.info({ user, why: started.why }, "background call refused");
        } else if (found.name === "stop") {
          await service.stopFor(
            user,
            found.rest === "" ? undefined : found.rest,
            `${codes.stop} from ${user}`,
          );
          reply = "callback-stopped";
        } else {
          await service.block(user, found.rest);
          reply = "callback-blocked";
        }
        await session.play(caller, [prompt(reply), prompt("goodbye")]);
        session.hangup(caller);
      },
      basicCallOutcome: (info, outcome) => {
        if (info.caller?.features[FEATURE] !== true) return;
        const caller = `${info.caller.extension}@${info.caller.domain}`.toLowerCase();
        const callee = `${info.callee.extension}@${info.callee.domain}`.toLowerCase();
        if (outcome === "answered") {
          service.offers.connected(caller, callee);
          return;
        }
        if (outcome === "unconditional") return;
        if (!service.offers.missed(caller, callee, clock.now())) return;
        logger.info({ caller, callee }, "background call offered");
        const name = info.dialled === info.callee.extension ? info.callee.extension : info.dialled;
        void say(
          `${name} did not answer ${service.settings.offerThreshold} times. Reply YES to have Parley keep trying.`,
          caller,
        );
      },
    }),
    /** A text from a user's phone: YES (accept the offer), STOP, or CALL <number>. */
    async text(message: IncomingText): Promise<boolean> {
      const command = message.text.trim().replace(/\s+/g, " ");
      const upper = command.toUpperCase();
      const caller = message.from.toLowerCase();
      const addressed = message.to.toLowerCase() === options.messageAddress.toLowerCase();
      if (upper === "YES" && service.offers.hasOffer(caller)) {
        const callee = service.offers.accept(caller, clock.now());
        if (!callee) return addressed;
        const started = await start(caller, callee, "offer");
        void say(
          started.ok ? `Parley keeps trying ${callee.split("@")[0]} and calls you back.` : started.why,
          caller,
        );
        return true;
      }
      if (upper === "STOP") {
        const stopped = await service.stopFor(caller, undefined, `STOP from ${caller}`);
        if (stopped === 0 && !addressed) return false;
        void say(`Stopped ${stopped} background call(s).`, caller);
        return true;
      }
      const call = /^(?:CALL|BG) ([0-9+*#]+)$/.exec(upper);
      if (call && addressed) {
        const started = await start(caller, call[1] as string, "message");
        void say(started.ok ? `Parley keeps trying ${call[1]} and calls you back.` : started.why, caller);
        return true;
      }
      return false;
    },
  };
}
