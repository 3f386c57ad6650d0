# The Tabula LiveCD: a NixOS installation CD that boots straight into Tabula,
# full screen, as root, under the cage kiosk compositor, with the tools the
# step scripts run. Import it beside nixpkgs'
# installer/cd-dvd/installation-cd-minimal.nix (flake.nix does, as
# nixosConfigurations.livecd). docs/packaging.md describes what it does.
#
# Option names checked against nixpkgs (docs/packaging.md lists the files):
# services.cage (nixos/modules/services/wayland/cage.nix), services.getty,
# isoImage.* (nixos/modules/installer/cd-dvd/iso-image.nix), fonts.*.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.tabula.livecd;

  # Chromium refuses to run as root with its sandbox on, so the kiosk passes
  # --no-sandbox. The window still has contextIsolation, sandbox: true for
  # its renderer's JavaScript, no Node integration and a strict CSP, and it
  # loads only the app's own files (docs/security.md); root is what the steps
  # need (partitioning, mounting, nixos-install).
  kiosk = pkgs.writeShellScript "tabula-kiosk" ''
    exec ${lib.getExe' cfg.package "tabula-gui"} --no-sandbox --ozone-platform=wayland
  '';

  shellHelp = ''

    Tabula runs full screen on tty1 (Ctrl+Alt+F1). This console is a shell:
    run `sudo -i` for root. Ctrl+Alt+F2 to F6 each open one.
    Tabula closed? `sudo systemctl restart cage-tty1` brings it back.
  '';
in
{
  options.tabula.livecd.package = lib.mkOption {
    type = lib.types.package;
    description = "The Tabula package whose bin/tabula-gui the kiosk runs (flake.nix sets it).";
  };

  config = {
    assertions = [
      {
        # electron/backend/probe-boot-medium.ts finds the device the LiveCD
        # booted from through this mount (or the kernel's root=LABEL=), to
        # never offer it as an install target.
        assertion = config.fileSystems ? "/iso";
        message = "tabula.livecd: the ISO must be mounted at /iso (nixpkgs' iso-image.nix does it); Tabula's probe looks there for its own boot device.";
      }
      {
        # electron/backend/probe-os.ts tells the LiveCD apart by this variant.
        assertion = config.system.nixos.variant_id == "installer";
        message = "tabula.livecd: system.nixos.variant_id must stay \"installer\" (set by installation-device.nix); Tabula's probe reads it to know it runs on its LiveCD.";
      }
    ];

    # Tabula on tty1 as root: cage shows one application full screen and
    # ends when it ends. -s lets Ctrl+Alt+Fn switch to the other consoles;
    # -d asks clients to draw no decorations.
    services.cage = {
      enable = true;
      user = "root";
      program = kiosk;
      extraArguments = [
        "-s"
        "-d"
      ];
      environment = {
        # Virtual machines and machines without a GPU driver only have a
        # software renderer, which wlroots refuses unless told.
        WLR_RENDERER_ALLOW_SOFTWARE = "1";
        # Hardware cursors are often invisible in virtual machines.
        WLR_NO_HARDWARE_CURSORS = "1";
      };
    };

    # When Tabula (and with it cage) exits, for whatever reason, tty1 gets a
    # login shell instead of a blank screen.
    systemd.services."cage-tty1".unitConfig = {
      OnSuccess = "getty@tty1.service";
      OnFailure = "getty@tty1.service";
    };

    # The way out: the installer's consoles log in as `nixos` (password-less
    # sudo, installation-device.nix); their greeting says where Tabula is.
    services.getty.helpLine = shellHelp;

    # The tools the step scripts call (shared/plan), beside those of the
    # installer itself (nixos-install, nixos-enter, util-linux, ...).
    environment.systemPackages = with pkgs; [
      cfg.package
      gptfdisk # sgdisk
      parted
      btrfs-progs
      dosfstools
      e2fsprogs
      xfsprogs
      cryptsetup
      rsync
      nix-output-monitor
      util-linux
      attr
      acl
      git # flakes in a git checkout
      efibootmgr
      mkpasswd # hashed passwords for the design's users
    ];

    # Flakes: the generated configuration is a flake.
    nix.settings.experimental-features = [
      "nix-command"
      "flakes"
    ];

    # installation-cd-minimal turns fontconfig off (priority 500); a plain
    # definition wins, and Electron needs fonts to draw any text.
    fonts.fontconfig.enable = true;
    fonts.packages = [ pkgs.dejavu_fonts ];

    # The volume label becomes nixos-tabula-<release>-x86_64 and the image
    # nixos-tabula-<version>-x86_64-linux.iso; installation-cd-minimal sets
    # "minimal" at priority 500, so this plain definition wins.
    isoImage.edition = "tabula";
  };
}
