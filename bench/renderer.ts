// Renderer benchmark: the JS shipped to the renderer (gzip) and the time to
// first render in Chromium, side by side with an empty Vite + Vue app built
// the same way (Vite, @vitejs/plugin-vue, minified), generated here at run
// time. Goal: Tabula's first render within 2x the empty app's.
//
//   npx tsx bench/renderer.ts [--runs N]
//
// Both apps are served by the same static server and loaded alternately, each
// load in a fresh browser context (cold cache). "First render" is the moment
// the app's root element first gets content (a MutationObserver installed
// before any script runs), measured from navigation start; first contentful
// paint is reported beside it. Tabula is served without a backend: its first
// render (the Start screen, "Looking at this machine…") must not wait for one.
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { extname, join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";

const root = resolve(import.meta.dirname, "..");
const tmp = join(root, "bench/.tmp/renderer");
const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 31;

function sh(cmd: string, args: string[], cwd = root): void {
  try {
    execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stderr?: Buffer };
    process.stderr.write(err.stderr ?? "");
    throw e;
  }
}

/** An empty Vite + Vue app: one component with one heading. */
function buildEmptyApp(): string {
  const src = join(tmp, "empty-src");
  const out = join(tmp, "empty-out");
  rmSync(src, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  writeFileSync(
    join(src, "index.html"),
    `<!doctype html><html lang="en"><head><meta charset="UTF-8" /><title>Empty</title></head>
<body><div id="app"></div><script type="module" src="./main.ts"></script></body></html>\n`,
  );
  writeFileSync(
    join(src, "main.ts"),
    `import { createApp } from "vue";\nimport App from "./App.vue";\ncreateApp(App).mount("#app");\n`,
  );
  writeFileSync(join(src, "App.vue"), `<template><h1>Hello</h1></template>\n`);
  writeFileSync(
    join(src, "vite.config.mjs"),
    `import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";
export default defineConfig({
  root: ${JSON.stringify(src)},
  plugins: [vue()],
  logLevel: "warn",
  // As electron-vite builds Tabula's renderer: relative base, minified.
  base: "./",
  build: { outDir: ${JSON.stringify(out)}, emptyOutDir: true, minify: true },
});\n`,
  );
  sh("npx", ["vite", "build", "--config", join(src, "vite.config.mjs")]);
  return out;
}

function buildTabula(): string {
  sh("npx", [
    "electron-vite",
    "build",
    "--config",
    "build/electron.vite.config.ts",
    "--logLevel",
    "warn",
  ]);
  return join(root, "out/renderer");
}

/** JS files the page loads before first render (the entry and its static imports), and all JS. */
function jsSizes(dir: string): {
  initialGzip: number;
  initialRaw: number;
  allGzip: number;
  files: number;
} {
  const html = readFileSync(join(dir, "index.html"), "utf8");
  const initial = new Set<string>();
  for (const m of html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+\.js)"/g))
    initial.add(m[1]!);
  // Follow static imports of the entry (Vite puts shared chunks there).
  const queue = [...initial];
  while (queue.length) {
    const file = queue.pop()!;
    const text = readFileSync(join(dir, file), "utf8");
    for (const m of text.matchAll(
      /(?:import|from)\s*["']\.\/([^"']+\.js)["']/g,
    )) {
      const dep = `assets/${m[1]}`;
      if (!initial.has(dep)) {
        initial.add(dep);
        queue.push(dep);
      }
    }
  }
  const all = readdirSync(join(dir, "assets")).filter((f) => f.endsWith(".js"));
  const gz = (f: string) =>
    gzipSync(readFileSync(join(dir, f)), { level: 9 }).length;
  return {
    initialGzip: [...initial].reduce((n, f) => n + gz(f), 0),
    initialRaw: [...initial].reduce(
      (n, f) => n + statSync(join(dir, f)).size,
      0,
    ),
    allGzip: all.reduce((n, f) => n + gz(`assets/${f}`), 0),
    files: all.length,
  };
}

const TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
  ".svg": "image/svg+xml",
};

