#!/usr/bin/env python3
"""src/cuda/kernels.cu -> src/cuda/kernels.ptx with NVRTC (no GPU needed).

    pip download --no-deps nvidia-cuda-nvrtc-cu12 && unzip it, then
    NVRTC=/path/to/libnvrtc.so.12 scripts/ptx.py

The PTX targets compute_52 and declares ISA 7.0 (CUDA 11.0 drivers, 450 and
later, compile it; the kernels use nothing newer), so any GPU with NVENC or
NVDEC that a current driver runs can load it. The first line records the
source's FNV-1a hash: a unit test in src/cuda/mod.rs fails when the two drift apart.
"""
import ctypes
import os
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
source = (root / "src/cuda/kernels.cu").read_bytes()
nvrtc = ctypes.CDLL(os.environ.get("NVRTC", "libnvrtc.so.12"))
prog = ctypes.c_void_p()
check = lambda rc, what: rc == 0 or sys.exit(f"{what} failed: {rc}")
check(nvrtc.nvrtcCreateProgram(ctypes.byref(prog), source, b"kernels.cu", 0, None, None), "create")
opts = [b"--gpu-architecture=compute_52", b"--use_fast_math"]
arr = (ctypes.c_char_p * len(opts))(*opts)
rc = nvrtc.nvrtcCompileProgram(prog, len(opts), arr)
size = ctypes.c_size_t()
nvrtc.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
log = ctypes.create_string_buffer(size.value)
nvrtc.nvrtcGetProgramLog(prog, log)
if rc != 0:
    sys.exit(log.value.decode())
nvrtc.nvrtcGetPTXSize(prog, ctypes.byref(size))
ptx = ctypes.create_string_buffer(size.value)
nvrtc.nvrtcGetPTX(prog, ptx)
text = ptx.value.decode()
text = re.sub(r"^\.version \d+\.\d+$", ".version 7.0", text, count=1, flags=re.M)
digest = 0xCBF29CE484222325  # FNV-1a, 64 bits: what the test computes without a crate
for byte in source:
    digest = ((digest ^ byte) * 0x100000001B3) % 2**64
digest = f"{digest:016x}"
(root / "src/cuda/kernels.ptx").write_text(f"// kernels.cu fnv1a64 {digest}\n{text}")
print(f"src/cuda/kernels.ptx: {len(text)} bytes from kernels.cu {digest[:12]}")
