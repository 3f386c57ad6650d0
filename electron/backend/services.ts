// The backend behind both transports: every API method bound to the service
// that does it, on the real machine or on the sandbox's pretend one.
import path from "node:path";
import type { ApiHandlers, Hello, RunMode } from "../../shared/api/contract";
import type { PhaseName } from "../../shared/plan/types";
import { validateDesign } from "../../shared/design/validate";
import { createEventBus, type EventBus } from "./events";
import { openWorkspace, type FilesService } from "./files";
import { keptPaths } from "./kept-paths";
import { listDir } from "./list-dir";
import { noPlanSentence, planPreview } from "./plan-preview";
import { probeMachine, readBlockLayout, type ProbeOptions } from "./probe";
import { listQuarantineInSandbox, listQuarantineOnMachine } from "./quarantine";
import { RunnerService } from "./runner";
import {
  createSandbox,
  sandboxRun,
  type MachineMode,
  type Sandbox,
  type SandboxScenario,
} from "./sandbox";
import { ScanError, scanRootAsync } from "./scan";
import { TerminalService } from "./terminal";

export type { MachineMode } from "./sandbox";

export interface BackendOptions {
  version: string;
  machine: MachineMode;
  files: FilesService;
  /** Tabula's own folder: run logs, and the plan folders runs execute from. */
  stateDir: string;
  /**
   * The pretend machine (sandbox mode). When absent in sandbox mode, a fresh
   * one is made for `scenario` and thrown away on close.
   */
  sandbox?: Sandbox;
  scenario?: SandboxScenario;
  /** For tests: a terminal service with other settings. */
  terminals?: TerminalService;
  /** For tests: what the real machine's probe (and quarantine browser) look at. */
  probe?: ProbeOptions;
  /** For tests: whether the backend runs as root (default: this process's uid). */
  isRoot?: boolean;
}

/** What a transport knows about the client a message came from. */
export interface ClientContext {
  transport: Hello["transport"];
  /** Remote mode lets one client control the backend at a time. */
  controlling: () => boolean;
}

export interface Backend {
  machine: MachineMode;
  /** The pretend machine in sandbox mode, null on the real machine. */
  sandbox: Sandbox | null;
  workspace: string;
  events: EventBus;
  handlersFor(client: ClientContext): ApiHandlers;
  /** Stops everything the backend started: runs cancelled, terminals killed. */
  close(): Promise<void>;
  /** Last resort in a process "exit" handler: SIGKILL to every terminal. */
  killAllNow(): void;
}

/** Where Tabula keeps its own state (logs, run folders). */
export function defaultStateDir(env = process.env): string {
  const base =
    env.XDG_STATE_HOME || path.join(env.HOME || "/root", ".local", "state");
  return path.join(base, "tabula");
}

