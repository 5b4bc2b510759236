//! The GPU driven from this process: the CUDA driver (`driver`), NVDEC
//! (`nvdec`; a video read through it, `video`) and the tool's kernels (`kernels.cu`, embedded as PTX) — all
//! loaded at run time, so a build without them still needs only libc, and a
//! machine without them says which library is missing.
//!
//! A sibling of `ffmpeg`: ffmpeg still reads the container (it hands the
//! video's elementary stream over), the GPU decodes and draws in place.

/// A struct of C functions from one library loaded at run time: each field
/// the symbol of that name and signature (returning CUresult), the library
/// kept open with them.
macro_rules! c_api {
    ($name:ident from $library:literal; $($field:ident = $symbol:literal: fn($($arg:ty),*);)*) => {
        struct $name {
            $($field: unsafe extern "C" fn($($arg),*) -> super::driver::CuResult,)*
            _lib: libloading::Library,
        }

        impl $name {
            fn load(lib: libloading::Library) -> Result<Self, super::CudaError> {
                // SAFETY: each symbol is the library's C function of that signature.
                unsafe {
                    Ok(Self {
                        $($field: *lib.get(concat!($symbol, "\0").as_bytes()).map_err(|e| {
                            super::CudaError::Symbol {
                                library: $library,
                                symbol: $symbol,
                                detail: e.to_string(),
                            }
                        })?,)*
                        _lib: lib,
                    })
                }
            }
        }
    };
}
use c_api;

pub mod driver;
pub mod nvdec;
pub mod video;

use crate::results::failure::EncodeFailure;

/// The kernels as PTX (`scripts/ptx.py` makes it from `kernels.cu`).
pub const PTX: &str = include_str!("kernels.ptx");

/// Why the GPU could not be driven from this process.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CudaError {
    #[error("the NVIDIA driver's libcuda.so.1 cannot be loaded ({detail})")]
    NoDriver { detail: String },
    #[error("the NVIDIA driver's libnvcuvid.so.1 (NVDEC) cannot be loaded ({detail})")]
    NoNvdecLibrary { detail: String },
    #[error("{library} has no {symbol} ({detail}): the driver is too old")]
    Symbol {
        library: &'static str,
        symbol: &'static str,
        detail: String,
    },
    #[error("CUDA device {ordinal} does not exist ({count} visible)")]
    NoSuchGpu { ordinal: u32, count: i32 },
    #[error("{call} failed: {name} ({code})")]
    Call {
        call: &'static str,
        code: i32,
        name: String,
    },
    #[error("{detail}")]
    Unsupported { detail: String },
    #[error("NVDEC scales to even sizes only, not {width}x{height}")]
    OddSize { width: u32, height: u32 },
}

impl From<CudaError> for EncodeFailure {
    /// In the classes the ffmpeg path's failures use, with their fixes.
    fn from(e: CudaError) -> Self {
        match e {
            CudaError::NoDriver { .. } => Self::DriverLibraryMissing {
                library: "libcuda.so.1".into(),
            },
            CudaError::NoNvdecLibrary { .. } => Self::DriverLibraryMissing {
                library: "libnvcuvid.so.1".into(),
            },
            CudaError::Unsupported { .. } | CudaError::OddSize { .. } => Self::NvdecUnsupported {
                detail: e.to_string(),
            },
            CudaError::Symbol { .. } | CudaError::NoSuchGpu { .. } | CudaError::Call { .. } => {
                Self::CudaUnavailable {
                    detail: e.to_string(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a, 64 bits (what `scripts/ptx.py` records).
    fn fnv1a(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
    }

    #[test]
    fn the_ptx_is_made_from_this_kernels_cu() {
        let first = PTX.lines().next().unwrap();
        let recorded = first.strip_prefix("// kernels.cu fnv1a64 ").unwrap();
        let source = include_bytes!("kernels.cu");
        assert_eq!(
            recorded,
            format!("{:016x}", fnv1a(source)),
            "kernels.cu changed: run scripts/ptx.py"
        );
        for kernel in ["nv12_to_bgr", "composite_regions"] {
            assert!(PTX.contains(&format!(".entry {kernel}(")), "{kernel}");
        }
        assert!(
            PTX.contains("\n.version 7.0\n"),
            "ISA 7.0: CUDA 11 drivers load it"
        );
    }

    #[test]
    fn a_missing_library_is_classed_with_its_fix() {
        let f = EncodeFailure::from(CudaError::NoNvdecLibrary {
            detail: "libnvcuvid.so.1: cannot open shared object file".into(),
        });
        assert!(
            matches!(&f, EncodeFailure::DriverLibraryMissing { library } if library == "libnvcuvid.so.1"),
            "{f:?}"
        );
        let f = EncodeFailure::from(CudaError::OddSize {
            width: 641,
            height: 480,
        });
        assert!(f.to_string().contains("641x480"), "{f}");
    }
}
