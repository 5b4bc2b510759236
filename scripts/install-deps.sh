#!/usr/bin/env bash
# Installs what nvviz-bench needs on a fresh Debian/Ubuntu machine. Idempotent:
# skips what is already there and says what it did.
#
#   scripts/install-deps.sh                 apt packages (+ Rust if cargo is missing)
#   scripts/install-deps.sh --static-ffmpeg also a static ffmpeg 9.0 with h264/hevc/av1_nvenc,
#                                           libsvtav1 and libvmaf, from the imageio-ffmpeg 0.8.1
#                                           wheel on PyPI, into ./tools/ffmpeg/ffmpeg
#   scripts/install-deps.sh --no-opencv     skip OpenCV (build with --no-default-features)
#
# The static ffmpeg needs NVIDIA driver >= 610 for NVENC (API 13.1); with an older
# driver use Debian/Ubuntu's ffmpeg, which this script always installs. `nvviz-bench
# doctor` tells which works on your machine.
set -euo pipefail

STATIC_FFMPEG=0
OPENCV=1
for arg in "$@"; do
  case "$arg" in
    --static-ffmpeg) STATIC_FFMPEG=1 ;;
    --no-opencv) OPENCV=0 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { echo "[install-deps] $*"; }
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# opencv-doc: OpenCV's sample videos (vtest.avi, tree.avi, Megamind_bugy.avi),
# real footage for the tests (tests/suite/real_footage.rs). binutils: scripts/package.sh
# (strip, objdump). debootstrap: tests/suite/package.rs runs the container's runtime
# steps and the packaged binary in a clean Debian chroot. slurm-wlm, munge:
# tests/suite/fleet.rs runs the Slurm fleet scripts on a one-node cluster it starts.
# valgrind: the CI gate's instruction counts (scripts/instructions.py).
# python3, python3-venv: the analysis scripts (scripts/*.py, tests/suite/scripts.rs) and the wheel's venvs (tests/suite/package.rs, tests/suite/adapters.rs).
packages=(ffmpeg python3 python3-venv pkg-config xz-utils ca-certificates curl opencv-doc binutils debootstrap slurm-wlm munge valgrind)
if [ "$OPENCV" -eq 1 ]; then
  packages+=(libopencv-dev clang libclang-dev)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  say "apt packages already installed: ${packages[*]}"
else
  say "installing apt packages: ${missing[*]}"
  sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  say "installed: ${missing[*]}"
fi

# The crate's rust-version (Cargo.toml), and what its dependencies need.
RUST_MIN=1.80
rust_ok() {  # is the cargo on PATH (or in ~/.cargo) at least RUST_MIN?
  local v
  v=$("$root/scripts/cargo" --version 2>/dev/null | awk '{print $2}') || return 1
  [ -n "$v" ] && [ "$(printf '%s\n%s\n' "$RUST_MIN" "$v" | sort -V | head -1)" = "$RUST_MIN" ]
}
too_old() {
  echo "[install-deps] error: $("$root/scripts/cargo" --version 2>/dev/null || echo 'no cargo') is older than Rust $RUST_MIN, which nvviz-bench needs." >&2
  echo "[install-deps] install a current toolchain with rustup (https://rustup.rs: curl https://sh.rustup.rs -sSf | sh), then rerun this script." >&2
  exit 1
}

if "$root/scripts/cargo" --version >/dev/null 2>&1; then
  rust_ok || too_old
  say "Rust already installed: $("$root/scripts/cargo" --version)"
else
  say "installing Rust (rustup, stable, minimal profile)"
  if curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component rustfmt,clippy; then
    say "installed Rust ($("$root/scripts/cargo" --version)); scripts/cargo finds it, or run: source \"\$HOME/.cargo/env\""
  else
    say "rustup unreachable; trying the distribution's cargo/rustc"
    DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq cargo rustc >/dev/null || true
    # Debian 12 ships Rust 1.63: too old. Say so now, not after minutes of compiling.
    rust_ok || too_old
  fi
fi

if [ "$STATIC_FFMPEG" -eq 1 ]; then
  dest="$root/tools/ffmpeg"
  if [ -x "$dest/ffmpeg" ] && "$dest/ffmpeg" -hide_banner -version >/dev/null 2>&1; then
    say "static ffmpeg already installed: $dest/ffmpeg ($("$dest/ffmpeg" -hide_banner -version | head -1))"
  else
    say "fetching the imageio-ffmpeg 0.8.1 wheel from PyPI (static ffmpeg 9.0, ~68 MB)"
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    python3 -m pip download --quiet --no-deps --only-binary=:all: \
      --platform manylinux_2_28_x86_64 --python-version 3.11 \
      imageio-ffmpeg==0.8.1 -d "$tmp"
    mkdir -p "$dest"
    python3 - "$tmp"/imageio_ffmpeg-0.8.1-*.whl "$dest/ffmpeg.partial" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.startswith("imageio_ffmpeg/binaries/ffmpeg-linux"))
    with z.open(name) as src, open(out, "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
PY
    chmod +x "$dest/ffmpeg.partial"
    mv "$dest/ffmpeg.partial" "$dest/ffmpeg"   # atomic: never a half-written ffmpeg in place
    say "installed $dest/ffmpeg ($("$dest/ffmpeg" -hide_banner -version | head -1))"
  fi
  say "use it with: NVVIZ_FFMPEG=$dest/ffmpeg nvviz-bench doctor   (NVENC needs driver >= 610)"
fi
