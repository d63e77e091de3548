// CPU time from /proc, for the benches that put a server's CPU beside its rate (bench/calls,
// bench/cluster). Linux only.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second: the unit of /proc's CPU times. */
export const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;

/**
 * utime + stime (s) of every live process for which `select({ pid, ppid, pgrp })` is true; with
 * `reaped`, also cutime + cstime: the CPU of its children that exited and were waited for.
 */
function cpuSecondsOf(select, { reaped = false } = {}) {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state): ppid is field 4, pgrp 5, utime 14, stime 15, cutime 16, cstime 17.
    if (!select({ pid: Number(entry), ppid: Number(fields[1]), pgrp: Number(fields[2]) })) continue;
    total += (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    if (reaped) total += (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
  }
  return total;
}

/** utime + stime (s) of every live process in process group `pgid` (a detached child's PID). */
export function groupCpuSeconds(pgid) {
  return cpuSecondsOf((p) => p.pgrp === pgid);
}

/**
 * CPU seconds of process `pid` and its children, with the children they have waited for: a server
 * whose children start sessions of their own (PostgreSQL's postmaster and its backends), or a
 * driver and the load generators it runs one after the other.
 */
export function familyCpuSeconds(pid) {
  return cpuSecondsOf((p) => p.pid === pid || p.ppid === pid, { reaped: true });
}

/** CPU seconds of this process's children that exited and were waited for (cutime + cstime). */
export function reapedChildrenCpuSeconds() {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
}

/** Busy and total jiffies of the whole machine (first line of /proc/stat). */
export function machineJiffies() {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, x) => sum + x, 0);
  return { busy: total - fields[3] - (fields[4] ?? 0), total };
}
