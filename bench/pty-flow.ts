// Benchmark: 200 MiB of build-log-like output through a pty session of the
// terminal service (electron/backend/terminal.ts) to consumers of different
// speeds, each mode in its own backend process, side by side in one run:
//
//   idle         a session running `sleep`: the baseline memory of a backend
//   slow         flow control on, a renderer that draws ~10 MB/s and acks
//                in 5 000-character units: memory growth over idle (goal
//                at most 64 MB)
//   slow-noflow  the same renderer without flow control: what piles up in
//                front of it (modelled as a queue of undelivered messages)
//   fast         flow control on, a renderer that acks at once: throughput
//   fast-filter  the same through the runner's output filter
//   raw          node-pty alone, no service, no flow control: throughput
//                baseline for the service's overhead
//
// Run: npx tsx bench/pty-flow.ts   (BENCH_MIB=50 for a shorter run)
// Results: docs/benchmarks.md.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as pty from "node-pty";
import { ACK_SIZE_CHARS, AckBatcher } from "../shared/api/flow-control";
import { OutputFilter } from "../shared/progress/output-filter";
import { TerminalService, defaultEnv } from "../electron/backend/terminal";

const MIB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_MIB ?? 200) * MIB;
/** The slow renderer's speed: characters acknowledged per 10 ms tick. */
const SLOW_CHARS_PER_TICK = 100_000;
const LINE =
  "tabula-left-1.0> gcc -O2 -Wall -c src/module.c -o build/module.o # compiling module 42 of 1337 ...";
const PRODUCER = `yes '${LINE}' | head -c ${SIZE}`;

type Mode = "idle" | "slow" | "slow-noflow" | "fast" | "fast-filter" | "raw";
/** The throughput modes run this many times, interleaved; the median counts. */
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const MODES: Mode[] = [
  "idle",
  "slow",
  "slow-noflow",
  ...Array.from(
    { length: REPEATS },
    () => ["fast", "fast-filter", "raw"] as const,
  ).flat(),
];

interface Result {
  mode: Mode;
  chars: number;
  seconds: number;
  peakRssMiB: number;
  peakHeapMiB: number;
  startRssMiB: number;
  /**
   * Largest number of characters sent but not acknowledged (slow-noflow:
   * waiting in the queue in front of the renderer).
   */
  peakUnackedChars: number;
  exitCode: number | null;
}

/** Samples this process's memory every 20 ms. */
function sampler() {
  const start = process.memoryUsage();
  let peakRss = start.rss;
  let peakHeap = start.heapUsed;
  const take = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const timer = setInterval(take, 20);
  return {
    startRss: start.rss,
    stop: () => {
      take();
      clearInterval(timer);
      return { peakRss, peakHeap };
    },
  };
}

async function child(mode: Mode): Promise<Result> {
  const memory = sampler();
  const started = Date.now();
  let chars = 0;
  let peakUnacked = 0;
  let exitCode: number | null = null;

  if (mode === "raw") {
    const p = pty.spawn("bash", ["-c", PRODUCER], {
      name: "xterm-256color",
      cols: 120,
      rows: 40,
      cwd: "/",
      env: defaultEnv(),
    });
    p.onData((d) => (chars += d.length));
    exitCode = await new Promise<number>((r) => p.onExit((e) => r(e.exitCode)));
  } else {
    const service = new TerminalService();
    const filter = new OutputFilter();
    const session = service.spawn({
      file: "bash",
      args: ["-c", mode === "idle" ? "sleep 3" : PRODUCER],
      cols: 120,
      rows: 40,
      cwd: "/",
      flowControl: mode !== "slow-noflow",
      transform:
        mode === "fast-filter"
          ? {
              write: (raw) => filter.push(raw).text,
              end: () => filter.flush().text,
            }
          : undefined,
    });
    const batcher = new AckBatcher();
    let pending = 0; // received, not yet drawn
    const queue: string[] = []; // slow-noflow: messages not yet delivered
    let queued = 0;
    service.on("terminal.data", ({ data }) => {
      chars += data.length;
      peakUnacked = Math.max(peakUnacked, session.unacknowledged);
      if (mode === "fast" || mode === "fast-filter") {
        const ack = batcher.written(data.length);
        if (ack) session.ack(ack);
      } else if (mode === "slow") {
        pending += data.length;
      } else if (mode === "slow-noflow") {
        queue.push(data);
        queued += data.length;
        peakUnacked = Math.max(peakUnacked, queued);
      }
    });
    const tick = setInterval(() => {
      if (mode === "slow") {
        const drawn = Math.min(pending, SLOW_CHARS_PER_TICK);
        pending -= drawn;
        const ack = batcher.written(drawn);
        if (ack) session.ack(ack);
      } else if (mode === "slow-noflow") {
        let budget = SLOW_CHARS_PER_TICK;
        while (budget > 0 && queue.length) {
          const n = queue.shift()!.length;
          budget -= n;
          queued -= n;
        }
      }
    }, 10);
    const exit = await session.exited;
    clearInterval(tick);
    exitCode = exit.exitCode;
    await service.shutdown();
  }
  const seconds = (Date.now() - started) / 1000;
  const { peakRss, peakHeap } = memory.stop();
  return {
    mode,
    chars,
    seconds,
    peakRssMiB: peakRss / MIB,
    peakHeapMiB: peakHeap / MIB,
    startRssMiB: memory.startRss / MIB,
    peakUnackedChars: peakUnacked,
    exitCode,
  };
}

