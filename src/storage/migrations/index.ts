import type { Migration } from "kysely";
import { migration0001Directory } from "./0001-directory.ts";

/**
 * Every schema migration, in order. Names sort as applied; a released migration is never edited,
 * a change gets the next number.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  "0001-directory": migration0001Directory,
};
