// ESLint rule enforcing the layer rules of the architecture (see
// docs/architecture.md). Layers are decided by where a file lives; an import
// is judged by where it resolves to (relative imports) or by its package name.
//
//   shared/    imports only shared/ (no packages, no node:, no electron)
//   renderer/  shared/, renderer/ and front-end packages; no Node built-in,
//              no electron, nothing from electron/
//   electron/  shared/ and electron/; never renderer/; only the Electron
//              adapter files import `electron`, and electron/backend/ never does
//   test/, bench/, build/: unrestricted (they exercise every layer)
import { builtinModules } from "node:module";
import path from "node:path";

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Adapter files: the only ones allowed to import `electron`. */
export const ADAPTER_FILES = [
  /^electron\/main\.ts$/,
  /^electron\/preload\.ts$/,
  /^electron\/electron-[^/]+\.ts$/,
];

function layerOf(rel) {
  const top = rel.split("/")[0];
  if (top === "shared" || top === "renderer" || top === "electron") return top;
  return null;
}

function isBuiltin(source) {
  return (
    source.startsWith("node:") ||
    builtins.has(source) ||
    builtins.has(source.split("/")[0])
  );
}

function packageName(source) {
  const parts = source.split("/");
  return source.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** @type {import('eslint').Rule.RuleModule} */
export const layersRule = {
  meta: {
    type: "problem",
    docs: { description: "Enforce the shared/renderer/electron layer rules" },
    schema: [],
    messages: {
      sharedOutside:
        "shared/ must import nothing outside shared/: '{{source}}' is {{what}}. Move the code into shared/ or do this in electron/ or renderer/.",
      rendererNode:
        "renderer/ must not import the Node built-in '{{source}}': ask the backend through the API in shared/api.",
      rendererElectron:
        "renderer/ must not import '{{source}}': talk to the backend through the API in shared/api.",
      electronRenderer:
        "electron/ must not import renderer code ('{{source}}'); share it through shared/.",
      electronImport:
        "Only the Electron adapter (electron/main.ts, electron/preload.ts, electron/electron-*.ts) may import 'electron'; keep this file plain Node.",
    },
  },
  create(context) {
    const root = context.cwd;
    const file = path
      .relative(root, context.filename)
      .split(path.sep)
      .join("/");
    const layer = layerOf(file);
    if (!layer) return {};
    const adapter = ADAPTER_FILES.some((re) => re.test(file));

    function check(node, source) {
      if (typeof source !== "string") return;
      const relative = source.startsWith(".") || source.startsWith("/");
      let targetLayer = null;
      let target = null;
      if (relative) {
        const abs = path.resolve(path.dirname(context.filename), source);
        target = path.relative(root, abs).split(path.sep).join("/");
        targetLayer = target.startsWith("..")
          ? "outside"
          : (layerOf(target) ?? "outside");
      }
      const report = (messageId, what) =>
        context.report({ node, messageId, data: { source, what: what ?? "" } });

      if (layer === "shared") {
        if (relative && targetLayer !== "shared")
          return report("sharedOutside", `outside shared/ (${target})`);
        if (!relative)
          return report(
            "sharedOutside",
            isBuiltin(source)
              ? "a Node built-in"
              : `the package '${packageName(source)}'`,
          );
        return;
      }
      if (layer === "renderer") {
        if (!relative && isBuiltin(source)) return report("rendererNode");
        if (!relative && packageName(source) === "electron")
          return report("rendererElectron");
        if (relative && targetLayer !== "renderer" && targetLayer !== "shared")
          return report("rendererElectron");
        return;
      }
      // electron/
      if (relative && targetLayer === "renderer")
        return report("electronRenderer");
      if (!relative && packageName(source) === "electron" && !adapter)
        return report("electronImport");
    }

    const fromSource = (node) => check(node.source ?? node, node.source?.value);
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: (node) => node.source && fromSource(node),
      ExportAllDeclaration: fromSource,
      ImportExpression: (node) =>
        node.source.type === "Literal" && check(node.source, node.source.value),
      TSImportType: (node) => {
        const lit = node.argument?.literal ?? node.argument;
        if (lit?.type === "Literal") check(lit, lit.value);
      },
      CallExpression: (node) => {
        if (
          node.callee.type === "Identifier" &&
          node.callee.name === "require" &&
          node.arguments[0]?.type === "Literal"
        )
          check(node.arguments[0], node.arguments[0].value);
      },
    };
  },
};

export default { rules: { layers: layersRule } };
