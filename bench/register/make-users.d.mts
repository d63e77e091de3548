/** Types of make-users.mjs for the TypeScript callers. */
export function userName(i: number, count: number): string;
export function makeUsers(options: {
  out: string;
  count?: number;
  domain?: string;
  sqlite?: boolean;
}): Promise<{
  dir: string;
  csv: string;
  dbText: string;
  sqlite: string | undefined;
  count: number;
  domain: string;
}>;
