import { randomUUID } from "node:crypto";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, expect, it } from "vitest";
import { encodeMarker, type Marker } from "../../../../shared/plan/markers";
import type { Plan, Step } from "../../../../shared/plan/types";
import { validateDesign } from "../../../../shared/design/validate";
import { planStepFiles } from "../../../../shared/plan/files";
import { renderScript } from "../../../../shared/plan/script";
import type { RunStatus } from "../../../../shared/progress/types";
import { RunnerService, type Run } from "../../../../electron/backend/runner";
import {
  TerminalService,
  defaultEnv,
} from "../../../../electron/backend/terminal";
import { isGone } from "../../../../electron/backend/process-tree";
import { describeWith } from "../../../support/needs";

const work = mkdtempSync(join(tmpdir(), "terminal-runner-"));
// Readable by all, in case the machine's Nix does build as nixbld users.
chmodSync(work, 0o755);
const logDir = join(work, "logs");
afterAll(() => rmSync(work, { recursive: true, force: true }));

let terminals = new TerminalService({ graceMs: 500 });
let runner = new RunnerService(terminals, { logDir, statusIntervalMs: 50 });
afterEach(async () => {
  await runner.shutdown();
  await terminals.shutdown();
  terminals = new TerminalService({ graceMs: 500 });
  runner = new RunnerService(terminals, { logDir, statusIntervalMs: 50 });
});

function step(id: string, title = `Title of ${id}`): Step {
  return {
    id,
    title,
    commands: [],
    destructive: false,
    weight: 1,
    requires: [],
  };
}

function plan(steps: string[]): Plan {
  return {
    format: "tabula-plan/1",
    planId: "test",
    mode: "install",
    hostname: "test",
    phases: [
      {
        name: "install",
        title: "Install",
        where: "livecd",
        steps: steps.map((s) => step(s)),
      },
    ],
  };
}

/** A bash line printing a marker exactly as encodeMarker writes it. */
function print(m: Marker): string {
  const escaped = encodeMarker(m)
    .replaceAll("\u001b", "\\033")
    .replaceAll("\u0007", "\\007");
  return `printf '${escaped}'`;
}

/** Writes a script whose lines are bash or markers; returns its path. */
function script(lines: (string | Marker)[]): string {
  const path = join(work, `steps-${randomUUID()}.sh`);
  writeFileSync(
    path,
    lines.map((l) => (typeof l === "string" ? l : print(l))).join("\n") + "\n",
  );
  return path;
}

interface Watched {
  run: Run;
  statuses: RunStatus[];
  text: () => string;
}

function start(
  p: Plan,
  path: string,
  extra: Partial<Parameters<RunnerService["start"]>[0]> = {},
): Watched {
  const statuses: RunStatus[] = [];
  let text = "";
  const run = runner.start({
    plan: p,
    phase: "install",
    script: path,
    cols: 100,
    rows: 30,
    flowControl: false,
    ...extra,
  });
  runner.on("run.status", (s) => {
    if (s.runId === run.id) statuses.push(s);
  });
  terminals.on("terminal.data", ({ terminalId, data }) => {
    if (terminalId === run.terminal.id) text += data;
  });
  return { run, statuses, text: () => text };
}

const states = (s: RunStatus) =>
  Object.fromEntries(s.steps.map((x) => [x.id, x.state]));

