// Finding every process a terminal session started, so that cancelling it
// or quitting the app leaves no orphan behind. A process belongs to a
// session when any of these holds:
//   - it is in the session's process group or Linux session (node-pty makes
//     the child a session leader, so pid = pgid = sid);
//   - it descends from the session's child (its parent chain leads there);
//   - its environment carries the session's token (TABULA_TERMINAL=<id>):
//     this finds what left both the session and the tree (`setsid` plus a
//     double fork, reparented to init), unless it also wiped its environment.
// Linux only: reads /proc.
import { readFileSync, readdirSync } from "node:fs";

export const TOKEN_VAR = "TABULA_TERMINAL";

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgrp: number;
  session: number;
  /** One letter from /proc/PID/stat: R, S, D, Z (zombie), T (stopped), ... */
  state: string;
}

/** Every process visible in /proc, read once (processes may vanish meanwhile). */
export function listProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const info = readStat(Number(name));
    if (info) out.push(info);
  }
  return out;
}

export function readStat(pid: number): ProcessInfo | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // "pid (comm) state ppid pgrp session ...": comm may hold spaces and ')'.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const [state, ppid, pgrp, session] = rest;
  if (state === undefined || session === undefined) return null;
  return {
    pid,
    ppid: Number(ppid),
    pgrp: Number(pgrp),
    session: Number(session),
    state,
  };
}

/** Whether the process is gone or a zombie (dead, waiting to be reaped). */
export function isGone(pid: number): boolean {
  const info = readStat(pid);
  return info === null || info.state === "Z" || info.state === "X";
}

function hasToken(pid: number, token: string): boolean {
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, "latin1");
    return environ.split("\0").includes(`${TOKEN_VAR}=${token}`);
  } catch {
    return false;
  }
}

/**
 * The live processes of the session whose child is `leader` and whose
 * environment token is `token`, leader included if alive. Never this
 * process itself.
 */
export function sessionProcesses(leader: number, token: string): number[] {
  const all = listProcesses().filter(
    (p) => p.pid !== process.pid && p.state !== "Z" && p.state !== "X",
  );
  const found = new Set<number>();
  for (const p of all)
    if (p.pid === leader || p.session === leader || p.pgrp === leader)
      found.add(p.pid);
  // Descendants of anything found so far.
  const children = new Map<number, number[]>();
  for (const p of all) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const queue = [leader, ...found];
  while (queue.length) {
    const pid = queue.pop() as number;
    for (const child of children.get(pid) ?? [])
      if (!found.has(child)) {
        found.add(child);
        queue.push(child);
      }
  }
  for (const p of all)
    if (!found.has(p.pid) && hasToken(p.pid, token)) found.add(p.pid);
  return [...found];
}

/** Sends `signal` to each pid, ignoring those already gone. */
export function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already, or not ours to signal
    }
  }
}
