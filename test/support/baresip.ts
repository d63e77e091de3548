import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readWav } from "../../src/media/index.ts";
import { freePort } from "./sipp.ts";

export const HAS_BARESIP = spawnSync("baresip", ["-h"], { encoding: "utf8" }).error === undefined;
export const BARESIP_HOW_TO_GET = "apt-get install baresip";

export interface BaresipPhoneOptions {
  extension: string;
  password: string;
  /** Parley's host:port. */
  registrar: string;
  /** Frequency (Hz) of the sine the phone sends as its microphone (baresip's ausine module). */
  toneHz: number;
  /** Answer incoming calls at once. */
  autoAnswer?: boolean;
  /** A SIP URI to dial once started. */
  dial?: string;
  /** Seconds until baresip quits (hanging up its call with BYE). */
  seconds: number;
  transport?: "udp" | "tcp";
  /** Also send and receive video (VP8 from baresip's fakevideo source, shown on its fake display). */
  video?: boolean;
  /**
   * Speak this WAV (16-bit PCM, 48 kHz stereo, baresip's aufile module) instead of the sine; it
   * plays once, then the phone sends silence.
   */
  audioFile?: string;
  /**
   * Load baresip's stdio user interface (on a stdin pipe): only through a UI module does baresip
   * print incoming texts, as `<From URI>: "<text>"`.
   */
  ui?: boolean;
  /** SIP URIs the phone can text (baresip's contact module; see `text`). */
  contacts?: string[];
  /** Load the mwi module: the phone SUBSCRIBEs to its message-summary and prints each NOTIFY body. */
  mwi?: boolean;
  /** Print every SIP message sent and received (baresip -s), so a test can read the headers a real phone got. */
  sipTrace?: boolean;
}

/**
 * One baresip softphone (Debian's 1.0.0) in its own config dir: registered to Parley, sending a
 * sine from ausine and saving what it hears with the sndfile module (`dump-…-dec.wav`, 8 kHz
 * mono), so a test can check by Goertzel which tone reached it. Killed by PID if it overruns.
 */
export class BaresipPhone {
  readonly dir: string;
  readonly options: BaresipPhoneOptions;
  #child: ChildProcess | undefined;
  #output = "";
  #exited: Promise<void> | undefined;
  #controlPort = 0;
  /** The port baresip listens on for SIP. */
  sipPort = 0;

  private constructor(dir: string, options: BaresipPhoneOptions) {
    this.dir = dir;
    this.options = options;
  }

  /**
   * Starts baresip; when it dies at once because its SIP or control port was taken in the moment
   * between picking a free port and binding it (tests run in parallel), it is started again on
   * new ports.
   */
  static async start(options: BaresipPhoneOptions): Promise<BaresipPhone> {
    for (let attempt = 1; ; attempt++) {
      const phone = await BaresipPhone.#startOnce(options);
      const outcome = await Promise.race([
        phone.exited().then(() => "exited" as const),
        phone.#ready().then(() => "ready" as const),
      ]);
      if (outcome === "ready" || attempt >= 3) return phone;
    }
  }

