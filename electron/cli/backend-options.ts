// Options shared by everything that starts the backend (`tabula serve`, the
// Electron app): which machine to act on and where designs are kept.
import { defaultWorkspace, openWorkspace } from "../backend/files";
import {
  decideMachineMode,
  SANDBOX_SCENARIOS,
  takeMachineFlag,
  type MachineMode,
  type SandboxScenario,
} from "../backend/sandbox";
import {
  createBackend,
  defaultStateDir,
  type Backend,
} from "../backend/services";

export interface BackendChoice {
  /** null: decided from /etc/os-release (decideMachineMode). */
  machine: MachineMode | null;
  /** What the sandbox machine is doing (sandbox only); default "livecd". */
  scenario: SandboxScenario | null;
  /** null: the default workspace, created when missing. */
  workspace: string | null;
}

export const BACKEND_USAGE = [
  "  --sandbox          act on a built-in pretend machine; nothing real is touched",
  "                     (the default outside NixOS)",
  "  --real             act on this machine (the default on NixOS)",
  `  --scenario S       what the sandbox machine is doing: ${SANDBOX_SCENARIOS.join(", ")}`,
  "                     (default livecd; see docs/probe-and-sandbox.md)",
  "  --workspace DIR    where designs and plans are read and written",
  `                     (default ${defaultWorkspace()}, created when missing)`,
].join("\n");

/** The value of `--name VALUE` or `--name=VALUE` at args[i], and how many args it took. */
function valueOf(
  args: string[],
  i: number,
  name: string,
): { value: string | undefined; used: number } | null {
  const arg = args[i]!;
  if (arg === name) return { value: args[i + 1], used: 2 };
  if (arg.startsWith(`${name}=`))
    return { value: arg.slice(name.length + 1), used: 1 };
  return null;
}

/**
 * Take the backend's options out of `args`; the rest is returned for the
 * caller. Throws a sentence for a bad or conflicting option.
 */
export function takeBackendOptions(args: string[]): {
  choice: BackendChoice;
  rest: string[];
} {
  const { force, rest: others } = takeMachineFlag(args);
  const choice: BackendChoice = {
    machine: force,
    scenario: null,
    workspace: null,
  };
  const rest: string[] = [];
  for (let i = 0; i < others.length;) {
    const workspace = valueOf(others, i, "--workspace");
    const scenario = valueOf(others, i, "--scenario");
    if (workspace) {
      if (!workspace.value)
        throw new Error(
          "--workspace needs a folder, e.g. --workspace ~/tabula.",
        );
      choice.workspace = workspace.value;
      i += workspace.used;
    } else if (scenario) {
      const value = scenario.value as SandboxScenario | undefined;
      if (!value || !SANDBOX_SCENARIOS.includes(value))
        throw new Error(
          `--scenario must be one of ${SANDBOX_SCENARIOS.join(", ")}, not "${scenario.value ?? ""}".`,
        );
      choice.scenario = value;
      i += scenario.used;
    } else {
      rest.push(others[i]!);
      i += 1;
    }
  }
  if (choice.scenario && choice.machine === "real")
    throw new Error(
      "--scenario describes the sandbox machine; it cannot go with --real.",
    );
  return { choice, rest };
}

export async function openBackend(
  choice: BackendChoice,
  version: string,
): Promise<Backend> {
  const files = await openWorkspace(choice.workspace ?? defaultWorkspace(), {
    create: choice.workspace === null,
  });
  const machine = decideMachineMode(choice.machine).mode;
  if (choice.scenario && machine === "real")
    throw new Error(
      "--scenario describes the sandbox machine, but this is NixOS, where Tabula acts on the real machine; add --sandbox.",
    );
  return createBackend({
    version,
    machine,
    files,
    stateDir: defaultStateDir(),
    scenario: choice.scenario ?? "livecd",
  });
}
