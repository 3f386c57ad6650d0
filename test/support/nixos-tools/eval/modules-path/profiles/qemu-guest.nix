# Stand-in for nixpkgs nixos/modules/profiles/qemu-guest.nix (imported by
# nixos-generate-config in a QEMU/KVM guest): an empty module here.
{ ... }:
{
}
