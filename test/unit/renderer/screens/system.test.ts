// @vitest-environment happy-dom
// The convert screen "This system": the configuration type with its host
// attribute for flakes only, and what the probe found about the layout, in
// plain words, with what the conversion does with it.
import { afterEach, describe, expect, it } from "vitest";
import SystemScreen from "../../../../renderer/src/screens/SystemScreen.vue";
import { baseEntries } from "../../../../renderer/src/model/presets";
import { useDesignStore } from "../../../../renderer/src/stores/design";
import { useSessionStore } from "../../../../renderer/src/stores/session";
import type { MachineFacts } from "../../../../shared/machine/types";
import {
  layoutFacts,
  type LayoutName,
} from "../../electron/backend/layout-fixtures";
import { mountWith, settle, setup } from "../support";

let unmount: (() => void) | null = null;
afterEach(() => unmount?.());

async function system(facts: MachineFacts | LayoutName) {
  const ctx = setup(
    {},
    typeof facts === "string"
      ? { ...layoutFacts(facts), machine: "sandbox" }
      : facts,
  );
  useSessionStore();
  await settle();
  useDesignStore().start("convert", baseEntries());
  const w = mountWith(SystemScreen, ctx);
  unmount = () => w.unmount();
  await settle();
  return w;
}

const notes = (w: Awaited<ReturnType<typeof system>>) =>
  w.findAll("[data-testid=layout-notes] li").map((li) => li.text());

describe("This system", () => {
  it("lists a /nix of its own and the mounts that stay, in plain words", async () => {
    const w = await system("btrfs-subvolumes");
    expect(notes(w)).toEqual([
      "/nix is its own filesystem (subvol=@nix): it stays; the old root becomes the storage",
      "/home stays mounted as it is (nothing under it is persisted or moved)",
      "/var/log stays mounted as it is (nothing under it is persisted or moved)",
      "boots with systemd-boot (found /boot/loader/entries)",
    ]);
  });

  it("says where LUKS is opened from, and that a swap file moves", async () => {
    expect(notes(await system("luks-ext4"))).toContain(
      "LUKS: /dev/mapper/luks-6a2f9c1e-3b4d-4e5f-8a7b-9c0d1e2f3a4b is opened from /dev/disk/by-uuid/6a2f9c1e-3b4d-4e5f-8a7b-9c0d1e2f3a4b on the LiveCD",
    );
    unmount?.();
    expect(notes(await system("swapfile"))).toContain(
      "swap file /swapfile moves into the storage",
    );
  });

  it("keeps GRUB's /boot on the root without refusing, and says so", async () => {
    const w = await system("bios-grub");
    expect(notes(w)).toEqual([
      "GRUB reads /boot from the root: its folder stays on the partition",
      "boots with GRUB (found /boot/grub/grub.cfg)",
    ]);
    expect(w.get("[data-testid=no-boot]").classes()).toContain("info");
    expect(
      (w.get("[data-testid=bootloader]").element as HTMLSelectElement).value,
    ).toBe("grub");
    // systemd-boot cannot boot from /boot on the root: the refusal shows.
    await w.get("[data-testid=bootloader]").setValue("systemd-boot");
    expect(w.get("[data-testid=no-boot]").classes()).toContain("danger");
  });

  it("says plainly that a root on LVM is not supported yet", async () => {
    const w = await system("lvm-on-luks");
    const lvm = w.get("[data-testid=layout-lvm]");
    expect(lvm.text()).toBe(
      "root on LVM (volume group nixos-vg): not supported yet (the plan says why)",
    );
    expect(lvm.classes()).toContain("danger");
  });

  it("lists nothing for a plain layout it knows nothing special about", async () => {
    const facts = layoutFacts("ext4-esp");
    facts.layout = null;
    const w = await system(facts);
    expect(w.find("[data-testid=layout-notes]").exists()).toBe(false);
  });

  it("shows the host attribute for a flake only, and gives it back when switched back", async () => {
    const w = await system("ext4-esp");
    const convert = () => useDesignStore().design!.convert!;
    expect(
      (w.get("[data-testid=config-type]").element as HTMLSelectElement).value,
    ).toBe("flake");
    expect(
      (w.get("[data-testid=flake-attr]").element as HTMLInputElement).value,
    ).toBe("tern");

    await w.get("[data-testid=config-type]").setValue("configuration.nix");
    expect(w.find("[data-testid=flake-attr]").exists()).toBe(false);
    expect(convert().configType).toBe("configuration.nix");
    expect(convert()).not.toHaveProperty("flakeAttr");
    expect(w.text()).toContain("This configuration is not a flake.");

    await w.get("[data-testid=config-type]").setValue("flake");
    expect(convert()).toMatchObject({ configType: "flake", flakeAttr: "tern" });
    expect(w.find("[data-testid=flake-attr]").exists()).toBe(true);
  });

  it("starts a configuration.nix system without the host attribute", async () => {
    const facts = layoutFacts("ext4-esp");
    facts.nixosConfig = { dir: "/etc/nixos", isFlake: false, flakeAttr: null };
    const w = await system(facts);
    expect(
      (w.get("[data-testid=config-type]").element as HTMLSelectElement).value,
    ).toBe("configuration.nix");
    expect(w.find("[data-testid=flake-attr]").exists()).toBe(false);
  });
});
