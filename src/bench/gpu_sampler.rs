//! Samples NVML while a case runs: encoder utilization, encoder fps/latency,
//! GPU memory and clocks — on GPU 0, or on the GPUs a case is pinned to
//! (`--gpu`), each sample naming its GPU. Silent where there is no NVIDIA driver.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nvml_wrapper::enum_wrappers::device::Clock;
use nvml_wrapper::{Device, Nvml};

use crate::results::GpuSample;

pub struct GpuSampler {
    stop: Arc<AtomicBool>,
    samples: Arc<Mutex<Vec<GpuSample>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl GpuSampler {
    /// Starts sampling NVML's `indices` (none: GPU 0, unnamed) every
    /// `period`; `None` without NVML.
    pub fn start(period: Duration, indices: &[u32]) -> Option<Self> {
        let nvml = Nvml::init().ok()?;
        if nvml.device_count().ok()? == 0 {
            return None;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(Mutex::new(Vec::new()));
        let pinned = !indices.is_empty();
        let indices = if pinned { indices.to_vec() } else { vec![0] };
        let thread = {
            let (stop, samples) = (stop.clone(), samples.clone());
            std::thread::spawn(move || {
                let devices: Vec<(u32, Device<'_>)> = indices
                    .iter()
                    .filter_map(|&i| Some((i, nvml.device_by_index(i).ok()?)))
                    .collect();
                let started = Instant::now();
                while !stop.load(Ordering::Relaxed) {
                    let t_s = started.elapsed().as_secs_f64();
                    let taken: Vec<GpuSample> = devices
                        .iter()
                        .map(|(index, device)| sample(device, t_s, pinned.then_some(*index)))
                        .collect();
                    if let Ok(mut s) = samples.lock() {
                        s.extend(taken);
                    }
                    std::thread::sleep(period);
                }
            })
        };
        Some(Self {
            stop,
            samples,
            thread: Some(thread),
        })
    }

    pub fn finish(mut self) -> Vec<GpuSample> {
        self.stop_thread();
        self.samples.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn stop_thread(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One reading of `device`.
fn sample(device: &Device<'_>, t_s: f64, gpu: Option<u32>) -> GpuSample {
    let stats = device.encoder_stats().ok();
    GpuSample {
        t_s,
        gpu,
        encoder_utilization_percent: device.encoder_utilization().ok().map(|u| u.utilization),
        decoder_utilization_percent: device.decoder_utilization().ok().map(|u| u.utilization),
        encoder_sessions: stats.as_ref().map(|s| s.session_count),
        encoder_fps: stats.as_ref().map(|s| s.average_fps),
        encoder_latency_us: stats.as_ref().map(|s| s.average_latency),
        gpu_utilization_percent: device.utilization_rates().ok().map(|u| u.gpu),
        memory_used_mib: device.memory_info().ok().map(|m| m.used / (1024 * 1024)),
        video_clock_mhz: device.clock_info(Clock::Video).ok(),
        sm_clock_mhz: device.clock_info(Clock::SM).ok(),
    }
}

impl Drop for GpuSampler {
    /// A sampler dropped without `finish` (a case retried) stops its thread too.
    fn drop(&mut self) {
        self.stop_thread();
    }
}