function runChild(mode: Mode): Promise<Result> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), "--mode", mode],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("exit", (code) => {
      if (code !== 0) reject(new Error(`mode ${mode} exited with ${code}`));
      else resolve(JSON.parse(out.trim().split("\n").at(-1) as string));
    });
  });
}

const f1 = (n: number) => n.toFixed(1);

async function main(): Promise<void> {
  const i = process.argv.indexOf("--mode");
  if (i >= 0) {
    const result = await child(process.argv[i + 1] as Mode);
    process.stdout.write(JSON.stringify(result) + "\n");
    process.exit(0);
  }
  const runs: Result[] = [];
  for (const mode of MODES) {
    process.stderr.write(`running ${mode}...\n`);
    runs.push(await runChild(mode));
  }
  // One row per mode: the run with the median time.
  const results = [...new Set(MODES)].map((mode) => {
    const all = runs
      .filter((r) => r.mode === mode)
      .sort((a, b) => a.seconds - b.seconds);
    return all[Math.floor(all.length / 2)] as Result;
  });
  const idle = results[0] as Result;
  const raw = results.find((r) => r.mode === "raw") as Result;
  console.log(
    `pty-flow: ${SIZE / MIB} MiB of output, node ${process.version}, ` +
      `ack unit ${ACK_SIZE_CHARS} chars, slow renderer ${(SLOW_CHARS_PER_TICK * 100) / 1e6} MB/s, ` +
      `throughput modes: median of ${REPEATS} interleaved runs\n`,
  );
  console.log(
    "| mode | chars received | time s | MB/s | peak RSS MiB | RSS growth over idle MiB | peak heap MiB | peak unacked (queued) chars | time vs raw |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const r of results) {
    const mbps = r.mode === "idle" ? "" : f1(r.chars / 1e6 / r.seconds);
    console.log(
      `| ${r.mode} | ${r.chars} | ${f1(r.seconds)} | ${mbps} | ${f1(r.peakRssMiB)} | ${f1(r.peakRssMiB - idle.peakRssMiB)} | ${f1(r.peakHeapMiB)} | ${r.mode === "raw" || r.mode === "idle" ? "" : r.peakUnackedChars} | ${r.mode === "idle" ? "" : (r.seconds / raw.seconds).toFixed(2) + "×"} |`,
    );
  }
  const slow = results.find((r) => r.mode === "slow") as Result;
  const growth = slow.peakRssMiB - idle.peakRssMiB;
  console.log(
    `\nslow consumer with flow control: RSS growth ${f1(growth)} MiB (goal ≤ 64 MB = 61.0 MiB): ${growth <= 61 ? "met" : "NOT MET"}`,
  );
  // The pty turns each LF into CR LF: a complete run has one more character per line.
  const complete = SIZE + Math.floor(SIZE / (LINE.length + 1));
  const bad = runs.filter((r) => r.mode !== "idle" && r.chars !== complete);
  if (bad.length)
    console.log(
      `incomplete output (expected ${complete} characters) in: ${bad.map((r) => `${r.mode} (${complete - r.chars} missing)`).join(", ")}`,
    );
}

await main();
