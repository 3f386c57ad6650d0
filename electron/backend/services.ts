// The backend behind both transports: every API method bound to the service
// that does it. A method whose service is not part of this build answers
// with a sentence saying so; nothing is ever faked.
import { readFileSync } from "node:fs";
import type { ApiHandlers, ApiMethod, Hello } from "../../shared/api/contract";
import { validateDesign } from "../../shared/design/validate";
import { createEventBus, type EventBus } from "./events";
import type { FilesService } from "./files";
import { probeMachine } from "./probe";

export type MachineMode = "sandbox" | "real";

export interface BackendOptions {
  version: string;
  machine: MachineMode;
  files: FilesService;
}

/** What a transport knows about the client a message came from. */
export interface ClientContext {
  transport: Hello["transport"];
  /** Remote mode lets one client control the backend at a time. */
  controlling: () => boolean;
}

export interface Backend {
  machine: MachineMode;
  workspace: string;
  events: EventBus;
  handlersFor(client: ClientContext): ApiHandlers;
  /** Stops everything the backend started (terminals, runs). */
  close(): Promise<void>;
}

export function notAvailable(method: ApiMethod, service: string): Error {
  return new Error(
    `"${method}" is not available yet: ${service} is not part of this build of Tabula.`,
  );
}

export function createBackend(options: BackendOptions): Backend {
  const { files } = options;
  const events = createEventBus();

  const missing =
    (method: ApiMethod, service: string) => async (): Promise<never> => {
      throw notAvailable(method, service);
    };

  function handlersFor(client: ClientContext): ApiHandlers {
    return {
      hello: async () => ({
        version: options.version,
        machine: options.machine,
        transport: client.transport,
        controlling: client.controlling(),
      }),
      // The sandbox's pretend machine comes with the sandbox service.
      probe:
        options.machine === "real"
          ? () => probeMachine()
          : missing("probe", "the sandbox machine"),
      validate: async ({ design }) => ({
        problems: validateDesign(design).problems,
      }),
      plan: missing("plan", "the plan generator"),
      scan: missing("scan", "the state scanner"),
      listDir: missing("listDir", "the folder browser"),
      listDesigns: () => files.listDesigns(),
      openDesign: ({ name }) => files.openDesign(name),
      saveDesign: ({ name, design }) => files.saveDesign(name, design),
      // Writing a plan needs the plan generator to produce its files.
      writePlan: missing("writePlan", "the plan generator"),
      runPhase: missing("runPhase", "the step runner"),
      cancelRun: missing("cancelRun", "the step runner"),
      runStatus: missing("runStatus", "the step runner"),
      runLog: missing("runLog", "the step runner"),
      openShell: missing("openShell", "the terminal service"),
      terminalInput: missing("terminalInput", "the terminal service"),
      terminalResize: missing("terminalResize", "the terminal service"),
      terminalAck: missing("terminalAck", "the terminal service"),
      terminalKill: missing("terminalKill", "the terminal service"),
    };
  }

  return {
    machine: options.machine,
    workspace: files.workspace,
    events,
    handlersFor,
    close: async () => {},
  };
}

/**
 * Sandbox unless this is NixOS (a LiveCD or an installed system), where the
 * real machine is the point. `--sandbox`/`--real` override it.
 */
export function defaultMachineMode(
  osRelease: () => string = () => readFileSync("/etc/os-release", "utf8"),
): MachineMode {
  let text: string;
  try {
    text = osRelease();
  } catch {
    return "sandbox";
  }
  const id = /^ID="?([^"\n]*)"?$/m.exec(text)?.[1];
  return id === "nixos" ? "real" : "sandbox";
}
