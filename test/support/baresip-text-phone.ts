import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { readWav } from "../../src/media/index.ts";
import { freePort } from "./sipp.ts";

export interface BaresipTextPhoneOptions {
  extension: string;
  /** Parley's host:port; the password is `pw-<extension>` (test/support/sip-node.ts). */
  registrar: string;
  /** Frequency (Hz) of the sine the phone sends in calls (ausine). */
  toneHz?: number;
  /** Answer incoming calls at once; otherwise they ring until the caller gives up. */
  autoAnswer?: boolean;
  /** SIP URIs the phone can text (baresip's contact module). */
  contacts?: string[];
  /** Seconds until baresip quits on its own. */
  seconds?: number;
}

/** A text the phone showed: the sender's URI and the body. */
export interface ShownText {
  from: string;
  text: string;
}

/**
 * A baresip 1.0.0 phone that shows the texts (SIP MESSAGE) it receives, sends texts, and places
 * and answers calls. baresip's menu hands an incoming MESSAGE to the UI modules only
 * (`ui_output("\r%r: \"%b\"\n", from, body)`), never to the log or to ctrl_tcp, so this phone
 * loads the stdio UI on a stdin pipe that stays open; ctrl_tcp takes commands (dial, hangup,
 * accept, and the contact module's `message`); sndfile records what it hears. No mwi module: the
 * only MESSAGEs and NOTIFYs it gets are the ones a test causes. Killed by PID after the test.
 */
export class BaresipTextPhone {
  readonly dir: string;
  readonly extension: string;
  #child: ChildProcess | undefined;
  #output = "";
  #exited: Promise<unknown> = Promise.resolve();
  #controlPort = 0;

  private constructor(dir: string, extension: string) {
    this.dir = dir;
    this.extension = extension;
  }

