#!/usr/bin/env bash
# The portable release artifact: nvviz-bench built without OpenCV (it then needs
# only the C library), stripped, packed with its README, licences, shell
# completions and man page into
#   DIR/nvviz-bench-VERSION-ARCH-linux.tar.gz  and  …tar.gz.sha256
# and a MANIFEST inside naming the commit, toolchain, target, the libraries the
# binary needs and the oldest glibc it runs on (read from its symbol versions).
#
# Usage: scripts/package.sh [--out DIR] [--glibc VERSION]
#   --out DIR        where the tarball goes (default: dist/)
#   --glibc VERSION  link against an older glibc with cargo-zigbuild
#                    (`pip install ziglang cargo-zigbuild`): e.g. 2.31 for
#                    Ubuntu 20.04 / Debian 11. Without it the binary needs the
#                    glibc of the machine that built it (2.34+ on Debian 12).
#                    Rust's standard library needs 2.30 at least (gettid).
#
# The guide's OpenCV modes still run from this build: `original` and `fast`
# write through ffmpeg with the encoder and settings OpenCV's VideoWriter uses,
# and every output says so. It needs an ffmpeg on PATH (or --ffmpeg).
set -euo pipefail
cd "$(dirname "$0")/.."

out=dist
glibc=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="${2:?--out needs a directory}"; shift 2 ;;
    --glibc) glibc="${2:?--glibc needs a version such as 2.31}"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "package.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for tool in tar sha256sum objdump strip; do
  command -v "$tool" >/dev/null || {
    echo "package.sh: $tool not found: apt-get install binutils tar coreutils" >&2
    exit 1
  }
done

arch="$(uname -m)"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
# The release profile in the usual target directory: the dependencies are the
# ones `cargo build --release` (CI's end-to-end stage, the wheel) builds, so
# they are compiled once. The binary is stripped below. Note that the
# no-OpenCV binary is then target/release/nvviz-bench until the next
# `cargo build --release`.
target_dir="${CARGO_TARGET_DIR:-target}"
if [ -n "$glibc" ]; then
  command -v cargo-zigbuild >/dev/null || {
    echo "package.sh: --glibc needs cargo-zigbuild and zig: pip install ziglang cargo-zigbuild" >&2
    exit 1
  }
  triple="$arch-unknown-linux-gnu"
  CARGO_TARGET_DIR="$target_dir" scripts/cargo zigbuild --release --locked --no-default-features \
    --target "$triple.$glibc"
  built="$target_dir/$triple/release/nvviz-bench"
else
  CARGO_TARGET_DIR="$target_dir" scripts/cargo build --release --locked --no-default-features
  built="$target_dir/release/nvviz-bench"
fi

name="nvviz-bench-$version-$arch-linux"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
root="$stage/$name"
mkdir -p "$root/completions" "$root/man"
strip -o "$root/nvviz-bench" "$built"
cp README.md LICENSE-MIT LICENSE-APACHE "$root/"
# The fonts built into the binary, with their licences.
mkdir -p "$root/licenses"
cp assets/fonts/DejaVu-LICENSE.txt assets/fonts/Roboto-LICENSE.txt "$root/licenses/"
"$root/nvviz-bench" completions bash >"$root/completions/nvviz-bench.bash"
"$root/nvviz-bench" completions zsh >"$root/completions/_nvviz-bench"
"$root/nvviz-bench" completions fish >"$root/completions/nvviz-bench.fish"
"$root/nvviz-bench" man >"$root/man/nvviz-bench.1"
for sub in doctor bench render report compare completions man; do
  "$root/nvviz-bench" man "$sub" >"$root/man/nvviz-bench-$sub.1"
done

# What the binary needs from the machine it lands on, read from the binary.
needed="$(objdump -p "$root/nvviz-bench" | awk '/NEEDED/ {print $2}' | sort | tr '\n' ' ')"
min_glibc="$(objdump -T "$root/nvviz-bench" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n1)"
for lib in $needed; do
  case "$lib" in
    libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|libutil.so.*|libgcc_s.so.*|ld-linux*) ;;
    *) echo "package.sh: the portable binary needs $lib, which is not part of the C runtime" >&2; exit 1 ;;
  esac
done
commit="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
# Outside a git checkout (a source tarball, an action checked out without .git)
# there is no commit to name: "unknown", never a silent exit 128.
dirty="$(git status --porcelain --untracked-files=no 2>/dev/null | head -n1 || true)"
{
  echo "nvviz-bench $version ($arch, Linux)"
  echo "commit: $commit${dirty:+ (with uncommitted changes)}"
  echo "rustc: $(rustc --version 2>/dev/null || scripts/cargo --version)"
  echo "features: no-default-features (no OpenCV: original/fast write through ffmpeg with OpenCV's settings)"
  echo "needs: $needed"
  echo "min glibc: $min_glibc"
  echo "runtime: an ffmpeg on PATH, or --ffmpeg / NVVIZ_FFMPEG; NVIDIA's driver for NVENC"
} >"$root/MANIFEST.txt"

mkdir -p "$out"
tarball="$out/$name.tar.gz"
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$tarball.partial" "$name"
mv "$tarball.partial" "$tarball"
(cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
echo "$tarball"
echo "$tarball.sha256"
echo "min glibc $min_glibc; needs $needed" >&2
