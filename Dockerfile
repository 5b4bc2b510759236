# nvviz-bench in a container: the portable build (no OpenCV: the guide's OpenCV
# modes write through ffmpeg with OpenCV's settings, and say so) on a slim
# Debian with ffmpeg. On a GPU host (NVIDIA Container Toolkit):
#
#   docker build -t nvviz-bench .
#   docker run --rm --gpus all -e NVIDIA_DRIVER_CAPABILITIES=compute,video,utility nvviz-bench doctor
#   docker run --rm --gpus all -v "$PWD/out:/work" nvviz-bench bench --export-json /work/results.json
#
# Without `video` in NVIDIA_DRIVER_CAPABILITIES the runtime does not mount
# libnvidia-encode and NVENC fails although nvidia-smi works; this image sets it,
# and `doctor` names the variable when a container lacks it.
# The runtime stage's steps are scripts/container-runtime.sh, which the tests run
# in a clean Debian chroot (no container engine runs on CI).

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN scripts/package.sh --out /dist

FROM debian:bookworm-slim
COPY --from=build /dist/ /dist/
COPY scripts/container-runtime.sh /usr/local/lib/nvviz-bench/container-runtime.sh
RUN sh /usr/local/lib/nvviz-bench/container-runtime.sh /dist/nvviz-bench-*-linux.tar.gz \
    && rm -rf /dist
ENV NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,video,utility
WORKDIR /work
ENTRYPOINT ["nvviz-bench"]
CMD ["doctor"]