  /** Starts the phone (again on new ports when baresip dies at once on a port taken meanwhile). */
  static async start(t: TestContext, options: BaresipTextPhoneOptions): Promise<BaresipTextPhone> {
    for (let attempt = 1; ; attempt++) {
      const phone = await BaresipTextPhone.#startOnce(t, options);
      for (let waited = 0; waited < 5000; waited += 20) {
        if (phone.#output.includes("baresip is ready") || phone.#child?.exitCode !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      if (phone.#child?.exitCode === null || attempt >= 3) return phone;
    }
  }

  static async #startOnce(t: TestContext, options: BaresipTextPhoneOptions): Promise<BaresipTextPhone> {
    const dir = mkdtempSync(join(tmpdir(), `parley-baresip-text-${options.extension}-`));
    const phone = new BaresipTextPhone(dir, options.extension);
    const port = await freePort("127.0.0.1", false);
    phone.#controlPort = await freePort("127.0.0.1", true);
    mkdirSync(join(dir, "sound"));
    writeFileSync(
      join(dir, "config"),
      [
        `sip_listen 127.0.0.1:${port}`,
        "module_path /usr/lib/baresip/modules",
        "module g711.so",
        "module ausine.so",
        "module sndfile.so",
        "module stdio.so",
        "module_app account.so",
        "module_app contact.so",
        "module_app menu.so",
        "module_app ctrl_tcp.so",
        `ctrl_tcp_listen 127.0.0.1:${phone.#controlPort}`,
        `audio_source ausine,${options.toneHz ?? 1000}`,
        "ausrc_srate 48000",
        "ausrc_channels 2",
        `snd_path ${join(dir, "sound")}`,
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(dir, "contacts"),
      (options.contacts ?? []).map((uri) => `"${uri}" <${uri}>\n`).join(""),
    );
    const params = [
      `auth_pass=pw-${options.extension}`,
      "regint=300",
      ...(options.autoAnswer ? ["answermode=auto"] : []),
    ];
    writeFileSync(
      join(dir, "accounts"),
      `<sip:${options.extension}@${options.registrar};transport=udp>;${params.join(";")}\n`,
    );
    const seconds = options.seconds ?? 90;
    const child = spawn("baresip", ["-f", dir, "-t", String(seconds)], { stdio: ["pipe", "pipe", "pipe"] });
    phone.#child = child;
    const collect = (chunk: Buffer) => {
      phone.#output += chunk.toString();
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    phone.#exited = once(child, "exit");
    t.after(async () => {
      phone.kill();
      await phone.#exited;
      rmSync(dir, { recursive: true, force: true });
    });
    return phone;
  }

  /** Everything baresip printed, without colour escapes. */
  get output(): string {
    return this.#output.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
  }

  /** The printed lines, without the call-statistics line stdio keeps rewriting. */
  get log(): string {
    return this.output
      .split(/\r?\n|\r/)
      .filter((line) => line !== "" && !/^\[\d+:\d\d:\d\d\] audio=/.test(line))
      .join("\n");
  }

  /** The texts the phone showed, in order. */
  texts(): ShownText[] {
    return [...this.output.matchAll(/(?:^|\r)(sips?:[^\s"]+): "([^\n]*)"\r?$/gm)].map((m) => ({
      from: m[1] as string,
      text: m[2] as string,
    }));
  }

  /** How many incoming calls the phone announced (ringing or answered at once). */
  incomingCalls(): number {
    return this.output.split(/Incoming call from:|answering call on line/).length - 1;
  }

  /** A menu command through ctrl_tcp: a JSON netstring in, a JSON netstring response out. */
  async command(command: string, params = ""): Promise<{ ok: boolean; data: string }> {
    let socket: Socket | undefined;
    for (let attempt = 0; !socket; attempt++) {
      const candidate = connect(this.#controlPort, "127.0.0.1");
      try {
        await once(candidate, "connect");
        socket = candidate;
      } catch (error) {
        candidate.destroy();
        if ((error as NodeJS.ErrnoException).code !== "ECONNREFUSED" || attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const json = JSON.stringify({ command, params, token: command });
    socket.write(`${Buffer.byteLength(json)}:${json},`);
    let text = "";
    for await (const chunk of socket) {
      text += String(chunk);
      for (;;) {
        const colon = text.indexOf(":");
        const length = Number(text.slice(0, colon));
        if (colon <= 0 || text.length < colon + 1 + length + 1) break;
        const message = JSON.parse(text.slice(colon + 1, colon + 1 + length)) as {
          response?: boolean;
          ok: boolean;
          data: string;
        };
        text = text.slice(colon + 1 + length + 1);
        if (message.response) {
          socket.destroy();
          return { ok: message.ok, data: message.data };
        }
      }
    }
    throw new Error(`baresip closed the control connection without answering ${command}`);
  }

  /**
   * Texts `uri` (one of `contacts`): the contact module's `message` sends to the current
   * contact, which `contact_next` / `contact_prev` move through (without wrapping around).
   */
  async text(uri: string, body: string): Promise<void> {
    let current = "";
    for (const move of ["contact_next", "contact_next", "contact_next", "contact_prev", "contact_prev"]) {
      current = (await this.command(move)).data;
      if (current.includes(`<${uri}>`)) break;
    }
    if (!current.includes(`<${uri}>`)) throw new Error(`no contact ${uri} to text: ${current}`);
    const sent = await this.command("message", body);
    if (!sent.ok || sent.data !== "") throw new Error(`baresip did not send the text: ${sent.data}`);
  }

  /** What the phone heard in its last call (decoded audio, 8 kHz), or undefined. */
  heard(): Int16Array | undefined {
    const file = readdirSync(join(this.dir, "sound"))
      .filter((name) => name.endsWith("-dec.wav"))
      .sort()
      .at(-1);
    if (!file) return undefined;
    return readWav(readFileSync(join(this.dir, "sound", file))).samples[0];
  }

  /** Asks baresip to quit (sndfile then closes its WAV files); kills it if that fails. */
  async quit(): Promise<void> {
    if (this.#child?.exitCode !== null) return;
    try {
      await this.command("quit");
    } catch {
      // already going
    }
    const timer = setTimeout(() => this.kill(), 3000);
    await this.#exited;
    clearTimeout(timer);
  }

  kill(): void {
    const child = this.#child;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, "SIGKILL");
    }
  }
}