export function createBackend(options: BackendOptions): Backend {
  const { files, machine } = options;
  const ownSandbox = machine === "sandbox" && !options.sandbox;
  const sandbox =
    machine === "sandbox"
      ? (options.sandbox ?? createSandbox({ scenario: options.scenario }))
      : null;
  const events = createEventBus();
  const terminals = options.terminals ?? new TerminalService();
  const runner = new RunnerService(terminals, {
    logDir: path.join(options.stateDir, "logs"),
  });
  terminals.on("terminal.data", (p) => events.emit("terminal.data", p));
  terminals.on("terminal.exit", (p) => events.emit("terminal.exit", p));
  runner.on("run.status", (s) => events.emit("run.status", s));
  // The machine's own /etc/nixos is read for a conversion's flake.patch: the
  // real one, or the one inside the sandbox's pretend root partition.
  const configRoot = sandbox ? sandbox.scanRoot : "/";
  const isRoot = options.isRoot ?? process.getuid?.() === 0;

  /**
   * What a run of `phase` really does: what was asked on the real machine;
   * on the sandbox what sandboxRun allows. A dry run asked for stays dry.
   * runMode and runPhase both answer from here, so the Review screen says
   * what the Run screen then does.
   */
  function howItRuns(phase: PhaseName, dryRun: boolean) {
    const how = sandbox ? sandboxRun(phase, sandbox) : null;
    const mode: RunMode = { dryRun: dryRun || (how?.dryRun ?? false) };
    if (how)
      mode.note =
        dryRun && !how.dryRun
          ? "A dry run, as asked: every command is printed and nothing is changed, not even in the sandbox's folder."
          : how.explanation;
    return { how, mode };
  }

  /** The plan folder a run executes from: the plan's files, written afresh. */
  async function runFolder(
    planId: string,
    preview: Awaited<ReturnType<typeof planPreview>>,
  ) {
    const runs = await openWorkspace(path.join(options.stateDir, "plans"), {
      create: true,
    });
    return (await runs.writePlan(planId, preview.files)).dir;
  }

  function handlersFor(client: ClientContext): ApiHandlers {
    return {
      hello: async () => ({
        version: options.version,
        machine,
        transport: client.transport,
        controlling: client.controlling(),
      }),
      probe: async () =>
        sandbox ? sandbox.facts() : probeMachine(options.probe),
      validate: async ({ design }) => ({
        problems: validateDesign(design).problems,
      }),
      plan: ({ design }) => planPreview(design, configRoot),
      scan: async ({ root, design }) => {
        try {
          return await scanRootAsync({
            // The sandbox's live system is its pretend root partition.
            root: root ?? sandbox?.scanRoot ?? "/",
            persisted: design === undefined ? [] : keptPaths(design),
          });
        } catch (error) {
          if (error instanceof ScanError) throw new Error(error.message);
          throw error;
        }
      },
      listDir: ({ root, path: rel }) => listDir(root, rel),
      listQuarantine: (args) =>
        sandbox
          ? listQuarantineInSandbox(
              args,
              sandbox.facts(),
              sandbox.partitionFolders,
            )
          : listQuarantineOnMachine(args, {
              layout: () => readBlockLayout(options.probe),
              isRoot,
            }),
      listDesigns: () => files.listDesigns(),
      openDesign: ({ name }) => files.openDesign(name),
      saveDesign: ({ name, design }) => files.saveDesign(name, design),
      writePlan: async ({ name, design }) => {
        const preview = await planPreview(design, configRoot);
        if (!preview.plan) throw new Error(noPlanSentence(preview));
        return files.writePlan(name, preview.files);
      },
      runPhase: async ({ design, phase, dryRun, cols, rows }) => {
        const preview = await planPreview(design, configRoot);
        if (!preview.plan) throw new Error(noPlanSentence(preview));
        const plan = preview.plan;
        if (!plan.phases.some((p) => p.name === phase))
          throw new Error(
            `A ${plan.mode} plan has no phase "${phase}"; its phases are ${plan.phases.map((p) => p.name).join(", ")}.`,
          );
        // On the pretend machine the sandbox decides what may run for real
        // (docs/probe-and-sandbox.md); a dry run asked for stays dry.
        const { how, mode } = howItRuns(phase, dryRun);
        const dir = await runFolder(plan.planId, preview);
        const run = runner.start({
          plan,
          phase,
          script: path.join(dir, "steps.sh"),
          cwd: dir,
          dryRun: mode.dryRun,
          target: targetOf(how?.args ?? []),
          force: how?.args.includes("--force") ?? false,
          cols,
          rows,
        });
        return { runId: run.id, terminalId: run.terminal.id, ...mode };
      },
      runMode: async ({ phase, dryRun }) => howItRuns(phase, dryRun).mode,
      cancelRun: ({ runId }) => runner.cancel(runId),
      runStatus: async ({ runId }) => runner.status(runId),
      runLog: async ({ runId }) => runner.log(runId),
      openShell: async ({ cols, rows }) => ({
        terminalId: terminals.openShell({ cols, rows }).id,
      }),
      terminalInput: async ({ terminalId, data }) => {
        terminals.input(terminalId, data);
        return null;
      },
      terminalResize: async ({ terminalId, cols, rows }) => {
        terminals.resize(terminalId, cols, rows);
        return null;
      },
      terminalAck: async ({ terminalId, chars }) => {
        terminals.ack(terminalId, chars);
        return null;
      },
      terminalKill: async ({ terminalId }) => {
        await terminals.kill(terminalId);
        return null;
      },
    };
  }

  return {
    machine,
    sandbox,
    workspace: files.workspace,
    events,
    handlersFor,
    close: async () => {
      await runner.shutdown();
      await terminals.shutdown();
      if (ownSandbox) sandbox?.dispose();
    },
    killAllNow: () => terminals.killAllNow(),
  };
}

/** The value after --target in a sandbox run's arguments. */
function targetOf(args: string[]): string | undefined {
  const i = args.indexOf("--target");
  return i >= 0 ? args[i + 1] : undefined;
}
