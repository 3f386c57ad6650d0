// Why a scanned path is usually worth keeping. This is the one place the
// scanner asks; the knowledge catalog (shared/catalog, `suggestFor(path)`)
// replaces the small interim table below once it lands, and then the preset
// names come from it (until then `preset` stays null rather than guessed).
import type { ScanSuggestion } from "../../shared/scan/types";

interface Known {
  pattern: RegExp;
  reason: string;
}

// Each reason is one sentence a user can act on; sources in docs/scan.md.
const KNOWN: Known[] = [
  {
    pattern: /^\/etc\/machine-id$/,
    reason:
      "The machine's identity: journald and many services key on it; a new one at every boot splits the logs.",
  },
  {
    pattern: /^\/etc\/ssh\/ssh_host_[^/]+$/,
    reason:
      "SSH host keys: without them every client sees a changed host key after each reboot.",
  },
  {
    pattern: /^\/etc\/nixos(\/.*)?$/,
    reason:
      "Your NixOS configuration: it must live in persistent storage or it is gone after the first reboot.",
  },
  {
    pattern: /^\/var\/lib\/nixos(\/.*)?$/,
    reason:
      "NixOS's uid and gid maps: without them users and groups without fixed ids get new ids at every boot.",
  },
  {
    pattern: /^\/etc\/adjtime$/,
    reason: "The hardware clock's drift and time scale (UTC or local).",
  },
  {
    pattern: /^\/var\/lib\/systemd(\/.*)?$/,
    reason:
      "systemd's state: persistent timers, the random seed, backlight and rfkill settings.",
  },
  {
    pattern: /^\/var\/log(\/journal)?(\/.*)?$/,
    reason: "Logs: without them each boot starts with an empty journal.",
  },
  {
    pattern: /^\/etc\/NetworkManager(\/system-connections)?(\/.*)?$/,
    reason: "Saved network connections and Wi-Fi passwords.",
  },
  {
    pattern: /^\/var\/lib\/(NetworkManager|iwd|bluetooth)(\/.*)?$/,
    reason:
      "Network and Bluetooth state: leases, known networks, paired devices.",
  },
  {
    pattern: /^\/var\/lib\/(docker|containers|libvirt|lxd|incus)(\/.*)?$/,
    reason: "Containers, images, volumes or virtual machines.",
  },
  {
    pattern:
      /^\/var\/lib\/(postgresql|mysql|redis[^/]*|mongodb|influxdb)(\/.*)?$/,
    reason: "A database's data.",
  },
  {
    pattern: /^\/var\/lib\/private(\/.*)?$/,
    reason:
      "State of services running with DynamicUser (systemd keeps it here).",
  },
  {
    pattern: /^\/(home\/[^/]+|root)$/,
    reason: "A home folder: documents, settings and keys.",
  },
  {
    pattern: /^\/(home\/[^/]+|root)\/\.ssh(\/.*)?$/,
    reason: "The user's SSH keys and known hosts.",
  },
  {
    pattern: /^\/(home\/[^/]+|root)\/\.gnupg(\/.*)?$/,
    reason: "The user's GnuPG keys.",
  },
  {
    pattern: /^\/srv(\/.*)?$/,
    reason: "Data served by this machine.",
  },
];

export function suggestFor(path: string): ScanSuggestion | null {
  const known = KNOWN.find((k) => k.pattern.test(path));
  return known ? { reason: known.reason, preset: null } : null;
}
