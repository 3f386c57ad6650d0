// The three flows, as a new user walks them, in Debian's Chromium against the
// real `tabula serve --sandbox` (started here for each flow on a free port
// with a temp workspace, in the sandbox scenario the flow needs: the LiveCD to
// install and migrate, the installed NixOS to convert, the stateless system
// to recover from the live root, the LiveCD beside a converted install to
// recover from its old-root/; never a mock server): each goes to the Run
// screen and runs the sandbox plan to the end; the Review screen must say
// beforehand what really runs (a dry run, or migrate for real on the
// sandbox's folder when root), the step list and the progress bar must reach
// done and 100%, and the summary must match, with no console error. Screenshots
// of every screen land in test/.tmp/screenshots (the good ones are copied to
// docs/screenshots/ by hand).
import { spawn, type ChildProcess } from "node:child_process";
import {
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { chromiumPath, describeWith } from "../support/needs";

const root = path.resolve(import.meta.dirname, "../..");
const shots = path.join(root, "test/.tmp/screenshots");
type Scenario = "livecd" | "installed" | "stateless" | "livecd-converted";
/** The sandbox runs migrate for real only as root (docs/probe-and-sandbox.md). */
const isRoot = process.getuid?.() === 0;
const DRY = "Dry run finished: nothing was changed";

describeWith(
  ["chromium", "build"],
  "the renderer's flows against tabula serve --sandbox",
  () => {
    let browser: Browser;
    const servers: ChildProcess[] = [];

    beforeAll(async () => {
      mkdirSync(shots, { recursive: true });
      browser = await chromium.launch({
        executablePath: chromiumPath(),
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
    });

    afterAll(async () => {
      await browser?.close();
      for (const serve of servers) await stop(serve);
    });

    async function stop(serve: ChildProcess) {
      if (serve.exitCode !== null || serve.signalCode !== null) return;
      const exited = new Promise((r) => serve.once("exit", r));
      serve.kill("SIGTERM");
      await exited;
    }

    /**
     * `tabula serve --sandbox --scenario S` on a free port with a fresh
     * workspace; resolves to the printed address (with its token).
     */
    async function startServe(
      scenario: Scenario,
      /** Run the server as this uid (and gid), e.g. "nobody", instead of ours. */
      asUser?: number,
    ): Promise<{ url: string; done: () => Promise<void> }> {
      const workspace = mkdtempSync(path.join(tmpdir(), "renderer-e2e-"));
      if (asUser !== undefined) chownSync(workspace, asUser, asUser);
      const serve = spawn(
        process.execPath,
        [
          "electron/bin/tabula.mjs",
          "serve",
          "--sandbox",
          "--scenario",
          scenario,
          "--port",
          "0",
          "--workspace",
          workspace,
        ],
        {
          cwd: root,
          stdio: ["ignore", "pipe", "pipe"],
          ...(asUser === undefined
            ? {}
            : {
                uid: asUser,
                gid: asUser,
                // Its state folder goes into the workspace it owns.
                env: { ...process.env, HOME: workspace },
              }),
        },
      );
      servers.push(serve);
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        let err = "";
        const timer = setTimeout(
          () =>
            reject(new Error(`tabula serve printed no address:\n${out}${err}`)),
          60_000,
        );
        serve.stdout!.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[0]);
          }
        });
        serve.stderr!.on("data", (d: Buffer) => (err += d.toString()));
        serve.on("exit", (code) =>
          reject(new Error(`tabula serve exited (${code}):\n${out}${err}`)),
        );
      });
      return {
        url,
        done: async () => {
          await stop(serve);
          rmSync(workspace, { recursive: true, force: true });
        },
      };
    }

    interface Session {
      context: BrowserContext;
      page: Page;
      problems: string[];
      /** Screenshot with the screen scrolled to its top, or to `at`. */
      shot: (name: string, at?: Locator) => Promise<void>;
      flow: string;
      /** Stops this flow's server and removes its workspace. */
      done: () => Promise<void>;
    }

    /** A fresh page (one controlling client at a time: each test closes its own). */
    async function open(
      flow: string,
      scenario: Scenario,
      options: {
        width?: number;
        height?: number;
        dark?: boolean;
        asUser?: number;
      } = {},
    ): Promise<Session> {
      const server = await startServe(scenario, options.asUser);
      const context = await browser.newContext({
        acceptDownloads: true,
        viewport: {
          width: options.width ?? 1280,
          height: options.height ?? 800,
        },
        colorScheme: options.dark ? "dark" : "light",
      });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(m.text());
      });
      page.on("pageerror", (e) => problems.push(e.message));
      await page.goto(server.url);
      await expect
        .poll(() => page.getByTestId("backend-status").textContent(), {
          timeout: 15_000,
        })
        .toMatch(/^Connected over websocket/);
      let n = 0;
      const shot = async (name: string, at?: Locator) => {
        await assertFits(page);
        n += 1;
        if (at) await at.scrollIntoViewIfNeeded();
        else
          await page.evaluate(() =>
            document.querySelector("main")?.scrollTo(0, 0),
          );
        await page.waitForTimeout(150); // let transitions settle
        await page.screenshot({
          path: path.join(
            shots,
            `${flow}-${String(n).padStart(2, "0")}-${name}.png`,
          ),
        });
      };
      return { context, page, problems, shot, flow, done: server.done };
    }

    /**
     * Nothing is cut off or pushed sideways: the screen never scrolls
     * horizontally (code and terminals scroll inside their own boxes), each
     * step of the sidebar holds its problem count, the top bar fits.
     */
    async function assertFits(page: Page) {
      const misfits = await page.evaluate(() => {
        const out: string[] = [];
        const main = document.querySelector("main");
        if (main && main.scrollWidth > main.clientWidth + 1)
          out.push(
            `the screen scrolls sideways (${main.scrollWidth} > ${main.clientWidth})`,
          );
        for (const step of document.querySelectorAll("nav.steps .step")) {
          const box = step.getBoundingClientRect();
          for (const part of step.children) {
            const r = part.getBoundingClientRect();
            if (r.right > box.right + 0.5)
              out.push(`sidebar "${step.textContent}" sticks out`);
          }
        }
        for (const part of document.querySelectorAll("header.top > *")) {
          if (part.getBoundingClientRect().right > window.innerWidth + 0.5)
            out.push(`top bar "${part.textContent}" is cut off`);
        }
        return out;
      });
      expect(misfits).toEqual([]);
    }

    async function heading(page: Page, text: string) {
      await expect
        .poll(() => page.locator("main h1").first().textContent(), {
          timeout: 15_000,
        })
        .toContain(text);
    }

    async function visible(l: Locator, timeout = 10_000) {
      await expect.poll(() => l.isVisible(), { timeout }).toBe(true);
    }

    async function enabled(l: Locator) {
      await expect.poll(() => l.isEnabled(), { timeout: 15_000 }).toBe(true);
    }

    async function next(page: Page) {
      await page.getByTestId("next").click();
    }

    /**
     * On the Run screen: answer the script's typed confirmations in the real
     * terminal (the device name it asks for), until the run ends.
     */
    async function runToEnd(s: Session) {
      const { page } = s;
      await heading(page, "");
      const answered = new Set<string>();
      const deadline = Date.now() + 240_000;
      for (;;) {
        if (await page.getByTestId("run-summary").isVisible()) break;
        if (Date.now() > deadline)
          throw new Error("the run did not end in time");
        const text = (await page.locator(".xterm-rows").textContent()) ?? "";
        // The script asks to type the device name before a destructive step.
        const ask = [
          ...text.matchAll(/type\s+["“'`]?(\/dev\/[^\s"”'`]+?)["”'`]?\s/gi),
        ].map((m) => m[1]!);
        const pending = ask.find(
          (dev) => !answered.has(`${dev}#${ask.length}`),
        );
        if (pending) {
          answered.add(`${pending}#${ask.length}`);
          await page.getByTestId("terminal").click();
          await page.keyboard.type(pending);
          await page.keyboard.press("Enter");
        }
        await page.waitForTimeout(250);
      }
    }

    /** The Review screen says what pressing Start will really do. */
    async function assertRunMode(s: Session, really: "dry" | "sandbox-real") {
      const said = s.page.getByTestId("review-run-mode");
      await visible(said, 15_000);
      await expect
        .poll(() => said.textContent())
        .toContain(
          really === "dry"
            ? "What really runs: a dry run. Every command is printed; nothing is changed."
            : "What really runs: this phase, for real, on the sandbox's own folder.",
        );
      expect(await s.page.getByTestId("start-run").textContent()).toMatch(
        really === "dry" ? /^Start dry run/ : /^Start: /,
      );
    }

    async function assertFinished(s: Session, title: string) {
      const { page } = s;
      await expect
        .poll(
          () => page.getByTestId("progress").getAttribute("aria-valuenow"),
          { timeout: 10_000 },
        )
        .toBe("100");
      const states = await page
        .locator("[data-testid^=step-][data-state]")
        .evaluateAll((els) => els.map((e) => e.getAttribute("data-state")));
      expect(states.length).toBeGreaterThan(0);
      expect(
        states.every((st) => st === "done" || st === "skipped"),
        states.join(","),
      ).toBe(true);
      expect(states).toContain("done");
      expect(
        await page.getByTestId("run-summary").locator("h2").textContent(),
      ).toBe(title);
      expect(s.problems).toEqual([]);
    }

    it("installs: Start, Disk, Users, Persistence, Review, Run to the end", async () => {
      const s = await open("install", "livecd");
      const { page } = s;
      try {
        await enabled(page.getByTestId("path-install"));
        await s.shot("start");
        // By keyboard: Enter on the path; focus lands on the new screen's heading.
        await page.getByTestId("path-install").focus();
        await page.keyboard.press("Enter");
        await heading(page, "Disk");
        await expect
          .poll(() => page.evaluate(() => document.activeElement?.textContent))
          .toBe("Disk");
        // A disk with data first: its partitions and a plain warning show.
        await page.getByTestId("disk-/dev/nvme0n1").check();
        await expect
          .poll(() => page.getByTestId("disk-warning").textContent())
          .toMatch(
            /All data on \/dev\/nvme0n1 \(Samsung SSD 980 PRO 1TB, 1\.0 TB/,
          );
        await s.shot("disk-with-data");
        // Then the empty SATA disk, to install to.
        await page.getByTestId("disk-/dev/sda").check();
        await visible(page.getByTestId("disk-warning"));
        await page.getByTestId("swap-on").check();
        await s.shot("disk");
        await next(page);
        await heading(page, "Users");
        await page.getByTestId("hostname").fill("orchid");
        await page.getByTestId("new-user").fill("mira");
        await page.getByTestId("add-user").click();
        await page.getByTestId("pw-mira").fill("correct horse battery");
        await page.getByTestId("pw2-mira").fill("correct horse battery");
        await page.getByTestId("set-pw-mira").click();
        await visible(page.getByTestId("pw-set"));
        await s.shot("users");
        await next(page);
        await heading(page, "Persistence");
        await page.getByTestId("preset-desktop").click();
        // A problem on the current step: its count fits the sidebar.
        await page.getByLabel("Persistent storage").fill("persist");
        await visible(page.getByTestId("nav-persistence").locator(".tag"));
        await assertFits(page);
        await page.getByLabel("Persistent storage").fill("/nix/persistent");
        await s.shot("persistence");
        await next(page);
        await heading(page, "Review");
        await visible(page.getByTestId("review-valid"), 30_000);
        await visible(page.getByTestId("destructive").first());
        await assertRunMode(s, "dry");
        await s.shot("review");
        await page
          .getByTestId("generated-files")
          .getByRole("button", { name: "nixos/persistence.nix" })
          .click();
        await s.shot("files", page.getByTestId("generated-files"));
        // Nothing will change, so nothing is asked: straight to the terminal.
        await page.getByTestId("start-run").click();
        await runToEnd(s);
        await s.shot("run-finished");
        await assertFinished(s, DRY);
        // Save log: the full log of the run, as a download.
        const [download] = await Promise.all([
          page.waitForEvent("download"),
          page.getByTestId("save-log").click(),
        ]);
        expect(download.suggestedFilename()).toMatch(
          /^tabula-install-.+\.log$/,
        );
        const log = readFileSync((await download.path())!, "utf8");
        expect(log).toContain("sgdisk");
      } finally {
        await s.page.screenshot({
          path: path.join(shots, `${s.flow}-last.png`),
        });
        await s.context.close();
        await s.done();
      }
    }, 300_000);

    it("converts: Start, This system, Persistence with the scan, Review, Run to the end", async () => {
      const s = await open("convert", "installed", { dark: true });
      const { page } = s;
      try {
        await enabled(page.getByTestId("path-convert"));
        await s.shot("start");
        await page.getByTestId("path-convert").click();
        await heading(page, "This system");
        await s.shot("system");
        await next(page);
        await heading(page, "Persistence");
        // What the scanner found, with one action to keep it.
        await visible(page.getByTestId("scan-findings"));
        await visible(page.getByTestId("lost-total"), 30_000);
        const keep = page.locator("[data-testid^=keep-]").first();
        if (await keep.count()) await keep.click();
        await s.shot("persistence", page.getByTestId("scan-findings"));
        await next(page);
        await heading(page, "Review");
        await visible(page.getByTestId("review-valid"), 30_000);
        await visible(page.getByTestId("flake-diff"));
        await assertRunMode(s, "dry");
        await s.shot("review");
        await s.shot("flake-diff", page.getByTestId("flake-diff"));
        await page.getByTestId("start-run").click();
        await runToEnd(s);
        await s.shot("run-finished");
        await assertFinished(s, DRY);
      } finally {
        await s.page.screenshot({
          path: path.join(shots, `${s.flow}-last.png`),
        });
        await s.context.close();
        await s.done();
      }
    }, 300_000);

    it("migrates from the LiveCD: the convert path's migrate phase, run for real on the sandbox's root folder", async () => {
      const s = await open("migrate", "livecd");
      const { page } = s;
      try {
        await enabled(page.getByTestId("path-convert"));
        await page.getByTestId("path-convert").click();
        await heading(page, "This system");
        // From the LiveCD the flake cannot be read: the user names the host.
        await page.getByLabel("Host attribute").fill("tern");
        await page.getByLabel("Hostname").fill("tern");
        await s.shot("system");
        await next(page);
        await heading(page, "Persistence");
        await next(page);
        await heading(page, "Review");
        await visible(page.getByTestId("review-valid"), 30_000);
        await page.getByTestId("phase-migrate").check();
        await expect
          .poll(() => page.getByTestId("review-summary").textContent())
          .toContain("moves what you keep");
        await assertRunMode(s, "sandbox-real");
        await s.shot("review-migrate");
        await page.getByTestId("start-run").click();
        await page.getByTestId("confirm-run").click();
        // The screen says the terminal waits for the device name.
        const waiting = page.getByTestId("run-waiting");
        await visible(waiting, 30_000);
        const asked =
          /The terminal is waiting for you: type (\/dev\/\S+) and press Enter/.exec(
            (await waiting.textContent()) ?? "",
          );
        expect(asked).not.toBeNull();
        await s.shot("run-asks");
        // A wrong answer stops before the step changes anything, and says so.
        await page.getByTestId("terminal").click();
        await page.keyboard.type("/dev/sda");
        await page.keyboard.press("Enter");
        await visible(page.getByTestId("run-summary"), 30_000);
        expect(
          await page.getByTestId("run-summary").locator("h2").textContent(),
        ).toBe("Stopped: not confirmed");
        await heading(page, ": not confirmed");
        await s.shot("run-not-confirmed");
        // Run again, answering what the screen says the terminal asks.
        await page.getByRole("button", { name: "Run again (resumes)" }).click();
        const deadline = Date.now() + 120_000;
        while (!(await page.getByTestId("run-summary").isVisible())) {
          if (Date.now() > deadline) throw new Error("the run did not end");
          const text = (await waiting.isVisible())
            ? await waiting.textContent()
            : "";
          const m = /type (\/dev\/\S+) and press Enter/.exec(text ?? "");
          if (m) {
            await page.getByTestId("terminal").click();
            await page.keyboard.type(m[1]!);
            await page.keyboard.press("Enter");
            await expect.poll(() => waiting.isVisible()).toBe(false);
          }
          await page.waitForTimeout(250);
        }
        await s.shot("run-finished");
        await assertFinished(s, "Finished in the sandbox");
        expect(await waiting.isVisible()).toBe(false);
      } finally {
        await s.page.screenshot({
          path: path.join(shots, `${s.flow}-last.png`),
        });
        await s.context.close();
        await s.done();
      }
    }, 300_000);

    // steps.sh runs migrate without root on a folder the user owns (it only
    // renames there, and the kernel checks every rename), so a Tabula started
    // by an ordinary user really migrates its own sandbox folder too.
    it.skipIf(!isRoot)(
      "migrates as an ordinary user: Review says it really runs on the sandbox's folder, and it does",
      async () => {
        const s = await open("migrate-user", "livecd", { asUser: 65534 });
        const { page } = s;
        try {
          await enabled(page.getByTestId("path-convert"));
          await page.getByTestId("path-convert").click();
          await heading(page, "This system");
          await page.getByLabel("Host attribute").fill("tern");
          await page.getByLabel("Hostname").fill("tern");
          await next(page);
          await heading(page, "Persistence");
          await next(page);
          await heading(page, "Review");
          await visible(page.getByTestId("review-valid"), 30_000);
          await page.getByTestId("phase-migrate").check();
          await assertRunMode(s, "sandbox-real");
          await page.getByTestId("start-run").click();
          await page.getByTestId("confirm-run").click();
          await runToEnd(s);
          await assertFinished(s, "Finished in the sandbox");
        } finally {
          await s.page.screenshot({
            path: path.join(shots, `${s.flow}-last.png`),
          });
          await s.context.close();
          await s.done();
        }
      },
      300_000,
    );

    it("recovers: Start, Recover (choose a path), Review, Run to the end, at 1024x768", async () => {
      const s = await open("recover", "stateless", {
        width: 1024,
        height: 768,
      });
      const { page } = s;
      try {
        await enabled(page.getByTestId("path-recover"));
        await s.shot("start");
        await page.getByTestId("path-recover").click();
        await heading(page, "Recover");
        const pick = page.locator("[data-testid^=pick-]").first();
        await visible(pick, 30_000);
        await pick.check();
        await expect
          .poll(() => page.getByTestId("chosen").textContent(), {
            timeout: 5_000,
          })
          .toContain("Chosen: 1");
        await s.shot("recover");
        // The running system's own quarantine (/nix/old-root) is there too,
        // read from its partition: nothing to type.
        await page.getByTestId("source-old-root").check();
        await visible(page.getByTestId("quarantine-tree"), 30_000);
        expect(await page.locator("#quarantine").count()).toBe(0);
        await page.getByTestId("source-live").check();
        await next(page);
        await heading(page, "Review");
        await visible(page.getByTestId("review-valid"), 30_000);
        await assertRunMode(s, "dry");
        // At 1024x768 the sticky Start box stays one row high (its label
        // wraps, the button does not), leaving the screen to read.
        const box = await page.locator(".run-box").boundingBox();
        expect(box!.height).toBeLessThan(90);
        await s.shot("review");
        await page.getByTestId("start-run").click();
        await runToEnd(s);
        await s.shot("run-finished");
        await assertFinished(s, DRY);
        // Back to Review and run again: the kept-alive Run screen starts the
        // new run in the same terminal, and it too runs to the end.
        await page.getByRole("button", { name: "Back to Review" }).click();
        await heading(page, "Review");
        await enabled(page.getByTestId("start-run"));
        await page.getByTestId("start-run").click();
        await heading(page, "Bring");
        await runToEnd(s);
        await assertFinished(s, DRY);
      } finally {
        await s.page.screenshot({
          path: path.join(shots, `${s.flow}-last.png`),
        });
        await s.context.close();
        await s.done();
      }
    }, 300_000);

    it("recovers from the LiveCD: the converted install's old-root/ in a tree, Review, Run to the end", async () => {
      const s = await open("recover-livecd", "livecd-converted");
      const { page } = s;
      try {
        await enabled(page.getByTestId("path-recover"));
        await page.getByTestId("path-recover").click();
        await heading(page, "Recover");
        // The quarantine the probe found, read from its partition: no folder to type.
        await expect
          .poll(() => page.getByTestId("quarantine-on").textContent(), {
            timeout: 15_000,
          })
          .toContain("old-root/ on /dev/nvme0n1p2");
        const tree = page.getByTestId("quarantine-tree");
        await visible(tree, 30_000);
        expect(await page.locator("#quarantine").count()).toBe(0);
        // A folder's button says "Open P", then "Close P" once it is open.
        const openFolder = async (p: string) => {
          await tree
            .getByRole("button", { name: `Open ${p}`, exact: true })
            .click();
          await visible(
            tree.getByRole("button", { name: `Close ${p}`, exact: true }),
          );
        };
        for (const p of ["/home", "/home/alice", "/home/alice/Documents"])
          await openFolder(p);
        // A folder of hostile names, listed exactly.
        await openFolder("/home/alice/Documents/odd names");
        await visible(tree.getByText("$(echo pwned)", { exact: true }));
        await page.getByTestId("pick-/home/alice/Documents/odd names").check();
        const card = page.getByTestId("quarantine");
        await card.evaluate((el) => el.scrollIntoView({ block: "start" }));
        await s.shot("quarantine", card);
        for (const p of ["/var", "/var/lib"]) await openFolder(p);
        await page.getByTestId("pick-/var/lib/docker").check();
        await expect
          .poll(() => page.getByTestId("chosen").textContent())
          .toContain("Chosen: 2");

        // From the LiveCD the flake cannot be read: "Where the system is"
        // opens by itself and the user names the host; the boot partition
        // is the ESP beside the install.
        await expect
          .poll(() =>
            page
              .getByTestId("where")
              .evaluate((d) => (d as HTMLDetailsElement).open),
          )
          .toBe(true);
        expect(await page.getByLabel("Boot partition").inputValue()).toBe(
          "/dev/disk/by-uuid/A1B2-C3D4",
        );
        await page.getByLabel("Host attribute").fill("tern");
        await next(page);
        await heading(page, "Review");
        await visible(page.getByTestId("review-valid"), 30_000);
        await assertRunMode(s, "dry");
        await s.shot("review");
        await page.getByTestId("start-run").click();
        await runToEnd(s);
        await s.shot("run-finished");
        await assertFinished(s, DRY);
        // The log shows the restore of each chosen path, hostile name quoted.
        const [download] = await Promise.all([
          page.waitForEvent("download"),
          page.getByTestId("save-log").click(),
        ]);
        const log = readFileSync((await download.path())!, "utf8");
        expect(log).toContain(
          `$ tabula_restore "$TARGET"/nix persistent old-root 'home/alice/Documents/odd names'`,
        );
        expect(log).toContain(
          `$ tabula_restore "$TARGET"/nix persistent old-root var/lib/docker`,
        );
      } finally {
        await s.page.screenshot({
          path: path.join(shots, `${s.flow}-last.png`),
        });
        await s.context.close();
        await s.done();
      }
    }, 300_000);

    it("opens a real shell over the window (the kiosk's way out) and comes back", async () => {
      const s = await open("shell", "livecd");
      const { page } = s;
      try {
        await enabled(page.getByTestId("path-install"));
        await page.getByTestId("open-shell").click();
        const panel = page.getByTestId("shell-panel");
        await visible(panel);
        // Typed into the real bash of the backend: $((6*7)) is bash's.
        await visible(panel.locator(".xterm-rows"));
        await page.keyboard.type("echo tabula-shell-$((6*7))\n");
        await expect
          .poll(() => panel.locator(".xterm-rows").textContent(), {
            timeout: 15_000,
          })
          .toContain("tabula-shell-42");
        await s.shot("open");
        await page.getByTestId("close-shell").click();
        await expect.poll(() => panel.count()).toBe(0);
        // Back where the user was, nothing lost.
        await enabled(page.getByTestId("path-install"));
        // exit in the shell ends it and says so.
        await page.getByTestId("open-shell").click();
        await visible(panel.locator(".xterm-rows"));
        await page.keyboard.type("exit 3\n");
        await expect
          .poll(() => page.getByTestId("shell-ended").textContent(), {
            timeout: 15_000,
          })
          .toMatch(/exit status 3/);
        expect(s.problems).toEqual([]);
      } finally {
        await s.page.screenshot({
          path: path.join(shots, `${s.flow}-last.png`),
        });
        await s.context.close();
        await s.done();
      }
    }, 120_000);
  },
);
