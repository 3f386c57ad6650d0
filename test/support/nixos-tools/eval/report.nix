# The part of an evaluated configuration the stand-ins report, as plain
# JSON values. Persistence entries are normalized: a string, or the
# attrset's `directory` / `file` (what impermanence's submodule holds in the
# same fields), so the real impermanence and the stub report alike.
{
  lib,
  config,
  options,
  evaluator,
}:
let
  b = builtins;
  loader = config.boot.loader;
  persistenceDeclared = options ? environment && options.environment ? persistence;
  persistenceDefined = config ? environment && config.environment ? persistence;
  entry = field: e: if b.isAttrs e then e.${field} else e;
  normalize = storage: {
    enable = storage.enable or true;
    hideMounts = storage.hideMounts or false;
    directories = b.map (entry "directory") (storage.directories or [ ]);
    files = b.map (entry "file") (storage.files or [ ]);
    users = b.mapAttrs (_: u: {
      directories = b.map (entry "directory") (u.directories or [ ]);
      files = b.map (entry "file") (u.files or [ ]);
    }) (storage.users or { });
  };
  # The owner each persisted system folder gets (real impermanence: its
  # submodule's value, "root" by default; the stub: what was written, null
  # when nothing was).
  ownerOf = e: {
    directory = entry "directory" e;
    user = if b.isAttrs e then e.user or null else null;
    group = if b.isAttrs e then e.group or null else null;
  };
  owners =
    if persistenceDeclared then
      b.mapAttrs (_: s: b.map ownerOf (s.directories or [ ])) config.environment.persistence
    else
      null;
  persistence =
    if persistenceDeclared then
      b.mapAttrs (_: normalize) config.environment.persistence
    else if persistenceDefined then
      throw "The option `environment.persistence' does not exist. (No module declares it: is impermanence's NixOS module imported?)"
    else
      null;
in
{
  inherit evaluator;
  fileSystems = b.mapAttrs (_: fs: {
    inherit (fs)
      device
      fsType
      options
      neededForBoot
      ;
  }) config.fileSystems;
  swapDevices = b.map (s: {
    inherit (s) device;
    randomEncryption = s.randomEncryption.enable or false;
  }) config.swapDevices;
  boot = {
    inherit (config.boot) kernelParams;
    initrd.luks.devices = b.mapAttrs (_: d: { inherit (d) device; }) config.boot.initrd.luks.devices;
    loader = {
      inherit (loader) timeout;
      efi = {
        inherit (loader.efi) efiSysMountPoint canTouchEfiVariables;
      };
      systemd-boot = {
        inherit (loader.systemd-boot)
          enable
          editor
          consoleMode
          configurationLimit
          ;
      };
      grub = {
        inherit (loader.grub)
          enable
          device
          devices
          efiSupport
          efiInstallAsRemovable
          copyKernels
          configurationLimit
          ;
        mirroredBoots = b.map (m: {
          inherit (m)
            path
            devices
            efiSysMountPoint
            efiBootloaderId
            ;
        }) loader.grub.mirroredBoots;
      };
    };
  };
  networking.hostName = config.networking.hostName;
  system = {
    inherit (config.system) stateVersion;
    build.installBootLoader = config.system.build.installBootLoader;
  };
  environment.persistence = persistence;
  persistenceOwners = owners;
  # Where the system's Nix builds: the settings Tabula's stateless.nix sets
  # (free-form here, as everything outside the stand-ins), null when unset.
  nixBuilds = {
    nixPackage = config.nix.package.name;
    buildDir = config.nix.settings.build-dir or null;
    daemonTmpdir = config.systemd.services.nix-daemon.environment.TMPDIR or null;
    daemonCacheDirectory = config.systemd.services.nix-daemon.serviceConfig.CacheDirectory or null;
    nixRemote = config.environment.variables.NIX_REMOTE or null;
    sudoExtraConfig = config.security.sudo.extraConfig or null;
    sudoRsExtraConfig = config.security.sudo-rs.extraConfig or null;
  };
  assertions = b.map (a: a.message) (b.filter (a: !a.assertion) config.assertions);
  warnings = config.warnings;
}
