// Benchmark: `tabula scan` against `find DIR -xdev` over the same generated
// 200 000-file tree, side by side in one run (these machines are noisy, so
// only ratios taken together mean anything). The scanner is timed in-process
// (its start-up, tsx and module loading, is measured apart); find is timed
// as a whole process (its start-up is a millisecond or two).
//
//   npx tsx bench/scan.ts [--files N] [--rounds N] [--keep]
//
// Also timed, for context: `du -s` and `find -printf` with sizes, times and
// inode numbers, which must lstat every file as the scanner does.
import { spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { scanRoot } from "../electron/backend/scan";

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const FILES = option("--files", 200_000);
const ROUNDS = option("--rounds", 7);
const here = new URL(".", import.meta.url).pathname;
const tree = join(here, ".tmp", `scan-tree-${FILES}`);

/**
 * A live root shaped like a used system: /etc with links into the store,
 * /var/lib services, homes with deep project trees, some scratch in /tmp.
 */
function generate(): void {
  const marker = join(tree, ".complete");
  if (existsSync(marker) && readFileSync(marker, "utf8") === String(FILES))
    return;
  rmSync(tree, { recursive: true, force: true });
  let made = 0;
  const put = (rel: string, content: string) => {
    const path = join(tree, rel);
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, content);
    made++;
  };
  for (let i = 0; i < 200; i++) {
    mkdirSync(join(tree, "etc", `conf${i % 20}`), { recursive: true });
    symlinkSync(
      `/etc/static/conf${i % 20}/f${i}`,
      join(tree, "etc", `conf${i % 20}`, `f${i}`),
    );
    made++;
  }
  put("etc/machine-id", "0123456789abcdef\n");
  let i = 0;
  while (made < FILES) {
    const area = i % 10;
    const rel =
      area < 4
        ? `var/lib/svc${i % 37}/data/${(i >> 5) % 64}/item${i}`
        : area < 9
          ? `home/user${i % 5}/projects/p${(i >> 3) % 97}/src/mod${(i >> 7) % 13}/file${i}.ts`
          : `tmp/build${i % 11}/obj${i}.o`;
    put(rel, "x".repeat(i % 200));
    i++;
  }
  writeFileSync(marker, String(FILES));
}

function timeProcess(command: string, argv: string[]): number {
  const start = performance.now();
  const r = spawnSync(command, argv, {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${command} exited with ${r.status}`);
  return ms;
}

function timeScan(): { ms: number; entries: number; files: number } {
  const start = performance.now();
  const result = scanRoot({ root: tree });
  const ms = performance.now() - start;
  return {
    ms,
    entries: result.entries.length + result.scratch.length,
    files: [...result.entries, ...result.scratch].reduce(
      (n, e) => n + e.files,
      0,
    ),
  };
}

/**
 * The floor for any scanner in Node: the same walk (readdir with file types)
 * with no logic, without and with the one lstat per entry that sizes and
 * times need. find -xdev never stats a file, which is why it is faster.
 */
function timeWalk(withLstat: boolean): number {
  const start = performance.now();
  const stack = [tree];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (withLstat) lstatSync(path);
      if (entry.isDirectory()) stack.push(path);
    }
  }
  return performance.now() - start;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

generate();
// Warm the caches once for everyone.
timeProcess("find", [tree, "-xdev"]);
timeScan();

const find: number[] = [];
const scan: number[] = [];
const du: number[] = [];
const findStat: number[] = [];
const walk: number[] = [];
const walkLstat: number[] = [];
let last = { entries: 0, files: 0 };
for (let r = 0; r < ROUNDS; r++) {
  find.push(timeProcess("find", [tree, "-xdev"]));
  const s = timeScan();
  scan.push(s.ms);
  last = s;
  du.push(timeProcess("du", ["-s", tree]));
  findStat.push(
    timeProcess("find", [tree, "-xdev", "-printf", "%s %T@ %i %n %y %p\\0"]),
  );
  walk.push(timeWalk(false));
  walkLstat.push(timeWalk(true));
}

// Start-up, apart: the CLI on an empty root (tsx, module loading, one tiny scan).
const empty = join(here, ".tmp", "scan-empty-root");
mkdirSync(empty, { recursive: true });
const cli = join(here, "..", "electron", "bin", "tabula.mjs");
const startup: number[] = [];
const findStartup: number[] = [];
for (let r = 0; r < 3; r++) {
  startup.push(
    timeProcess(process.execPath, [cli, "scan", "--root", empty, "--json"]),
  );
  findStartup.push(timeProcess("find", [empty, "-xdev"]));
}

const row = (name: string, xs: number[]) =>
  `| ${name} | ${median(xs).toFixed(0)} ms | ${(median(xs) / median(find)).toFixed(2)}× |`;
console.log(
  [
    `Tree: ${FILES} entries (${last.files} files counted by the scan, ${last.entries} entries listed), ${ROUNDS} rounds, medians.`,
    "",
    "| what | time | vs find -xdev |",
    "| --- | --- | --- |",
    row("`find DIR -xdev` (baseline)", find),
    row("scan, in-process (`scanRoot`)", scan),
    row("`find DIR -xdev -printf` with sizes, times, inodes", findStat),
    row("`du -s DIR`", du),
    row("Node floor: the walk alone (readdir with types)", walk),
    row("Node floor: the walk + one lstat per entry", walkLstat),
    "",
    `Start-up, apart: \`tabula scan\` on an empty root ${median(startup).toFixed(0)} ms; \`find\` on an empty folder ${median(findStartup).toFixed(1)} ms.`,
    `Scan vs find-with-stat (the same syscalls): ${(median(scan) / median(findStat)).toFixed(2)}×.`,
    `Scan vs the Node floor with lstat (its logic's own cost): ${(median(scan) / median(walkLstat)).toFixed(2)}×.`,
  ].join("\n"),
);
if (args.includes("--clean")) rmSync(tree, { recursive: true, force: true });
