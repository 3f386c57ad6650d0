// The knowledge catalog: state worth keeping on a stateless NixOS, as data.
// Each path says why in one line and where that reason comes from, and, when
// a service writes it, which systemd unit to stop before copying it (recover
// from a running system). Presets group them for a kind of machine; the UI
// offers them, the scanner uses them to suggest what it finds.
import { INSTALL_CONFIG_DIR, NIX_DAEMON_TMPDIR } from "../design/layout";

export interface CatalogPath {
  /** Absolute for scope "system"; relative to the home for scope "home". */
  path: string;
  kind: "directory" | "file";
  scope: "system" | "home";
  /** Ownership and mode for impermanence to create it with, when they matter. */
  user?: string;
  group?: string;
  mode?: string;
  /** Why it is worth keeping, in one line. */
  reason: string;
  /** Where that reason comes from, so it can be checked again. */
  source: string;
  /** The systemd unit that writes it: stop it before copying the path. */
  service?: string;
  /**
   * The desktop program that writes it while it runs (a browser profile):
   * recover says so before copying, and asks when one of its processes runs.
   */
  program?: DesktopProgram;
}

export interface DesktopProgram {
  name: string;
  /** Process names as ps and pgrep -x see them (at most 15 characters). */
  processes: string[];
}

export interface Preset {
  id: string;
  title: string;
  description: string;
  /** Presets whose paths this one includes. */
  extends: string[];
  paths: CatalogPath[];
}

const IMPERMANENCE_README = "impermanence README (example configuration)";

const sys = (
  path: string,
  kind: CatalogPath["kind"],
  reason: string,
  source: string,
  extra: Partial<CatalogPath> = {},
): CatalogPath => ({ path, kind, scope: "system", reason, source, ...extra });

const home = (
  path: string,
  kind: CatalogPath["kind"],
  reason: string,
  source: string,
  extra: Partial<CatalogPath> = {},
): CatalogPath => ({ path, kind, scope: "home", reason, source, ...extra });

const sshHostKey = (name: string): CatalogPath =>
  sys(
    `/etc/ssh/${name}`,
    "file",
    "SSH host key: regenerated at every boot otherwise, and clients then refuse the changed host",
    "impermanence issues #101 and #192; the reference article persists them",
  );

const server: Preset = {
  id: "server",
  title: "Minimal server",
  description:
    "What every stateless NixOS keeps: its configuration, logs, ids, machine identity and SSH host keys.",
  extends: [],
  paths: [
    sys(
      INSTALL_CONFIG_DIR,
      "directory",
      "the configuration you edit and rebuild from; nothing else keeps it",
      "FACTS.md (impermanence's README does not list /etc/nixos)",
    ),
    sys(
      "/var/log",
      "directory",
      "the journal and logs, to read what happened before a reboot",
      IMPERMANENCE_README,
    ),
    sys(
      "/var/lib/nixos",
      "directory",
      "NixOS's map of user and group ids: without it ids are reassigned at every boot and files change owner",
      "impermanence nixos.nix (its /var/lib/nixos warning)",
    ),
    sys(
      "/var/lib/systemd/coredump",
      "directory",
      "crash dumps, to debug a crash after the reboot it caused",
      IMPERMANENCE_README,
      { service: "systemd-coredump.socket" },
    ),
    sys(
      "/var/lib/systemd/timers",
      "directory",
      "when persistent timers last ran, so a missed run is caught up instead of repeated at every boot",
      "systemd.timer(5), Persistent=",
    ),
    sys(
      NIX_DAEMON_TMPDIR,
      "directory",
      "where Nix before 2.30 builds (the nix-daemon's TMPDIR) and where the daemon keeps temporary files: on the tmpfs root a large build would run out of memory",
      "FACTS.md, the reference article's nix-daemon fix",
    ),
    sys(
      "/var/lib/tailscale",
      "directory",
      "the node's Tailscale identity: a new device would appear at every boot",
      "tailscaled(8), state directory",
      { service: "tailscaled.service" },
    ),
    sys(
      "/etc/machine-id",
      "file",
      "the machine's identity: a new one at every boot splits the journal and changes DHCP client ids",
      "machine-id(5); impermanence README; impermanence #229 and PR #242",
    ),
    sshHostKey("ssh_host_ed25519_key"),
    sshHostKey("ssh_host_ed25519_key.pub"),
    sshHostKey("ssh_host_rsa_key"),
    sshHostKey("ssh_host_rsa_key.pub"),
    home(
      ".ssh",
      "directory",
      "the user's keys, known_hosts and authorized_keys; sshd wants it private (0700)",
      "sshd(8), StrictModes",
      { mode: "0700" },
    ),
    home(".bash_history", "file", "shell history", "bash(1), HISTFILE"),
  ],
};

