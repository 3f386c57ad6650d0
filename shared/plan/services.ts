// Which systemd unit owns a state folder, for the paths whose owner is well
// known: recover stops it before copying, so the copy is consistent.
// TODO(merge): the knowledge catalog (design stream) lists these paths with
// reasons; when it lands, give its entries a `service` field and read it here.

const SERVICES: [path: string, unit: string][] = [
  ["/var/lib/docker", "docker.service"],
  ["/var/lib/containers", "podman.service"],
  ["/var/lib/postgresql", "postgresql.service"],
  ["/var/lib/mysql", "mysql.service"],
  ["/var/lib/redis", "redis.service"],
  ["/var/lib/tailscale", "tailscaled.service"],
  ["/var/lib/NetworkManager", "NetworkManager.service"],
  ["/etc/NetworkManager/system-connections", "NetworkManager.service"],
  ["/var/lib/bluetooth", "bluetooth.service"],
  ["/var/lib/libvirt", "libvirtd.service"],
  ["/var/lib/jellyfin", "jellyfin.service"],
  ["/var/lib/nextcloud", "phpfpm-nextcloud.service"],
  ["/var/lib/grafana", "grafana.service"],
  ["/var/lib/prometheus2", "prometheus.service"],
  ["/var/lib/syncthing", "syncthing.service"],
  ["/var/lib/fwupd", "fwupd.service"],
  ["/var/lib/upower", "upower.service"],
  ["/var/lib/colord", "colord.service"],
  ["/var/lib/cups", "cups.service"],
  ["/var/lib/systemd/coredump", "systemd-coredump.socket"],
];

/** The unit that owns `path` (the path or a folder above it), or null. */
export function owningService(path: string): string | null {
  for (const [folder, unit] of SERVICES) {
    if (path === folder || path.startsWith(`${folder}/`)) return unit;
  }
  return null;
}
