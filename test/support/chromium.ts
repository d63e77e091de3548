import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/**
 * Debian's Chromium for browser tests driven by playwright-core (no browser download): the one
 * named by PARLEY_TEST_CHROMIUM, else `chromium` or `chromium-browser` on PATH.
 */
function findChromium(): string | undefined {
  const given = process.env.PARLEY_TEST_CHROMIUM;
  if (given) return existsSync(given) ? given : undefined;
  for (const name of ["chromium", "chromium-browser"]) {
    const found = spawnSync("which", [name], { encoding: "utf8" });
    const path = found.status === 0 ? found.stdout.trim() : "";
    if (path !== "" && existsSync(path)) return path;
  }
  return undefined;
}

export const CHROMIUM_PATH = findChromium();
export const HAS_CHROMIUM = CHROMIUM_PATH !== undefined;
export const CHROMIUM_HOW_TO_GET =
  "apt-get install chromium (Debian), or set PARLEY_TEST_CHROMIUM to a Chromium binary";
