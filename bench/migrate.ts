// Migrate benchmark: phase migrate (bash steps.sh migrate --target) on the
// same synthetic old root with 1 GiB of persisted data and with none, side by
// side in one run, plus `cp -a` of the same 1 GiB tree as the baseline a
// copying migration would cost. Goal: migrate(1 GiB) / migrate(none) <= 1.2,
// because the migration renames (cost per entry, not per byte).
//
//   npx tsx bench/migrate.ts [--rounds N] [--mib M]
//
// Needs root (the fixture has owners), nix-bin (its store is real) and bash.
// Each round copies the fixtures with `cp -al` (a hardlinked tree: new
// directories, the same files) so every run starts from the same old root
// without rewriting the data; the runs alternate between the two roots and
// the median of each is reported. cp -a is followed by `sync -f`, as every
// migrate step ends with one.
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildOldRoot, oldRootDesign } from "../test/support/old-root";
import { writePlan } from "../test/support/steps";

const root = resolve(import.meta.dirname, "..");
const tmp = join(root, "bench/.tmp/migrate");
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg("--rounds", 9);
const MIB = arg("--mib", 1024);
const FILE_MIB = 4;

function seconds(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function sh(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ["ignore", "ignore", "inherit"] });
}

/** MIB MiB of data in FILE_MIB MiB files under a persisted folder (written, not sparse). */
function addData(oldRoot: string): void {
  const dir = join(oldRoot, "var/lib/postgresql/16/base");
  mkdirSync(dir, { recursive: true });
  const chunk = Buffer.alloc(1024 * 1024, 0x5a);
  for (let i = 0; i < MIB / FILE_MIB; i++) {
    const fd = openSync(join(dir, `relation-${i}`), "w");
    for (let j = 0; j < FILE_MIB; j++) {
      chunk.writeUInt32LE(i * FILE_MIB + j, 0);
      writeSync(fd, chunk);
    }
    closeSync(fd);
  }
  execFileSync("sync", ["-f", dir]);
}

rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
const plan = writePlan(oldRootDesign(), join(tmp, "plan"));
const fixtures = {
  none: join(tmp, "none"),
  data: join(tmp, "data"),
};
for (const [name, dir] of Object.entries(fixtures)) {
  mkdirSync(dir);
  const built = buildOldRoot(dir, {
    migrationJson: plan.files["migration.json"],
  });
  if (name === "data") addData(built.dir);
}

const times: Record<string, number[]> = {
  "migrate, no data": [],
  [`migrate, ${MIB} MiB persisted`]: [],
  [`cp -a, ${MIB} MiB tree`]: [],
};
const [noneKey, dataKey, cpKey] = Object.keys(times) as [
  string,
  string,
  string,
];

function migrate(fixture: string, key: string, round: number): void {
  const run = join(tmp, `run-${key.length}-${round}`);
  mkdirSync(run);
  sh("cp", ["-al", join(fixture, "root"), join(run, "root")]);
  // Flush the copy's own metadata now, or migrate's syncs would pay for it.
  sh("sync", ["-f", run]);
  const t = seconds(() => {
    const r = spawnSync(
      "bash",
      [plan.script, "migrate", "--yes", "--target", join(run, "root")],
      { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(`migrate failed: ${r.stderr}`);
  });
  times[key]!.push(t);
  rmSync(run, { recursive: true, force: true });
}

for (let round = 0; round < ROUNDS; round++) {
  // Alternate which root goes first, so drift on the machine hits both.
  if (round % 2 === 0) {
    migrate(fixtures.none, noneKey, round);
    migrate(fixtures.data, dataKey, round);
  } else {
    migrate(fixtures.data, dataKey, round);
    migrate(fixtures.none, noneKey, round);
  }
  const copy = join(tmp, `copy-${round}`);
  times[cpKey]!.push(
    seconds(() => {
      sh("cp", ["-a", join(fixtures.data, "root"), copy]);
      sh("sync", ["-f", copy]);
    }),
  );
  rmSync(copy, { recursive: true, force: true });
  process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
}

const none = median(times[noneKey]!);
const data = median(times[dataKey]!);
const cp = median(times[cpKey]!);
const fmt = (x: number) => x.toFixed(3);
console.log(`| run | median s | runs (s) |`);
console.log(`| --- | --- | --- |`);
for (const [key, xs] of Object.entries(times))
  console.log(`| ${key} | ${fmt(median(xs))} | ${xs.map(fmt).join(", ")} |`);
console.log("");
console.log(
  `migrate(${MIB} MiB) / migrate(none) = ${(data / none).toFixed(2)} (goal <= 1.2)`,
);
const paired = times[dataKey]!.map((d, i) => d / times[noneKey]![i]!);
console.log(
  `median of the per-round ratios (same round, back to back) = ${median(paired).toFixed(2)}`,
);
console.log(
  `cp -a(${MIB} MiB) / migrate(${MIB} MiB) = ${(cp / data).toFixed(1)}`,
);
rmSync(tmp, { recursive: true, force: true });
