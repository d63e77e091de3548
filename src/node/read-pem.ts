import { readFileSync } from "node:fs";
import { StartError } from "./errors.ts";

/** Reads a PEM file named by a config key; a missing or unreadable file stops the start with one line. */
export function readPem(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new StartError(
      `cannot read ${key} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}
