// @vitest-environment happy-dom
// The Start screen on the LiveCD: a converted system (or one half way
// through a conversion) is not a dead end: Convert stays open, and says how
// to undo the conversion with the revert phase.
import { afterEach, describe, expect, it } from "vitest";
import StartScreen from "../../../../renderer/src/screens/StartScreen.vue";
import { useSessionStore } from "../../../../renderer/src/stores/session";
import { mountWith, sampleFacts, setup, until } from "../support";

let unmount: (() => void) | null = null;
afterEach(() => unmount?.());

async function open(installs: ReturnType<typeof sampleFacts>["installs"]) {
  const facts = sampleFacts({
    os: { kind: "nixos-livecd", prettyName: "NixOS 25.11", versionId: "25.11" },
    installs,
  });
  const ctx = setup({}, facts);
  await useSessionStore().greet();
  const w = mountWith(StartScreen, ctx);
  unmount = () => w.unmount();
  await until(() => w.find("[data-testid=path-convert]").exists());
  return w;
}

describe("Start on the LiveCD", () => {
  it("offers the revert of a converted system, and keeps Convert open for it", async () => {
    const w = await open([
      {
        device: "/dev/nvme0n1p2",
        fsType: "ext4",
        migrationPending: false,
        hasOldRoot: true,
        converted: true,
      },
    ]);
    const button = w.get("[data-testid=path-convert]");
    expect(button.attributes("disabled")).toBeUndefined();
    expect(w.text()).toContain(
      "To undo the conversion on /dev/nvme0n1p2, Import the design that made it",
    );
    expect(w.text()).toContain("run its revert phase from Review");
  });

  it("says nothing of a revert when nothing was converted", async () => {
    const w = await open([
      {
        device: "/dev/sda2",
        fsType: "ext4",
        migrationPending: false,
        hasOldRoot: false,
        converted: false,
      },
    ]);
    expect(w.text()).not.toContain("revert phase");
    expect(w.text()).toContain("Found NixOS on /dev/sda2.");
  });
});