describeWith(["bash"], "runner (real bash in node-pty, marker scripts)", () => {
  it("follows the markers to step states and percent, shows the text without them, keeps the full log", async () => {
    const path = script([
      'echo "args: $*"',
      { kind: "phase-start", phase: "install", steps: 3 },
      { kind: "step-start", step: "partition" },
      "echo '+ sgdisk --zap-all /dev/vdb'",
      { kind: "progress", state: 1, percent: 40 },
      { kind: "step-end", step: "partition", result: "done" },
      { kind: "step-start", step: "format" },
      { kind: "step-end", step: "format", result: "skipped" },
      { kind: "progress", state: 1, percent: 80 },
      { kind: "phase-end", phase: "install", result: "ok" },
      "exit 0",
    ]);
    const w = start(plan(["partition", "format", "mount"]), path, {
      dryRun: true,
      yes: true,
      target: "/mnt/my target",
      force: true,
    });
    const final = await w.run.finished;
    expect(final).toMatchObject({
      runId: w.run.id,
      phase: "install",
      state: "succeeded",
      exitCode: 0,
      percent: 100,
      build: null,
    });
    expect(states(final)).toEqual({
      partition: "done",
      format: "skipped",
      mount: "pending",
    });
    expect(final.steps[0]!.title).toBe("Title of partition");
    expect(w.text()).toContain(
      "args: install --dry-run --yes --target /mnt/my target --force\r\n",
    );
    expect(w.text()).toContain("+ sgdisk --zap-all /dev/vdb\r\n");
    expect(w.text()).not.toContain("\u001b]");
    // the last event is the final status; a running step was seen on the way
    expect(w.statuses.at(-1)).toEqual(final);
    expect(runner.status(w.run.id)).toEqual(final);
    // the full log has the markers, byte for byte
    const log = readFileSync(w.run.logPath, "utf8");
    expect(log).toContain(
      encodeMarker({ kind: "step-start", step: "partition" }),
    );
    expect(runner.log(w.run.id)).toEqual({ text: log, path: w.run.logPath });
  });

  it("reports running steps while they run", async () => {
    const path = script([
      { kind: "step-start", step: "one" },
      "read -r _",
      { kind: "step-end", step: "one", result: "done" },
    ]);
    const w = start(plan(["one", "two"]), path);
    await until(() => w.statuses.some((s) => states(s).one === "running"));
    expect(w.run.status()).toMatchObject({ state: "running", exitCode: null });
    w.run.terminal.write("\r");
    expect(states(await w.run.finished)).toEqual({
      one: "done",
      two: "pending",
    });
  });

  it("a failing step fails the run; what did not run stays pending", async () => {
    const path = script([
      { kind: "step-start", step: "a" },
      { kind: "step-end", step: "a", result: "done" },
      { kind: "step-start", step: "b" },
      "echo 'error: mkfs.btrfs: /dev/vdb2 is mounted' >&2",
      { kind: "progress", state: 1, percent: 50 },
      { kind: "progress", state: 2, percent: 100 }, // the bar painted red
      { kind: "step-end", step: "b", result: "failed" },
      { kind: "phase-end", phase: "install", result: "failed" },
      "exit 3",
    ]);
    const w = start(plan(["a", "b", "c"]), path);
    const final = await w.run.finished;
    expect(final).toMatchObject({ state: "failed", exitCode: 3, percent: 50 });
    expect(states(final)).toEqual({ a: "done", b: "failed", c: "pending" });
    expect(w.text()).toContain("error: mkfs.btrfs: /dev/vdb2 is mounted");
  });

  it("a script that dies inside a step: that step failed", async () => {
    const path = script([{ kind: "step-start", step: "a" }, "kill -KILL $$"]);
    const final = await start(plan(["a"]), path).run.finished;
    expect(final).toMatchObject({ state: "failed", exitCode: null });
    expect(states(final)).toEqual({ a: "failed" });
  });

  it("steps the plan did not list are added, not dropped", async () => {
    const path = script([
      { kind: "step-start", step: "surprise" },
      { kind: "step-end", step: "surprise", result: "done" },
    ]);
    const final = await start(plan(["a"]), path).run.finished;
    expect(final.steps).toEqual([
      { id: "a", title: "Title of a", state: "pending" },
      { id: "surprise", title: "surprise", state: "done" },
    ]);
  });

  it("cancel kills the script and what it started; the run ends cancelled", async () => {
    const mark = randomUUID();
    const path = script([
      { kind: "step-start", step: "long" },
      "sleep 400 &",
      "setsid bash -c 'sleep 401 &'",
      "echo started",
      "sleep 402",
    ]);
    const w = start(plan(["long", "after"]), path, {
      env: { ...defaultEnv(), MARK: mark },
    });
    await until(() => w.text().includes("started"));
    const pids = withEnv("MARK", mark);
    expect(pids.length).toBeGreaterThanOrEqual(3);
    expect(await runner.cancel(w.run.id)).toEqual({ cancelled: true });
    const final = w.run.status();
    expect(final.state).toBe("cancelled");
    expect(states(final)).toEqual({ long: "failed", after: "pending" });
    expect(w.statuses.at(-1)?.state).toBe("cancelled");
    expect(pids.filter((p) => !isGone(p))).toEqual([]);
    expect(withEnv("MARK", mark)).toEqual([]);
    // cancelling again changes nothing
    expect(await runner.cancel(w.run.id)).toEqual({ cancelled: false });
  });

  it("a phase-end cancelled (the user declined a confirmation) ends the run cancelled", async () => {
    const path = script([
      { kind: "step-start", step: "wipe" },
      { kind: "step-end", step: "wipe", result: "skipped" },
      { kind: "phase-end", phase: "install", result: "cancelled" },
      "exit 1",
    ]);
    expect((await start(plan(["wipe"]), path).run.finished).state).toBe(
      "cancelled",
    );
  });

  it("throttles progress-only updates but never loses the last one", async () => {
    const loop = [
      "for i in $(seq 0 2000); do",
      `  printf '\\033]9;4;1;%d\\007' $((i / 20))`,
      "done",
    ];
    const w = start(plan(["a"]), script([...loop, "sleep 0.3", "exit 1"]));
    const final = await w.run.finished;
    expect(final.percent).toBe(100);
    expect(final.state).toBe("failed"); // exit 1: the percent does not make it a success
    expect(w.statuses.length).toBeGreaterThan(0);
    expect(w.statuses.length).toBeLessThan(60);
  });

  it("refuses a phase the plan lacks and a script that does not exist, with a sentence", () => {
    expect(() =>
      runner.start({
        plan: plan(["a"]),
        phase: "migrate",
        script: script([]),
        cols: 80,
        rows: 24,
      }),
    ).toThrow('the plan has no phase "migrate": choose one of install');
    expect(() =>
      runner.start({
        plan: plan(["a"]),
        phase: "install",
        script: join(work, "nope.sh"),
        cols: 80,
        rows: 24,
      }),
    ).toThrow(
      `the step script ${join(work, "nope.sh")} does not exist: write the plan's files first`,
    );
    mkdirSync(logDir, { recursive: true });
    const logsBefore = readdirSync(logDir).length;
    expect(() =>
      runner.start({
        plan: plan(["a"]),
        phase: "install",
        script: script([]),
        cols: 0,
        rows: 24,
      }),
    ).toThrow("cols must be a whole number from 1 to 1000 (got 0)");
    expect(readdirSync(logDir)).toHaveLength(logsBefore); // no empty log left
    expect(() => runner.status("nope")).toThrow(
      'run "nope" does not exist: start a phase first',
    );
  });

  it("returns the end of a huge log with a line saying where the rest is", async () => {
    const small = new RunnerService(terminals, {
      logDir,
      maxLogTextChars: 1000,
    });
    const run = small.start({
      plan: plan(["a"]),
      phase: "install",
      script: script(["head -c 5000 /dev/zero | tr '\\0' q; echo END"]),
      cols: 80,
      rows: 24,
      flowControl: false,
    });
    await run.finished;
    const { text, path } = small.log(run.id);
    expect(path).toBe(run.logPath);
    expect(text).toMatch(
      /^\[tabula: the log is 5005 bytes; only its last 1000 are shown here, all of it is in .*\]\n/,
    );
    expect(text.endsWith("qqqEND\r\n")).toBe(true);
  });
});