  /** Resolves once baresip printed "baresip is ready" (or after 5 s, leaving the caller to notice). */
  async #ready(): Promise<void> {
    for (let waited = 0; waited < 5000 && !this.#output.includes("baresip is ready"); waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  static async #startOnce(options: BaresipPhoneOptions): Promise<BaresipPhone> {
    const dir = mkdtempSync(join(tmpdir(), `parley-baresip-${options.extension}-`));
    const phone = new BaresipPhone(dir, options);
    const transport = options.transport ?? "udp";
    const port = await freePort("127.0.0.1", transport === "tcp");
    phone.sipPort = port;
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
        "module_app account.so",
        "module_app menu.so",
        "module_app ctrl_tcp.so",
        ...(options.ui ? ["module stdio.so"] : []),
        ...(options.contacts ? ["module_app contact.so"] : []),
        ...(options.mwi ? ["module_app mwi.so"] : []),
        `ctrl_tcp_listen 127.0.0.1:${phone.#controlPort}`,
        // ausine only makes 48 kHz stereo; baresip resamples to the codec's 8 kHz.
        ...(options.audioFile
          ? ["module aufile.so", `audio_source aufile,${options.audioFile}`]
          : [`audio_source ausine,${options.toneHz}`]),
        "ausrc_srate 48000",
        "ausrc_channels 2",
        `snd_path ${join(dir, "sound")}`,
        ...(options.video
          ? [
              "module vp8.so",
              "module fakevideo.so",
              "video_source fakevideo,nil",
              "video_display fakevideo,nil",
            ]
          : []),
        "",
      ].join("\n"),
    );
    if (options.contacts) {
      writeFileSync(join(dir, "contacts"), options.contacts.map((uri) => `"${uri}" <${uri}>\n`).join(""));
    }
    const params = [
      `auth_pass=${options.password}`,
      "regint=300",
      ...(options.autoAnswer ? ["answermode=auto"] : []),
    ];
    writeFileSync(
      join(dir, "accounts"),
      `<sip:${options.extension}@${options.registrar};transport=${transport}>;${params.join(";")}\n`,
    );
    const args = [
      "-f",
      dir,
      "-t",
      String(options.seconds),
      ...(options.dial ? ["-e", `/dial ${options.dial}`] : []),
      ...(options.sipTrace ? ["-s"] : []),
    ];
    const child = spawn("baresip", args, { stdio: [options.ui ? "pipe" : "ignore", "pipe", "pipe"] });
    phone.#child = child;
    const collect = (chunk: Buffer) => {
      phone.#output += chunk.toString();
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    const killer = setTimeout(() => child.kill("SIGKILL"), (options.seconds + 10) * 1000);
    phone.#exited = once(child, "exit").then(() => clearTimeout(killer));
    return phone;
  }

  /**
   * Runs a menu command (dial, hold, resume, transfer, hangup …) through the ctrl_tcp module:
   * a JSON netstring in, a JSON netstring response out.
   */
  async command(command: string, params = ""): Promise<{ response: boolean; ok: boolean; data: string }> {
    // ctrl_tcp listens a moment after baresip starts: retry a refused connection for 5 s.
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
      // Netstrings "<length>:<json>,"; events (no `response`) may come before the answer.
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
          return { response: true, ok: message.ok, data: message.data };
        }
      }
    }
    throw new Error(`baresip closed the control connection without answering ${command}`);
  }

  /** Everything baresip printed, without colour escapes. */
  get output(): string {
    return this.#output.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
  }

  /** The printed lines, without the call-statistics line the stdio UI keeps rewriting. */
  get log(): string {
    return this.output
      .split(/\r?\n|\r/)
      .filter((line) => line !== "" && !/^\[\d+:\d\d:\d\d\] audio=/.test(line))
      .join("\n");
  }

  /** How many incoming calls the phone announced (ringing, or answered at once). */
  incomingCalls(): number {
    return this.output.split(/Incoming call from:|answering call on line/).length - 1;
  }

  /** The texts the phone showed (with `ui`), in order: the sender's URI and the body. */
  texts(): Array<{ from: string; text: string }> {
    return [...this.output.matchAll(/(?:^|\r)(sips?:[^\s"]+): "([^\n]*)"\r?$/gm)].map((m) => ({
      from: m[1] as string,
      text: m[2] as string,
    }));
  }

  /**
   * Texts `uri` (one of `contacts`): baresip 1.0.0's menu has no command for it, its contact
   * module's `message` sends to the current contact, which `contact_next` / `contact_prev` move
   * through (without wrapping around).
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

  exited(): Promise<void> {
    return this.#exited ?? Promise.resolve();
  }

  /** Asks baresip to quit (so sndfile closes its WAV files properly); kills it if that fails. */
  async quit(): Promise<void> {
    if (this.#child?.exitCode !== null) return;
    try {
      await this.command("quit");
    } catch {
      // already going
    }
    const timer = setTimeout(() => this.kill(), 3000);
    await this.exited();
    clearTimeout(timer);
  }

  kill(): void {
    this.#child?.kill("SIGKILL");
  }

  /** What the phone heard during its call (decoded audio, 8 kHz), or undefined when it had no call. */
  heard(): Int16Array | undefined {
    return this.heardCalls()[0];
  }

  /**
   * What the phone heard in each of its calls, oldest first (sndfile names its files by the
   * second the stream started, so calls must start at least a second apart).
   */
  heardCalls(): Int16Array[] {
    return readdirSync(join(this.dir, "sound"))
      .filter((name) => name.endsWith("-dec.wav"))
      .sort()
      .map((file) => readWav(readFileSync(join(this.dir, "sound", file))).samples[0] as Int16Array);
  }

  /**
   * The SIP requests of a method the phone received (with `sipTrace`): start line, headers and
   * body as printed. baresip prints each message after a `#` and a `UDP <from> -> <to>` line (the
   * `#` may end a statistics line).
   */
  received(method: string): string[] {
    const out: string[] = [];
    for (const match of this.output.matchAll(
      /(?:UDP|TCP) (\S+) -> (\S+)\r?\n([\s\S]*?)(?=\r?\n#|#\r?\n(?:UDP|TCP) |$)/g,
    )) {
      const [, , to = "", message = ""] = match;
      if (to.endsWith(`:${this.sipPort}`) && message.startsWith(`${method} sip`)) out.push(message);
    }
    return out;
  }
}
