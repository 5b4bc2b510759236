//! The report's sections, one file each, in the order `report::build` puts
//! them: the guide's tables measured (performance, presets, components), what
//! limits the pipeline (analysis), NVENC's headroom and the pipe's transport,
//! then the environment, the machines side by side and a fleet.

pub mod across_machines;
pub mod analysis;
pub mod components;
pub mod environment;
pub mod fleet;
pub mod headroom;
pub mod performance;
pub mod presets;
pub mod transport;
