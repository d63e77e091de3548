import type { CallPlayItem } from "../../calls/index.ts";

const prompt = (name: string): CallPlayItem => ({ kind: "prompt", name });

/** A number from 0 to 59 as prompts ("twenty" "one"). */
export function spokenNumber(n: number): CallPlayItem[] {
  if (n < 20) return [prompt(`number-${n}`)];
  const tens = Math.floor(n / 10) * 10;
  return n % 10 === 0 ? [prompt(`number-${tens}`)] : [prompt(`number-${tens}`), prompt(`number-${n % 10}`)];
}

/** A caller id read digit by digit ("plus four nine …"); `*` and `#` by name. */
export function spokenDigits(text: string): CallPlayItem[] {
  const items: CallPlayItem[] = [];
  for (const ch of text) {
    if (ch >= "0" && ch <= "9") items.push(prompt(`number-${ch}`));
    else if (ch === "*") items.push(prompt("star"));
    else if (ch === "#") items.push(prompt("pound"));
    else if (ch === "+") items.push(prompt("plus"));
  }
  return items;
}

/** "Received March twenty one at fourteen oh five" in the mailbox's time zone (UTC offset in minutes). */
export function spokenDate(date: Date, offsetMinutes = 0): CallPlayItem[] {
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const minutes = local.getUTCMinutes();
  return [
    prompt("received"),
    prompt(`month-${local.getUTCMonth() + 1}`),
    ...spokenNumber(local.getUTCDate()),
    prompt("at"),
    ...spokenNumber(local.getUTCHours()),
    ...(minutes === 0
      ? []
      : minutes < 10
        ? [prompt("number-0"), ...spokenNumber(minutes)]
        : spokenNumber(minutes)),
  ];
}
