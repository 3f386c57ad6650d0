// Entry of the bundled CLI, out/main/cli.js. Packaged apps have neither tsx
// nor the TypeScript sources: the Nix package runs this file with Node, the
// electron-builder package with its own Electron in ELECTRON_RUN_AS_NODE mode
// (docs/packaging.md). In a checkout, bin/tabula.mjs runs cli.ts through tsx.
import { main } from "./cli";

process.exitCode = await main(process.argv.slice(2));