const desktop: Preset = {
  id: "desktop",
  title: "Desktop",
  description:
    "A graphical system with NetworkManager and Bluetooth: saved networks, pairings, printers, keyrings and the user's folders.",
  extends: ["server"],
  paths: [
    sys(
      "/etc/NetworkManager/system-connections",
      "directory",
      "saved Wi-Fi networks, their passwords and VPNs",
      IMPERMANENCE_README,
      { service: "NetworkManager.service" },
    ),
    sys(
      "/var/lib/NetworkManager",
      "directory",
      "NetworkManager's secret key (stable IPv6 privacy addresses), leases and seen networks",
      "NetworkManager.conf(5), /var/lib/NetworkManager/secret_key",
      { service: "NetworkManager.service" },
    ),
    sys(
      "/var/lib/bluetooth",
      "directory",
      "Bluetooth pairings: every device would need pairing again after each boot",
      IMPERMANENCE_README,
      { service: "bluetooth.service" },
    ),
    sys(
      "/var/lib/colord",
      "directory",
      "colour profiles assigned to screens and printers",
      IMPERMANENCE_README,
      {
        user: "colord",
        group: "colord",
        mode: "u=rwx,g=rx,o=",
        service: "colord.service",
      },
    ),
    sys(
      "/var/lib/cups",
      "directory",
      "configured printers and their settings",
      "cupsd(8), /var/lib/cups on NixOS",
      { service: "cups.service" },
    ),
    home("Desktop", "directory", "the user's files", "the reference article"),
    home("Documents", "directory", "the user's files", "the reference article"),
    home("Downloads", "directory", "the user's files", "the reference article"),
    home("Music", "directory", "the user's files", "the reference article"),
    home("Pictures", "directory", "the user's files", "the reference article"),
    home("Videos", "directory", "the user's files", "the reference article"),
    home(
      ".config",
      "directory",
      "application settings (XDG_CONFIG_HOME)",
      "XDG Base Directory specification; the reference article",
    ),
    home(
      ".local/share/keyrings",
      "directory",
      "the login keyring: saved passwords of the desktop and its applications",
      "gnome-keyring-daemon(1)",
      { mode: "0700" },
    ),
    home(
      ".gnupg",
      "directory",
      "GnuPG keys and trust; gpg wants it private (0700)",
      "gpg(1), --homedir; the reference article",
      { mode: "0700" },
    ),
    home(
      ".mozilla",
      "directory",
      "Firefox profiles: bookmarks, history, saved logins",
      "Firefox profile location on Linux",
      {
        // NixOS runs Firefox through a wrapper: its process is
        // .firefox-wrapped, which the kernel cuts to 15 characters.
        program: {
          name: "Firefox",
          processes: ["firefox", ".firefox-wrappe", "firefox-bin"],
        },
      },
    ),
  ],
};

const laptop: Preset = {
  id: "laptop",
  title: "Laptop",
  description:
    "A desktop that moves: screen brightness, radio switches, fingerprints and power profile survive reboots.",
  extends: ["desktop"],
  paths: [
    sys(
      "/var/lib/systemd/backlight",
      "directory",
      "screen brightness, restored at boot",
      "systemd-backlight@.service(8)",
    ),
    sys(
      "/var/lib/systemd/rfkill",
      "directory",
      "whether Wi-Fi and Bluetooth radios were switched off, restored at boot",
      "systemd-rfkill.service(8)",
    ),
    sys(
      "/var/lib/fprint",
      "directory",
      "enrolled fingerprints",
      "fprintd(1), /var/lib/fprint",
      { service: "fprintd.service" },
    ),
    sys(
      "/var/lib/power-profiles-daemon",
      "directory",
      "the chosen power profile",
      "power-profiles-daemon, state file in /var/lib/power-profiles-daemon",
      { service: "power-profiles-daemon.service" },
    ),
  ],
};

