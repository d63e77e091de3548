import type { Clock } from "../../kernel/clock.ts";
import type { FeatureCode } from "../service-api/call-session.ts";
import type { Call } from "./call.ts";

/**
 * Feature codes during answered calls: a party's digits are gathered (a pause of more than 3 s
 * starts over) and a sequence that ends in a registered code runs its feature.
 */
export function watchFeatureCodes(
  call: Call,
  features: ReadonlyMap<string, FeatureCode>,
  clock: Clock,
): void {
  if (features.size === 0) return;
  const typed = new Map<string, { digits: string; at: number }>();
  call.on("dtmf", (party, { digit }) => {
    const now = clock.monotonic();
    const previous = typed.get(party.id);
    const digits = (previous && now - previous.at < 3000 ? previous.digits : "") + digit;
    typed.set(party.id, { digits: digits.slice(-8), at: now });
    for (const [code, feature] of features) {
      if (!digits.endsWith(code) || party.state !== "Answered") continue;
      typed.delete(party.id);
      call.logger.info({ feature: feature.name, legId: party.id }, "feature code");
      Promise.resolve(feature.run(call, party)).catch((error: unknown) =>
        call.logger.error({ err: error, feature: feature.name }, "feature code failed"),
      );
      return;
    }
  });
}