function serve(
  dirs: Record<string, string>,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const [, app, ...rest] = url.pathname.split("/");
    const dir = dirs[app ?? ""];
    let file = dir ? join(dir, ...rest) : "";
    if (dir && (!existsSync(file) || statSync(file).isDirectory()))
      file = join(dir, "index.html");
    if (!dir || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": "no-store",
    });
    res.end(readFileSync(file));
  });
  return new Promise((ok) =>
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      ok({ server, port: typeof a === "object" && a ? a.port : 0 });
    }),
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function main() {
  mkdirSync(tmp, { recursive: true });
  const emptyOut = buildEmptyApp();
  const tabulaBuilt = buildTabula();
  // Both builds use relative asset URLs, so each can be served under its own prefix.
  const tabulaOut = tabulaBuilt;

  const sizes = { empty: jsSizes(emptyOut), tabula: jsSizes(tabulaOut) };
  const { server, port } = await serve({ empty: emptyOut, tabula: tabulaOut });
  const browser = await chromium.launch({
    executablePath: process.env.TABULA_CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  // Each round loads both apps back to back: their ratio is taken under the
  // same machine load, and the median of those ratios is the headline.
  const pairRatios: number[] = [];
  const times: Record<"empty" | "tabula", { render: number[]; fcp: number[] }> =
    {
      empty: { render: [], fcp: [] },
      tabula: { render: [], fcp: [] },
    };
  try {
    for (let i = 0; i < RUNS + 1; i++) {
      const order: ("empty" | "tabula")[] =
        i % 2 ? ["tabula", "empty"] : ["empty", "tabula"];
      for (const app of order) {
        const context = await browser.newContext({
          viewport: { width: 1280, height: 800 },
        });
        const page = await context.newPage();
        await page.addInitScript(() => {
          const w = window as unknown as { __firstRender?: number };
          new MutationObserver((_m, observer) => {
            const el = document.getElementById("app");
            if (el && el.firstElementChild && w.__firstRender === undefined) {
              w.__firstRender = performance.now();
              observer.disconnect();
            }
          }).observe(document, { childList: true, subtree: true });
        });
        await page.goto(`http://127.0.0.1:${port}/${app}/`, {
          waitUntil: "load",
        });
        await page.waitForFunction(
          () =>
            (window as unknown as { __firstRender?: number }).__firstRender !==
            undefined,
        );
        await page.waitForTimeout(50);
        const r = await page.evaluate(() => ({
          render: (window as unknown as { __firstRender: number })
            .__firstRender,
          fcp:
            performance.getEntriesByName("first-contentful-paint")[0]
              ?.startTime ?? NaN,
        }));
        // The first round warms the server and the disk cache: not counted.
        if (i > 0) {
          times[app].render.push(r.render);
          times[app].fcp.push(r.fcp);
        }
        await context.close();
      }
      if (i > 0)
        pairRatios.push(
          times.tabula.render[times.tabula.render.length - 1]! /
            times.empty.render[times.empty.render.length - 1]!,
        );
    }
  } finally {
    await browser.close();
    server.close();
  }

  const result = {
    runs: RUNS,
    js: sizes,
    firstRenderMs: {
      empty: median(times.empty.render),
      tabula: median(times.tabula.render),
    },
    fcpMs: { empty: median(times.empty.fcp), tabula: median(times.tabula.fcp) },
  };
  const ratio = median(pairRatios);
  writeFileSync(
    join(tmp, "result.json"),
    `${JSON.stringify({ ...result, ratio }, null, 2)}\n`,
  );
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`| | empty Vite + Vue app | Tabula | ratio |
| --- | --- | --- | --- |
| JS before first render (gzip) | ${kb(sizes.empty.initialGzip)} | ${kb(sizes.tabula.initialGzip)} | ${(sizes.tabula.initialGzip / sizes.empty.initialGzip).toFixed(2)} |
| all JS shipped (gzip, incl. lazy screens) | ${kb(sizes.empty.allGzip)} | ${kb(sizes.tabula.allGzip)} | ${(sizes.tabula.allGzip / sizes.empty.allGzip).toFixed(2)} |
| first render, median of ${RUNS} (ms) | ${result.firstRenderMs.empty.toFixed(1)} | ${result.firstRenderMs.tabula.toFixed(1)} | ${(result.firstRenderMs.tabula / result.firstRenderMs.empty).toFixed(2)} |
| first render, median of the ${RUNS} side-by-side ratios | | | **${ratio.toFixed(2)}** |
| first contentful paint, median (ms) | ${result.fcpMs.empty.toFixed(1)} | ${result.fcpMs.tabula.toFixed(1)} | ${(result.fcpMs.tabula / result.fcpMs.empty).toFixed(2)} |`);
  console.log(
    `\nGoal: first render <= 2x the empty app's: ${ratio <= 2 ? "met" : "NOT met"} (${ratio.toFixed(2)}x).`,
  );
}

await main();
