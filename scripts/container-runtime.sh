#!/bin/sh
# The runtime image's steps — the Dockerfile's second stage runs exactly this,
# and tests/suite/package.rs runs it in a clean Debian chroot (debootstrap), since no
# container engine runs on the CI machines. Installs ffmpeg and the portable
# nvviz-bench from its release tarball (checked against its .sha256 beside it).
#   sh scripts/container-runtime.sh /dist/nvviz-bench-VERSION-ARCH-linux.tar.gz
set -eu
tarball="${1:?usage: container-runtime.sh TARBALL (with TARBALL.sha256 beside it)}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends ffmpeg ca-certificates >/dev/null
rm -rf /var/lib/apt/lists/*
(cd "$(dirname "$tarball")" && sha256sum -c "$(basename "$tarball").sha256")
mkdir -p /opt/nvviz-bench
tar -xzf "$tarball" -C /opt/nvviz-bench --strip-components=1 --no-same-owner
ln -sf /opt/nvviz-bench/nvviz-bench /usr/local/bin/nvviz-bench
install -D -m 644 /opt/nvviz-bench/completions/nvviz-bench.bash \
  /usr/share/bash-completion/completions/nvviz-bench
install -D -m 644 /opt/nvviz-bench/man/nvviz-bench.1 /usr/local/share/man/man1/nvviz-bench.1
nvviz-bench --version