/** A real plan's files, made from an example design the way `tabula plan` makes them. */
function writeExamplePlan(example: "install" | "convert" | "recover"): {
  plan: Plan;
  dir: string;
  script: string;
} {
  const file = resolve(
    import.meta.dirname,
    `../../../../docs/examples/${example}.json`,
  );
  const { design, problems } = validateDesign(
    JSON.parse(readFileSync(file, "utf8")),
  );
  if (!design) throw new Error(`${file}: ${JSON.stringify(problems)}`);
  const result = planStepFiles(design);
  if (!result.ok)
    throw new Error(`${file}: ${JSON.stringify(result.problems)}`);
  const dir = join(work, `plan-${example}-${randomUUID().slice(0, 8)}`);
  mkdirSync(dir);
  for (const f of result.files) writeFileSync(join(dir, f.path), f.content);
  return { plan: result.plan, dir, script: join(dir, "steps.sh") };
}

describeWith(
  ["bash"],
  "runner on a real plan's dry run (generated steps.sh)",
  () => {
    it("install: every step of the plan runs through, in order, and the folder is unchanged", async () => {
      const { plan: p, dir, script: path } = writeExamplePlan("install");
      const before = readdirSync(dir).sort();
      const w = start(p, path, { dryRun: true });
      const final = await w.run.finished;
      expect(final).toMatchObject({
        state: "succeeded",
        exitCode: 0,
        percent: 100,
        build: null,
      });
      const ids = p.phases[0]!.steps.map((s) => s.id);
      expect(final.steps.map((s) => s.id)).toEqual(ids); // no step the plan lacks
      for (const s of final.steps)
        expect(["done", "skipped"]).toContain(s.state);
      expect(w.text()).toContain(
        "Dry run: every command is printed, nothing is changed.",
      );
      expect(w.text()).toContain(`==> [${ids.length}/${ids.length}]`);
      expect(w.text()).not.toContain("\u001b]7707");
      expect(w.text()).not.toContain("\u001b]9;4");
      // the markers are in the full log, and the updates never went backwards
      expect(readFileSync(w.run.logPath, "utf8")).toContain(
        encodeMarker({ kind: "step-start", step: ids[0]! }),
      );
      const order = { pending: 0, running: 1, done: 2, skipped: 2, failed: 2 };
      for (let i = 1; i < w.statuses.length; i++) {
        expect(w.statuses[i]!.percent).toBeGreaterThanOrEqual(
          w.statuses[i - 1]!.percent,
        );
        w.statuses[i]!.steps.forEach((s, j) =>
          expect(order[s.state]).toBeGreaterThanOrEqual(
            order[w.statuses[i - 1]!.steps[j]!.state],
          ),
        );
      }
      expect(readdirSync(dir).sort()).toEqual(before);
      // Each stop the script lists at the end (here: the example's disk is
      // not on this machine, nixos-install is missing) marks its step.
      const listed = w
        .text()
        .slice(w.text().indexOf("The real run would stop:"));
      const named = new Set<string>();
      for (const m of listed.matchAll(/^ {2}- step ([a-z0-9-]+):/gm))
        named.add(m[1]!);
      for (const m of listed.matchAll(/^ {2}- Step (\d+) "/gm))
        named.add(ids[Number(m[1]) - 1]!);
      expect(named.size).toBeGreaterThan(0);
      expect(
        new Set(final.steps.filter((s) => s.wouldStop).map((s) => s.id)),
      ).toEqual(named);
    });

    it("convert and recover: each phase's dry run ends with every step accounted for", async () => {
      for (const example of ["convert", "recover"] as const) {
        const { plan: p, script: path } = writeExamplePlan(example);
        for (const phase of p.phases) {
          const run = runner.start({
            plan: p,
            phase: phase.name,
            script: path,
            dryRun: true,
            cols: 100,
            rows: 30,
            flowControl: false,
          });
          const final = await run.finished;
          expect(final.state, `${example} ${phase.name}`).toBe("succeeded");
          expect(final.steps.map((s) => s.id)).toEqual(
            phase.steps.map((s) => s.id),
          );
          expect(
            final.steps.filter(
              (s) => s.state === "pending" || s.state === "failed",
            ),
          ).toEqual([]);
        }
      }
    });
  },
);

/** The text of the terminal as one line per line, CR LF made LF. */
const lines = (text: string) => text.replaceAll("\r\n", "\n");

describeWith(
  ["bash", "root"],
  "runner: why a real run of a generated steps.sh stopped",
  () => {
    /** A one-phase plan with one step running COMMANDS, as steps.sh. */
    function oneStep(over: Partial<Step>): { plan: Plan; script: string } {
      const p: Plan = {
        ...plan([]),
        phases: [
          {
            name: "install",
            title: "Install",
            where: "livecd",
            steps: [{ ...step("only", "Write the “naïve” $file"), ...over }],
          },
        ],
      };
      const path = join(work, `steps-${randomUUID()}.sh`);
      writeFileSync(path, renderScript(p));
      return { plan: p, script: path };
    }

    it("a refusal by a helper: the sentence the terminal shows, exit 2", async () => {
      const { plan: p, script: path } = writeExamplePlan("convert");
      const empty = mkdtempSync(join(work, "not a root "));
      const run = runner.start({
        plan: p,
        phase: "migrate",
        script: path,
        target: empty,
        cols: 100,
        rows: 30,
        flowControl: false,
      });
      let text = "";
      terminals.on("terminal.data", ({ terminalId, data }) => {
        if (terminalId === run.terminal.id) text += data;
      });
      const final = await run.finished;
      expect(final).toMatchObject({ state: "failed", exitCode: 2 });
      expect(final.why?.reason).toBe("refused");
      expect(final.why!.text.length).toBeGreaterThan(20);
      // Word for word what the terminal said, and the marker itself unseen.
      expect(lines(text)).toContain(`\nRefused: ${final.why!.text}\n`);
      expect(text).not.toContain("\u001b]7707");
      expect(readdirSync(empty)).toEqual([]);
    });

    it("a refusal before the phase began (--target /): said too", async () => {
      const { plan: p, script: path } = writeExamplePlan("convert");
      const run = runner.start({
        plan: p,
        phase: "migrate",
        script: path,
        target: "/",
        cols: 100,
        rows: 30,
        flowControl: false,
      });
      const final = await run.finished;
      expect(final).toMatchObject({ state: "failed", exitCode: 2 });
      expect(final.why).toEqual({
        reason: "refused",
        text: '--target is "/", the running system itself; give the folder where the partition is (or will be) mounted, e.g. /mnt.',
      });
    });

    it("a failed command: the command as it ran, hostile text intact", async () => {
      const command = "printf '%s\\n' \"é ; \\a \\$HOME\" && false # ${x} ;";
      const { plan: p, script: path } = oneStep({ commands: [command] });
      const w = start(p, path);
      const final = await w.run.finished;
      expect(final).toMatchObject({ state: "failed", exitCode: 1 });
      expect(states(final)).toEqual({ only: "failed" });
      expect(final.why).toEqual({
        reason: "failed",
        text: `this command exited with status 1: ${command}`,
      });
      expect(w.text()).not.toContain("\u001b]7707");
    });

    it("a missing tool: named, exit 3", async () => {
      const { plan: p, script: path } = oneStep({
        commands: ["true"],
        requires: ["tabula-no-such-tool"],
      });
      const final = await start(p, path).run.finished;
      expect(final).toMatchObject({ state: "failed", exitCode: 3 });
      expect(final.why).toEqual({
        reason: "missing-tool",
        text: 'Step 1 "Write the “naïve” $file" needs tabula-no-such-tool, which this machine does not have.',
      });
    });

    it("a sentence longer than the marker carries is cut, and the marker stays hidden", async () => {
      const long = "x".repeat(5000);
      const { plan: p, script: path } = oneStep({
        commands: [`tabula_stop ${JSON.stringify(long)}`],
      });
      const w = start(p, path);
      const final = await w.run.finished;
      expect(final).toMatchObject({ state: "failed", exitCode: 1 });
      expect(final.why).toEqual({
        reason: "stopped",
        text: long.slice(0, 1800),
      });
      expect(w.text()).not.toContain("7707;tabula");
      expect(lines(w.text())).toContain(`Stopped: ${long}\n`);
    });

    it("a success and a cancel say no why", async () => {
      const ok = oneStep({ commands: ["true"] });
      expect((await start(ok.plan, ok.script).run.finished).why).toBeNull();
      const slow = oneStep({ commands: ["sleep 30"] });
      const w = start(slow.plan, slow.script);
      await new Promise<void>((done) => {
        const off = runner.on("run.status", (s) => {
          if (s.runId === w.run.id && s.steps[0]?.state === "running") {
            off();
            done();
          }
        });
      });
      const final = await w.run.cancel();
      expect(final).toMatchObject({ state: "cancelled", why: null });
    });
  },
);

/** A private Nix store per test, and a step script that builds into it. */
function nixScript(which: "success" | "failure"): {
  path: string;
  store: string;
} {
  const store = join(work, `nix-${randomUUID().slice(0, 8)}`);
  const nixFile = resolve(
    import.meta.dirname,
    "../../../fixtures/nix-logs/builds.nix",
  );
  const build = [
    "nix build --extra-experimental-features nix-command",
    `-f '${nixFile}' --argstr which ${which}`,
    "--log-format internal-json -v --option substituters '' --no-link --max-jobs 2",
    // Debian's nix-bin creates no nixbld group (nix-setup-systemd would), and
    // the builds.nix builder is the host's /bin/sh: build as root, unsandboxed.
    "--option build-users-group '' --option sandbox false",
    `--store 'local?store=${store}/store&state=${store}/state&log=${store}/log'`,
  ].join(" ");
  const path = script([
    { kind: "phase-start", phase: "install", steps: 2 },
    { kind: "step-start", step: "build-system" },
    "echo '+ nix build ...'",
    `if ${build}; then`,
    print({ kind: "step-end", step: "build-system", result: "done" }),
    "else",
    "  rc=$?",
    print({ kind: "step-end", step: "build-system", result: "failed" }),
    print({ kind: "phase-end", phase: "install", result: "failed" }),
    "  exit $rc",
    "fi",
    print({ kind: "phase-end", phase: "install", result: "ok" }),
  ]);
  return { path, store };
}

describeWith(
  ["bash", "nix"],
  "runner with real Nix builds (nix-bin, private store)",
  () => {
    it("a multi-derivation build: progress to the end, running names, log lines shown, JSON hidden but logged", async () => {
      const { path } = nixScript("success");
      const w = start(plan(["build-system", "install-bootloader"]), path);
      const final = await w.run.finished;
      expect(final.state, w.text()).toBe("succeeded");
      expect(states(final)).toEqual({
        "build-system": "done",
        "install-bootloader": "pending",
      });
      expect(final.build).toMatchObject({
        buildsDone: 4,
        buildsExpected: 4,
        buildsFailed: 0,
        running: [],
      });
      const running = new Set(
        w.statuses.flatMap((s) => s.build?.running ?? []),
      );
      expect(running.size).toBeGreaterThanOrEqual(2);
      for (const name of running)
        expect([
          "tabula-left-1.0",
          "tabula-right-2.0",
          "tabula-payload",
          "tabula-top",
        ]).toContain(name);
      // some update showed the build half-way
      expect(
        w.statuses.some(
          (s) => s.build && s.build.buildsDone < s.build.buildsExpected,
        ),
      ).toBe(true);
      expect(w.text()).toContain("tabula-left-1.0> unpacking left\r\n");
      expect(w.text()).toContain("tabula-right-2.0> building right\r\n");
      expect(w.text()).not.toContain("@nix");
      const log = readFileSync(w.run.logPath, "utf8");
      expect(log).toMatch(/^@nix \{"action":"start".*"type":105\}\r$/m);
      expect(log).toContain('"fields":["unpacking left"]');
    });

    it("a failing build: failed count, Nix's error visible, step and run failed", async () => {
      const { path } = nixScript("failure");
      const w = start(plan(["build-system"]), path);
      const final = await w.run.finished;
      expect(final).toMatchObject({ state: "failed", exitCode: 1 });
      expect(states(final)).toEqual({ "build-system": "failed" });
      expect(final.build?.buildsFailed).toBe(1);
      expect(w.text()).toContain(
        "tabula-broken> error: test suite failed: 2 of 7 tests",
      );
      expect(w.text()).toMatch(
        /error:.*builder for '.*tabula-broken\.drv.*' failed with exit code 3/,
      );
      expect(w.text()).not.toContain("@nix");
    });
  },
);

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

function withEnv(name: string, value: string): number[] {
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
