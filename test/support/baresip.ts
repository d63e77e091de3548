import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
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

  private constructor(dir: string, options: BaresipPhoneOptions) {
    this.dir = dir;
    this.options = options;
  }

  static async start(options: BaresipPhoneOptions): Promise<BaresipPhone> {
    const dir = mkdtempSync(join(tmpdir(), `parley-baresip-${options.extension}-`));
    const phone = new BaresipPhone(dir, options);
    const transport = options.transport ?? "udp";
    const port = await freePort("127.0.0.1", transport === "tcp");
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
        // ausine only makes 48 kHz stereo; baresip resamples to the codec's 8 kHz.
        `audio_source ausine,${options.toneHz}`,
        "ausrc_srate 48000",
        "ausrc_channels 2",
        `snd_path ${join(dir, "sound")}`,
        "",
      ].join("\n"),
    );
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
    ];
    const child = spawn("baresip", args, { stdio: ["ignore", "pipe", "pipe"] });
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

  /** Everything baresip printed, without colour escapes. */
  get output(): string {
    return this.#output.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
  }

  exited(): Promise<void> {
    return this.#exited ?? Promise.resolve();
  }

  kill(): void {
    this.#child?.kill("SIGKILL");
  }

  /** What the phone heard during its call (decoded audio, 8 kHz), or undefined when it had no call. */
  heard(): Int16Array | undefined {
    const file = readdirSync(join(this.dir, "sound")).find((name) => name.endsWith("-dec.wav"));
    if (!file) return undefined;
    const wav = readWav(readFileSync(join(this.dir, "sound", file)));
    return wav.samples[0];
  }
}
