import type { TestContext } from "node:test";
import { BaresipPhone, type BaresipPhoneOptions } from "./baresip.ts";

/** A baresip phone that shows texts (stdio UI) and can send them (`contacts`). */
export type BaresipTextPhone = BaresipPhone;

/**
 * Starts a BaresipPhone with the stdio UI (baresip shows an incoming MESSAGE only through a UI
 * module) for the test's length: SIP password `pw-<extension>`, killed after the test.
 */
export const BaresipTextPhone = {
  async start(
    t: Pick<TestContext, "after">,
    options: { extension: string; registrar: string } & Partial<
      Omit<BaresipPhoneOptions, "extension" | "registrar">
    >,
  ): Promise<BaresipPhone> {
    const phone = await BaresipPhone.start({
      password: `pw-${options.extension}`,
      toneHz: 1000,
      seconds: 90,
      ui: true,
      ...options,
    });
    t.after(() => phone.kill());
    return phone;
  },
};
