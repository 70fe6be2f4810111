#!/usr/bin/env bash
# Installs dtqvp's Debian 12 build and test dependencies when any is missing.
# Does nothing (and needs no root) when all are present.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config
  libsystemc-dev verilator
  yosys
  libfmt-dev libyaml-cpp-dev catch2 libcli11-dev nlohmann-json3-dev
  libopenblas-dev
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
  libunicorn-dev gdb-multiarch
  python3 python3-numpy python3-matplotlib python3-yaml
  python3-dev pybind11-dev python3-pybind11 python3-pandas  # the Python module (docs/python.md)
  dpkg-dev                                                 # make package: dpkg-shlibdeps (CPack DEB)
  libprotobuf-dev protobuf-compiler libonnx-dev python3-onnx
  graphviz  # dot: docs/img/architecture.svg (tools/architecture_diagram.py)
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "dtqvp: installing missing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "dtqvp: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
