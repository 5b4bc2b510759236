//! Which GPU a case ran on (`--gpu`): NVML's index (as `nvidia-smi` numbers
//! GPUs) and the CUDA ordinal ffmpeg's `-gpu` and `cuda=gpu:N` take, which
//! `CUDA_VISIBLE_DEVICES` may renumber.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GpuPin {
    /// NVML's index: what `nvidia-smi` shows and NVML samples.
    pub index: u32,
    /// CUDA's ordinal for it in this process (what ffmpeg is given).
    pub cuda: u32,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
}

impl std::fmt::Display for GpuPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GPU {} ({})", self.index, self.name)?;
        if self.cuda != self.index {
            write!(f, ", CUDA device {}", self.cuda)?;
        }
        Ok(())
    }
}
