import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, expect, it } from "vitest";
import {
  ACK_SIZE_CHARS,
  HIGH_WATERMARK_CHARS,
} from "../../../../shared/api/flow-control";
import { isGone } from "../../../../electron/backend/process-tree";
import {
  TerminalService,
  defaultEnv,
  type TerminalSession,
} from "../../../../electron/backend/terminal";
import { describeWith } from "../../../support/needs";

const work = mkdtempSync(join(tmpdir(), "terminal-pty-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let service = new TerminalService({ graceMs: 500 });
afterEach(async () => {
  await service.shutdown();
  service = new TerminalService({ graceMs: 500 });
});

/** Everything a session shows, collected. */
function collect(session: TerminalSession): { text: () => string } {
  let text = "";
  service.on("terminal.data", ({ terminalId, data }) => {
    if (terminalId === session.id) text += data;
  });
  return { text: () => text };
}

async function until(
  what: string,
  check: () => boolean,
  ms = 10_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const run = (
  script: string,
  extra: Partial<Parameters<TerminalService["spawn"]>[0]> = {},
) =>
  service.spawn({
    file: "bash",
    args: ["-c", script],
    cols: 80,
    rows: 24,
    cwd: work,
    ...extra,
  });

/** Live processes whose environment holds NAME=VALUE (a check independent of the service). */
function processesWithEnv(name: string, value: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, "latin1").split("\0");
      if (env.includes(`${name}=${value}`) && !isGone(Number(entry)))
        found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

describeWith(["bash"], "terminal sessions (real bash in node-pty)", () => {
  it("runs with TERM=xterm-256color, the given cwd, size and only the given environment", async () => {
    process.env.TABULA_TEST_SECRET = "do-not-leak";
    try {
      const s = run(
        'pwd; echo "T=$TERM F=$FOO S=${TABULA_TEST_SECRET-unset}"; stty size',
        {
          cols: 91,
          rows: 33,
          env: { ...defaultEnv(), FOO: "bar" },
        },
      );
      const out = collect(s);
      expect(await s.exited).toEqual({ exitCode: 0, signal: null });
      expect(out.text()).toContain(`${work}\r\n`);
      expect(out.text()).toContain("T=xterm-256color F=bar S=unset\r\n");
      expect(out.text()).toContain("33 91\r\n");
      // the default environment leaves the secret out as well
      const d = run('echo "S=${TABULA_TEST_SECRET-unset} P=${PATH:+set}"');
      const dout = collect(d);
      await d.exited;
      expect(dout.text()).toContain("S=unset P=set");
    } finally {
      delete process.env.TABULA_TEST_SECRET;
    }
  });

  it("takes input and resizes", async () => {
    const s = run(
      'read -r line; echo "got <$line>"; stty size; read -r _; stty size',
    );
    const out = collect(s);
    s.write("hello world\r");
    await until("the echo", () => out.text().includes("got <hello world>"));
    await until("the first size", () => out.text().includes("24 80\r\n"));
    service.resize(s.id, 120, 40);
    s.write("\r");
    await s.exited;
    expect(out.text()).toContain("40 120\r\n");
  });

  it("an interactive shell runs what is typed", async () => {
    const s = service.openShell({ cols: 80, rows: 24, cwd: work });
    const out = collect(s);
    service.input(s.id, "echo $((6*7))x; exit 3\r");
    expect(await s.exited).toEqual({ exitCode: 3, signal: null });
    expect(out.text()).toContain("42x");
  });

  it("reports the exit status: a code, or the signal that ended it", async () => {
    const exits: unknown[] = [];
    service.on("terminal.exit", (e) => exits.push(e));
    const a = run("exit 7");
    expect(await a.exited).toEqual({ exitCode: 7, signal: null });
    const b = run("kill -TERM $$");
    expect(await b.exited).toEqual({ exitCode: null, signal: 15 });
    expect(exits).toContainEqual({
      terminalId: a.id,
      exitCode: 7,
      signal: null,
    });
    expect(exits).toContainEqual({
      terminalId: b.id,
      exitCode: null,
      signal: 15,
    });
  });

  it("refuses bad arguments with a sentence naming them", () => {
    expect(() => run("true", { cols: 0 })).toThrow(
      "cols must be a whole number from 1 to 1000 (got 0)",
    );
    expect(() => service.input("nope", "x")).toThrow(
      'terminal "nope" does not exist: open a shell or start a run first',
    );
    const s = run("sleep 5");
    expect(() => s.resize(80, 1.5)).toThrow("rows must be a whole number");
    expect(() => s.ack(-1)).toThrow(
      "acknowledged characters must be a whole number",
    );
  });

  it("pauses the pty when the renderer falls behind and resumes on acks, losing nothing", async () => {
    const total = 1_000_000;
    const s = run(`head -c ${total} /dev/zero | tr '\\0' x`);
    let received = 0;
    service.on("terminal.data", ({ terminalId, data }) => {
      if (terminalId === s.id) received += data.length;
    });
    await until("the pause", () => s.paused);
    await new Promise((r) => setTimeout(r, 300));
    // Paused: no more than the high mark plus what was in flight.
    expect(received).toBeGreaterThan(HIGH_WATERMARK_CHARS);
    expect(received).toBeLessThan(HIGH_WATERMARK_CHARS + 2 * 65_536);
    expect(s.exit).toBeNull(); // the writer is blocked, not finished
    // A renderer acknowledging in units, as xterm.js writes.
    let acked = 0;
    const timer = setInterval(() => {
      while (received - acked >= ACK_SIZE_CHARS) {
        s.ack(ACK_SIZE_CHARS);
        acked += ACK_SIZE_CHARS;
      }
    }, 2);
    try {
      expect(await s.exited).toEqual({ exitCode: 0, signal: null });
    } finally {
      clearInterval(timer);
    }
    expect(received).toBe(total);
  });

  it("keeps the output of a child that exits while the pty is paused", async () => {
    const total = HIGH_WATERMARK_CHARS + 10_000;
    const s = run(`head -c ${total} /dev/zero | tr '\\0' y; exit 4`);
    let received = 0;
    service.on("terminal.data", ({ terminalId, data }) => {
      if (terminalId === s.id) received += data.length;
    });
    // Never acknowledged: the rest fits the kernel's pty buffer, the child exits.
    expect(await s.exited).toEqual({ exitCode: 4, signal: null });
    expect(received).toBe(total);
  });

  it("without flow control, a consumer that never acks gets everything", async () => {
    const total = 500_000;
    const s = run(`head -c ${total} /dev/zero | tr '\\0' z`, {
      flowControl: false,
    });
    let received = 0;
    service.on("terminal.data", ({ terminalId, data }) => {
      if (terminalId === s.id) received += data.length;
    });
    await s.exited;
    expect(received).toBe(total);
    expect(s.paused).toBe(false);
  });

  it("never loses the end of a burst (node-pty alone does, now and then)", async () => {
    const total = 1_000_000;
    const sessions = Array.from({ length: 8 }, () =>
      run(`head -c ${total} /dev/zero | tr '\\0' e`, { flowControl: false }),
    );
    const received = new Map<string, number>();
    service.on("terminal.data", ({ terminalId, data }) =>
      received.set(terminalId, (received.get(terminalId) ?? 0) + data.length),
    );
    await Promise.all(sessions.map((s) => s.exited));
    expect(sessions.map((s) => received.get(s.id))).toEqual(
      sessions.map(() => total),
    );
  });

  it("applies a transform before counting and sending", async () => {
    const ends: string[] = [];
    const s = run("printf 'abc'; printf 'def'", {
      transform: {
        write: (raw) => raw.toUpperCase(),
        end: () => {
          ends.push("end");
          return "!";
        },
      },
    });
    const out = collect(s);
    await s.exited;
    expect(out.text()).toBe("ABCDEF!");
    expect(ends).toEqual(["end"]);
  });

  // Every way a process can try to outlive its terminal.
  const escapers = [
    "sleep 300 &", // a background job
    "(sleep 301 &)", // orphaned to init, same session
    "setsid sleep 302 &", // a new session, still our child
    "setsid bash -c 'sleep 303 & echo INNER $!' &", // new session and orphaned
    "bash -c 'trap \"\" TERM HUP; sleep 304' &", // ignores SIGTERM and SIGHUP
    "nohup sleep 305 >/dev/null 2>&1 &", // ignores SIGHUP
  ].join("\n");

  /** Starts the escapers; returns the session and the pids seen from outside. */
  async function startEscapers(
    mark: string,
    interactive: boolean,
  ): Promise<{ session: TerminalSession; pids: number[] }> {
    const script = `${escapers}\necho READY\nsleep 306`;
    const env = { ...defaultEnv(), MARK: mark };
    const session = interactive
      ? service.openShell({ cols: 80, rows: 24, cwd: work, env })
      : run(script, { env });
    const out = collect(session);
    if (interactive) session.write(`${script.replace(/\n/g, "\r")}\r`);
    await until(
      "the processes to start",
      () => /READY\r\n/.test(out.text()) && /INNER \d+/.test(out.text()),
    );
    // seven sleeps (and the shell): every one running, as seen from outside
    let pids: number[] = [];
    await until("all escapers to run", () => {
      pids = processesWithEnv("MARK", mark);
      return pids.length >= (interactive ? 8 : 7);
    });
    expect(pids).toContain(Number(/INNER (\d+)/.exec(out.text())![1]));
    return { session, pids };
  }

  for (const interactive of [false, true])
    it(`cancel kills every descendant, whatever it did to escape (${interactive ? "interactive shell" : "script"})`, async () => {
      const mark = randomUUID();
      const { session, pids } = await startEscapers(mark, interactive);
      const exit = await service.kill(session.id);
      expect(exit.exitCode === null || exit.exitCode !== 0).toBe(true);
      expect(session.wasCancelled).toBe(true);
      expect(pids.filter((p) => !isGone(p))).toEqual([]);
      expect(processesWithEnv("MARK", mark)).toEqual([]);
      expect(() => service.get(session.id)).toThrow("does not exist");
    });

  it("shutdown kills every session and every descendant", async () => {
    const marks = [randomUUID(), randomUUID()];
    const started = [];
    for (const mark of marks) started.push(await startEscapers(mark, false));
    await service.shutdown();
    for (const mark of marks)
      expect(processesWithEnv("MARK", mark)).toEqual([]);
    for (const { session } of started) expect(session.exit).not.toBeNull();
  });

  it("cancel after a normal exit clears away background jobs without counting as a cancel", async () => {
    const mark = randomUUID();
    // HUP ignored (and inherited so) before the fork: the shell's exit hangs
    // up its process group otherwise.
    const s = run("trap '' HUP; sleep 310 & echo started", {
      env: { ...defaultEnv(), MARK: mark },
    });
    await s.exited;
    expect(processesWithEnv("MARK", mark)).toHaveLength(1);
    await s.cancel();
    expect(s.wasCancelled).toBe(false);
    expect(processesWithEnv("MARK", mark)).toEqual([]);
  });
});
