import { describe, expect, it } from "vitest";
import {
  PRESETS,
  SERVICE_STATE,
  owningService,
  presetPaths,
  sourceFor,
  suggestFor,
} from "../../../../shared/catalog";
import {
  homePathFault,
  systemPathFault,
} from "../../../../shared/design/paths";
import { validateDesign } from "../../../../shared/design/validate";
import { presetDesign } from "../../../support/preset-design";

describe("the catalog's data", () => {
  const all = [...PRESETS.flatMap((p) => p.paths), ...SERVICE_STATE];

  it("gives every path a one-line reason and a source", () => {
    for (const p of all) {
      expect(p.reason, p.path).toMatch(/^[^\n]{8,}$/);
      expect(p.source, p.path).toMatch(/^[^\n]{4,}$/);
    }
  });

  it("holds only paths a design accepts", () => {
    for (const p of all) {
      const fault =
        p.scope === "system" ? systemPathFault(p.path) : homePathFault(p.path);
      expect(fault, p.path).toBeNull();
    }
  });

  it("has the four presets, each including what it extends", () => {
    expect(PRESETS.map((p) => p.id)).toEqual([
      "server",
      "desktop",
      "laptop",
      "developer",
    ]);
    const laptop = presetPaths("laptop").map((p) => p.path);
    expect(laptop).toEqual(
      expect.arrayContaining([
        "/var/lib/nixos",
        "/var/lib/bluetooth",
        "/var/lib/systemd/backlight",
      ]),
    );
    expect(new Set(laptop).size).toBe(laptop.length);
    expect(() => presetPaths("nope")).toThrow(/no preset named "nope"/);
  });

  it.each(PRESETS.map((p) => p.id))(
    "%s: validates with no problem at all in install and convert mode",
    (id) => {
      for (const mode of ["install", "convert"] as const) {
        const result = validateDesign(presetDesign(mode, id));
        expect(result.problems, `${id} in ${mode}`).toEqual([]);
        expect(result.design).not.toBeNull();
      }
    },
  );
});

describe("suggestFor", () => {
  it.each([
    ["/var/lib/docker", "developer"],
    ["/var/lib/docker/overlay2/abc", "developer"],
    ["/var/lib/bluetooth/AA:BB:CC:DD:EE:FF", "desktop"],
    ["/etc/machine-id", "server"],
    ["/etc/ssh/ssh_host_ed25519_key", "server"],
    ["/home/mira/.ssh", "server"],
    ["/home/mira/.ssh/known_hosts", "server"],
    ["/root/.gnupg", "desktop"],
    ["/home/sam/.local/share/keyrings/login.keyring", "desktop"],
    ["/var/lib/systemd/backlight", "laptop"],
    ["/var/lib/private/zigbee2mqtt", null],
    ["/var/lib/acme/example.org", null],
  ])("%s is suggested (preset %s)", (path, preset) => {
    const s = suggestFor(path);
    expect(s).not.toBeNull();
    expect(s!.preset).toBe(preset);
    expect(s!.reason.length).toBeGreaterThan(5);
  });

  it.each([
    "/srv/www",
    "/var/lib",
    "/etc/machine-id.old",
    "/home/mira",
    "/home/mira/.sshx",
    "/etc/nix/nix.conf",
  ])("%s gets no suggestion", (path) => {
    expect(suggestFor(path)).toBeNull();
  });

  it("prefers the nearest entry", () => {
    expect(suggestFor("/var/lib/systemd/coredump/core.1")!.reason).toMatch(
      /crash dumps/,
    );
    expect(suggestFor("/var/lib/NetworkManager/secret_key")!.reason).toMatch(
      /secret key/,
    );
    expect(sourceFor("/var/lib/nixos/uid-map")).toMatch(/impermanence/);
  });
});

describe("owningService", () => {
  it.each([
    ["/var/lib/docker/volumes/db", "docker.service"],
    ["/var/lib/postgresql/16", "postgresql.service"],
    [
      "/etc/NetworkManager/system-connections/home.nmconnection",
      "NetworkManager.service",
    ],
    ["/var/lib/tailscale", "tailscaled.service"],
    ["/var/log/journal", null],
    ["/srv/x", null],
  ])("%s -> %s", (path, unit) => {
    expect(owningService(path)).toBe(unit);
  });
});
