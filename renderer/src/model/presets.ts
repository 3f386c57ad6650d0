// The essentials every new design starts with. Each is explained where the
// user sees it (the Persistence screen shows the reason of every path).
import type { BaseEntries } from "./new-design";

export function baseEntries(): BaseEntries {
  return {
    directories: [
      "/var/lib/nixos",
      "/var/log",
      "/var/lib/systemd/coredump",
      "/var/lib/systemd/timers",
    ],
    files: [
      "/etc/machine-id",
      "/etc/ssh/ssh_host_ed25519_key",
      "/etc/ssh/ssh_host_ed25519_key.pub",
      "/etc/ssh/ssh_host_rsa_key",
      "/etc/ssh/ssh_host_rsa_key.pub",
    ],
  };
}