const developer: Preset = {
  id: "developer",
  title: "Developer workstation",
  description:
    "A desktop with containers, virtual machines and databases: their images, volumes and data, and the user's projects.",
  extends: ["desktop"],
  paths: [
    sys(
      "/var/lib/docker",
      "directory",
      "Docker images, containers and volumes",
      "dockerd(8), --data-root default",
      { service: "docker.service" },
    ),
    sys(
      "/var/lib/containers",
      "directory",
      "Podman's system images and containers",
      "containers-storage.conf(5), graphroot default",
    ),
    sys(
      "/var/lib/libvirt",
      "directory",
      "virtual machines, their disks and networks",
      "libvirtd(8), /var/lib/libvirt",
      { service: "libvirtd.service" },
    ),
    sys(
      "/var/lib/postgresql",
      "directory",
      "PostgreSQL databases",
      "NixOS services.postgresql.dataDir default",
      {
        user: "postgres",
        group: "postgres",
        mode: "0750",
        service: "postgresql.service",
      },
    ),
    sys(
      "/var/lib/mysql",
      "directory",
      "MySQL or MariaDB databases",
      "NixOS services.mysql.dataDir default",
      { user: "mysql", group: "mysql", mode: "0700", service: "mysql.service" },
    ),
    home(
      "Projects",
      "directory",
      "source code you work on",
      "a convention; rename it to your own",
    ),
    home(
      ".local/share/containers",
      "directory",
      "rootless Podman images and containers",
      "containers-storage.conf(5), rootless graphroot",
    ),
    home(
      ".docker",
      "directory",
      "Docker CLI settings and registry logins",
      "docker(1), DOCKER_CONFIG default",
    ),
    home(
      ".local/share/direnv",
      "directory",
      "which .envrc files you allowed",
      "direnv(1), allow list",
    ),
  ],
};

/** State of common services, outside the presets: suggested when the scanner finds it. */
export const SERVICE_STATE: readonly CatalogPath[] = [
  sys(
    "/var/lib/private",
    "directory",
    "state of services that run with DynamicUser (systemd keeps it here)",
    "systemd.exec(5), StateDirectory= with DynamicUser=",
  ),
  sys(
    "/var/lib/acme",
    "directory",
    "TLS certificates and the ACME account: reissuing at every boot runs into rate limits",
    "NixOS security.acme",
  ),
  sys(
    "/var/lib/jellyfin",
    "directory",
    "Jellyfin's library and users",
    "NixOS services.jellyfin.dataDir default",
    { service: "jellyfin.service" },
  ),
  sys(
    "/var/lib/nextcloud",
    "directory",
    "Nextcloud's data and configuration",
    "NixOS services.nextcloud.home default",
    { service: "phpfpm-nextcloud.service" },
  ),
  sys(
    "/var/lib/grafana",
    "directory",
    "Grafana dashboards and users",
    "NixOS services.grafana.dataDir default",
    { service: "grafana.service" },
  ),
  sys(
    "/var/lib/prometheus2",
    "directory",
    "Prometheus metrics",
    "NixOS services.prometheus.stateDir default",
    { service: "prometheus.service" },
  ),
  sys(
    "/var/lib/flatpak",
    "directory",
    "system-wide Flatpak applications",
    "flatpak(1), system installation",
  ),
  sys(
    "/var/lib/redis",
    "directory",
    "Redis data (its RDB and AOF files)",
    "NixOS services.redis, /var/lib/redis",
    { service: "redis.service" },
  ),
  sys(
    "/var/lib/syncthing",
    "directory",
    "Syncthing's device identity and folder index: a new device would appear at every boot",
    "NixOS services.syncthing.dataDir default",
    { service: "syncthing.service" },
  ),
  sys(
    "/var/lib/upower",
    "directory",
    "battery history and statistics",
    "upowerd(8), /var/lib/upower",
    { service: "upower.service" },
  ),
  sys(
    "/etc/adjtime",
    "file",
    "the hardware clock's drift and whether it keeps UTC or local time",
    "adjtime_config(5)",
  ),
  sys(
    "/var/lib/fwupd",
    "directory",
    "firmware update history and pending updates",
    "fwupd, /var/lib/fwupd",
    { service: "fwupd.service" },
  ),
];

export const PRESETS: readonly Preset[] = [server, desktop, laptop, developer];

/** Alias under the name the issue uses. */
export const presets = PRESETS;
