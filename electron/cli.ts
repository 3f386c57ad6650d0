// The `tabula` command line. Each verb is a function of its arguments and an
// output sink, so tests call it in-process; bin/tabula.mjs is the launcher.
// The version is imported, not read beside this file at run time, so the
// bundled CLI of packaged apps (out/main/cli.js) knows it too.
import { version } from "../package.json";
import { serveCommand } from "./cli/serve";
import { scanCommand } from "./cli/scan";
import { validateCommand } from "./cli/validate";
import { planCommand } from "./cli/plan";

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

export interface Command {
  summary: string;
  usage: string;
  run: (args: string[], io: CliIO) => Promise<number>;
}

export const VERSION = version;

/** Verbs are registered here; later verbs (validate, plan, scan, serve) add themselves. */
export const commands: Record<string, Command> = {};
commands.serve = serveCommand;
commands.scan = scanCommand;
commands.validate = validateCommand;
commands.plan = planCommand;

function help(): string {
  const verbs = Object.entries(commands)
    .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
    .join("\n");
  return [
    `tabula ${VERSION}: install, convert and repair stateless NixOS`,
    "",
    "Usage: tabula <command> [options]",
    "",
    "Commands:",
    verbs || "  (none yet)",
    "",
    "Options:",
    "  -h, --help     show this help (or a command's: tabula <command> --help)",
    "  -V, --version  print the version",
    "",
  ].join("\n");
}

export async function main(
  argv: string[],
  io: CliIO = stdio(),
): Promise<number> {
  const [verb, ...rest] = argv;
  if (
    verb === undefined ||
    verb === "-h" ||
    verb === "--help" ||
    verb === "help"
  ) {
    io.out(help());
    return verb === undefined ? 2 : 0;
  }
  if (verb === "-V" || verb === "--version") {
    io.out(`${VERSION}\n`);
    return 0;
  }
  const command = commands[verb];
  if (!command) {
    io.err(
      `tabula: unknown command "${verb}". Run "tabula --help" to see the commands.\n`,
    );
    return 2;
  }
  if (rest.includes("-h") || rest.includes("--help")) {
    io.out(`${command.usage}\n`);
    return 0;
  }
  return command.run(rest, io);
}

let pipesGuarded = false;

/**
 * A reader that closes the pipe early (`tabula scan --root / | head`) is not
 * an error: stop quietly, as Unix tools do, instead of crashing on EPIPE.
 */
function guardPipes(): void {
  if (pipesGuarded) return;
  pipesGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
      process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
    });
  }
}

export function stdio(): CliIO {
  guardPipes();
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  };
}
