//! Samples NVML while a case runs: encoder utilization, encoder fps/latency,
//! GPU memory and clocks. Silent where there is no NVIDIA driver.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nvml_wrapper::enum_wrappers::device::Clock;
use nvml_wrapper::Nvml;

pub use crate::results::GpuSample;

pub struct GpuSampler {
    stop: Arc<AtomicBool>,
    samples: Arc<Mutex<Vec<GpuSample>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl GpuSampler {
    /// Starts sampling GPU 0 every `period`; `None` without NVML.
    pub fn start(period: Duration) -> Option<Self> {
        let nvml = Nvml::init().ok()?;
        if nvml.device_count().ok()? == 0 {
            return None;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (stop, samples) = (stop.clone(), samples.clone());
            std::thread::spawn(move || {
                let Ok(device) = nvml.device_by_index(0) else {
                    return;
                };
                let started = Instant::now();
                while !stop.load(Ordering::Relaxed) {
                    let stats = device.encoder_stats().ok();
                    let sample = GpuSample {
                        t_s: started.elapsed().as_secs_f64(),
                        encoder_utilization_percent: device
                            .encoder_utilization()
                            .ok()
                            .map(|u| u.utilization),
                        decoder_utilization_percent: device
                            .decoder_utilization()
                            .ok()
                            .map(|u| u.utilization),
                        encoder_sessions: stats.as_ref().map(|s| s.session_count),
                        encoder_fps: stats.as_ref().map(|s| s.average_fps),
                        encoder_latency_us: stats.as_ref().map(|s| s.average_latency),
                        gpu_utilization_percent: device.utilization_rates().ok().map(|u| u.gpu),
                        memory_used_mib: device.memory_info().ok().map(|m| m.used / (1024 * 1024)),
                        video_clock_mhz: device.clock_info(Clock::Video).ok(),
                        sm_clock_mhz: device.clock_info(Clock::SM).ok(),
                    };
                    if let Ok(mut s) = samples.lock() {
                        s.push(sample);
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

impl Drop for GpuSampler {
    /// A sampler dropped without `finish` (a case retried) stops its thread too.
    fn drop(&mut self) {
        self.stop_thread();
    }
}
