//! The CUDA driver API (`libcuda.so.1`), loaded at run time: the GPU's
//! primary context, device and pinned host memory, copies, and the tool's
//! kernels (`kernels.ptx`, compiled by the driver on first use).

use std::ffi::{c_char, c_void, CStr};
use std::sync::Arc;

use libloading::Library;

use super::CudaError;

pub type CuResult = i32;
pub type DevicePtr = u64;
type Handle = *mut c_void;

/// `CU_CTX_SCHED_BLOCKING_SYNC`: a wait for the GPU sleeps, not spins (a
/// spinning wait would be counted as the decoder's CPU).
const SCHED_BLOCKING_SYNC: u32 = 0x4;
/// `CU_MEMHOSTREGISTER_PORTABLE`.
const REGISTER_PORTABLE: u32 = 0x1;
const ALREADY_REGISTERED: CuResult = 712;

super::c_api! {
    Api from "libcuda.so.1";
    init = "cuInit": fn(u32);
    device_get_count = "cuDeviceGetCount": fn(*mut i32);
    device_get = "cuDeviceGet": fn(*mut i32, i32);
    primary_set_flags = "cuDevicePrimaryCtxSetFlags_v2": fn(i32, u32);
    primary_retain = "cuDevicePrimaryCtxRetain": fn(*mut Handle, i32);
    primary_release = "cuDevicePrimaryCtxRelease_v2": fn(i32);
    ctx_push = "cuCtxPushCurrent_v2": fn(Handle);
    ctx_pop = "cuCtxPopCurrent_v2": fn(*mut Handle);
    mem_alloc = "cuMemAlloc_v2": fn(*mut DevicePtr, usize);
    mem_free = "cuMemFree_v2": fn(DevicePtr);
    host_alloc = "cuMemHostAlloc": fn(*mut *mut c_void, usize, u32);
    host_free = "cuMemFreeHost": fn(*mut c_void);
    host_register = "cuMemHostRegister_v2": fn(*mut c_void, usize, u32);
    host_unregister = "cuMemHostUnregister": fn(*mut c_void);
    copy_2d = "cuMemcpy2DAsync_v2": fn(*const Copy2d, Handle);
    copy_htod = "cuMemcpyHtoDAsync_v2": fn(DevicePtr, *const c_void, usize, Handle);
    module_load = "cuModuleLoadData": fn(*mut Handle, *const c_void);
    module_function = "cuModuleGetFunction": fn(*mut Handle, Handle, *const c_char);
    launch = "cuLaunchKernel": fn(Handle, u32, u32, u32, u32, u32, u32, u32, Handle, *mut *mut c_void, *mut *mut c_void);
    stream_create = "cuStreamCreate": fn(*mut Handle, u32);
    stream_destroy = "cuStreamDestroy_v2": fn(Handle);
    stream_sync = "cuStreamSynchronize": fn(Handle);
    error_name = "cuGetErrorName": fn(CuResult, *mut *const c_char);
}

/// `CUDA_MEMCPY2D`.
#[repr(C)]
#[derive(Default)]
pub struct Copy2d {
    pub src_x_bytes: usize,
    pub src_y: usize,
    pub src_memory_type: u32,
    pub src_host: usize,
    pub src_device: DevicePtr,
    pub src_array: usize,
    pub src_pitch: usize,
    pub dst_x_bytes: usize,
    pub dst_y: usize,
    pub dst_memory_type: u32,
    pub dst_host: usize,
    pub dst_device: DevicePtr,
    pub dst_array: usize,
    pub dst_pitch: usize,
    pub width_bytes: usize,
    pub height: usize,
}

/// `CUmemorytype`.
pub const MEMORY_HOST: u32 = 1;
pub const MEMORY_DEVICE: u32 = 2;

/// One GPU's primary context, with the driver that runs it.
pub struct Cuda {
    api: Api,
    device: i32,
    context: Handle,
    pub ordinal: u32,
    /// The kernels' functions, once their module is loaded (the driver
    /// compiles the PTX then: once a process, not once a run).
    functions: std::sync::Mutex<Option<[usize; 2]>>,
}

// SAFETY: the driver's handles may be used from any thread once the context
// is made current there (`Cuda::current`).
unsafe impl Send for Cuda {}
unsafe impl Sync for Cuda {}

impl Cuda {
    /// The driver on CUDA device `ordinal` (CUDA's numbering, as `--gpu`),
    /// opened once a process: the primary context a trial made is the one
    /// the run then uses, so a run's clock holds no context start (a
    /// context's start took about 0.1 s a render on the lent GPUs).
    pub fn open(ordinal: u32) -> Result<Arc<Self>, CudaError> {
        static OPENED: std::sync::Mutex<Vec<Arc<Cuda>>> = std::sync::Mutex::new(Vec::new());
        let mut opened = OPENED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(cuda) = opened.iter().find(|c| c.ordinal == ordinal) {
            return Ok(cuda.clone());
        }
        let cuda = Self::open_new(ordinal)?;
        opened.push(cuda.clone());
        Ok(cuda)
    }

    fn open_new(ordinal: u32) -> Result<Arc<Self>, CudaError> {
        // SAFETY: loading the system's CUDA driver library runs its initialisers only.
        let lib = unsafe { Library::new("libcuda.so.1") }.map_err(|e| CudaError::NoDriver {
            detail: e.to_string(),
        })?;
        let api = Api::load(lib)?;
        // SAFETY: plain driver calls with valid out-pointers.
        unsafe {
            check(&api, (api.init)(0), "cuInit")?;
            let mut count = 0;
            check(&api, (api.device_get_count)(&mut count), "cuDeviceGetCount")?;
            if ordinal as i32 >= count {
                return Err(CudaError::NoSuchGpu { ordinal, count });
            }
            let mut device = 0;
            check(
                &api,
                (api.device_get)(&mut device, ordinal as i32),
                "cuDeviceGet",
            )?;
            // Fails where another user made the context first: its flags stand.
            let _ = (api.primary_set_flags)(device, SCHED_BLOCKING_SYNC);
            let mut context = std::ptr::null_mut();
            check(
                &api,
                (api.primary_retain)(&mut context, device),
                "cuDevicePrimaryCtxRetain",
            )?;
            Ok(Arc::new(Self {
                api,
                device,
                context,
                ordinal,
                functions: std::sync::Mutex::new(None),
            }))
        }
    }

    /// Makes the context current on this thread while the guard lives.
    pub fn current(&self) -> Result<Current<'_>, CudaError> {
        // SAFETY: the context is retained for as long as `self` lives.
        self.check(
            unsafe { (self.api.ctx_push)(self.context) },
            "cuCtxPushCurrent",
        )?;
        Ok(Current { cuda: self })
    }

    fn check(&self, code: CuResult, call: &'static str) -> Result<(), CudaError> {
        check(&self.api, code, call)
    }

    pub fn alloc(self: &Arc<Self>, bytes: usize) -> Result<DeviceBuffer, CudaError> {
        let _current = self.current()?;
        let mut ptr = 0;
        // SAFETY: a valid out-pointer, the context current.
        self.check(
            unsafe { (self.api.mem_alloc)(&mut ptr, bytes) },
            "cuMemAlloc",
        )?;
        Ok(DeviceBuffer {
            cuda: self.clone(),
            ptr,
            bytes,
        })
    }

    /// Page-locked host memory the GPU copies to and from directly.
    pub fn pinned(self: &Arc<Self>, bytes: usize) -> Result<PinnedBuffer, CudaError> {
        let _current = self.current()?;
        let mut ptr = std::ptr::null_mut();
        // SAFETY: a valid out-pointer; freed with cuMemFreeHost on drop.
        self.check(
            unsafe { (self.api.host_alloc)(&mut ptr, bytes.max(1), 0) },
            "cuMemHostAlloc",
        )?;
        Ok(PinnedBuffer {
            cuda: self.clone(),
            ptr: ptr.cast(),
            bytes,
        })
    }

    /// Page-locks `bytes` so the GPU copies into them directly (no staging
    /// copy on the CPU). False where the driver declines (the caller then
    /// goes through a pinned buffer); already registered counts as done.
    ///
    /// # Safety
    /// The memory must stay allocated until `unregister`.
    pub unsafe fn register(&self, bytes: &mut [u8]) -> bool {
        let Ok(_current) = self.current() else {
            return false;
        };
        let code =
            (self.api.host_register)(bytes.as_mut_ptr().cast(), bytes.len(), REGISTER_PORTABLE);
        code == 0 || code == ALREADY_REGISTERED
    }

    /// # Safety
    /// `ptr` was registered with `register`.
    pub unsafe fn unregister(&self, ptr: *mut u8) {
        let _current = self.current();
        let _ = (self.api.host_unregister)(ptr.cast());
    }

    pub fn stream(self: &Arc<Self>) -> Result<Stream, CudaError> {
        let _current = self.current()?;
        let mut handle = std::ptr::null_mut();
        // SAFETY: a valid out-pointer; destroyed on drop.
        self.check(
            unsafe { (self.api.stream_create)(&mut handle, 0) },
            "cuStreamCreate",
        )?;
        Ok(Stream {
            cuda: self.clone(),
            handle,
        })
    }

    /// The tool's kernels (`kernels.ptx`), compiled by the driver for this GPU
    /// the first time a process asks.
    pub fn kernels(self: &Arc<Self>) -> Result<Kernels, CudaError> {
        let mut functions = self.functions.lock().unwrap_or_else(|e| e.into_inner());
        let [nv12_to_bgr, composite] = match *functions {
            Some(loaded) => loaded,
            None => *functions.insert(self.load_kernels()?),
        };
        Ok(Kernels {
            cuda: self.clone(),
            nv12_to_bgr: nv12_to_bgr as Handle,
            composite: composite as Handle,
        })
    }

    /// `kernels.ptx` loaded into the context: its two functions.
    fn load_kernels(&self) -> Result<[usize; 2], CudaError> {
        let ptx = std::ffi::CString::new(super::PTX).expect("the PTX text has no NUL");
        let _current = self.current()?;
        let mut module = std::ptr::null_mut();
        // SAFETY: a NUL-terminated PTX image and a valid out-pointer.
        self.check(
            unsafe { (self.api.module_load)(&mut module, ptx.as_ptr().cast()) },
            "cuModuleLoadData",
        )?;
        let function = |name: &CStr| {
            let mut f = std::ptr::null_mut();
            // SAFETY: a loaded module and a NUL-terminated name.
            self.check(
                unsafe { (self.api.module_function)(&mut f, module, name.as_ptr()) },
                "cuModuleGetFunction",
            )
            .map(|()| f)
        };
        Ok([
            function(c"nv12_to_bgr")? as usize,
            function(c"composite_regions")? as usize,
        ])
    }
}

impl Drop for Cuda {
    fn drop(&mut self) {
        // SAFETY: the context was retained in `open`.
        unsafe {
            (self.api.primary_release)(self.device);
        }
    }
}

fn check(api: &Api, code: CuResult, call: &'static str) -> Result<(), CudaError> {
    if code == 0 {
        return Ok(());
    }
    let mut name: *const c_char = std::ptr::null();
    // SAFETY: the driver returns a static string or leaves it null.
    let name = unsafe {
        (api.error_name)(code, &mut name);
        if name.is_null() {
            format!("CUDA error {code}")
        } else {
            CStr::from_ptr(name).to_string_lossy().into_owned()
        }
    };
    Err(CudaError::Call { call, code, name })
}

/// The context current on this thread; the previous one back on drop.
pub struct Current<'a> {
    cuda: &'a Cuda,
}

impl Drop for Current<'_> {
    fn drop(&mut self) {
        let mut popped = std::ptr::null_mut();
        // SAFETY: pushed in `Cuda::current`.
        unsafe {
            (self.cuda.api.ctx_pop)(&mut popped);
        }
    }
}

pub struct DeviceBuffer {
    cuda: Arc<Cuda>,
    pub ptr: DevicePtr,
    pub bytes: usize,
}

impl Drop for DeviceBuffer {
    fn drop(&mut self) {
        // SAFETY: allocated by cuMemAlloc.
        let _current = self.cuda.current();
        unsafe {
            (self.cuda.api.mem_free)(self.ptr);
        }
    }
}

pub struct PinnedBuffer {
    cuda: Arc<Cuda>,
    ptr: *mut u8,
    bytes: usize,
}

impl PinnedBuffer {
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `bytes` bytes allocated by cuMemHostAlloc, alive with self.
        unsafe { std::slice::from_raw_parts(self.ptr, self.bytes) }
    }

    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as above, borrowed mutably.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.bytes) }
    }
}

impl Drop for PinnedBuffer {
    fn drop(&mut self) {
        // SAFETY: allocated by cuMemHostAlloc.
        let _current = self.cuda.current();
        unsafe {
            (self.cuda.api.host_free)(self.ptr.cast());
        }
    }
}

/// A CUDA stream: the copies and kernels of one frame run on it in order.
pub struct Stream {
    cuda: Arc<Cuda>,
    pub(super) handle: Handle,
}

// SAFETY: a stream belongs to the context, not to a thread; every call
// makes the context current on the calling thread first.
unsafe impl Send for Stream {}

impl Stream {
    pub fn copy_2d(&self, copy: &Copy2d) -> Result<(), CudaError> {
        let _current = self.cuda.current()?;
        // SAFETY: the caller describes memory it owns for the copy's duration
        // (until `sync`).
        self.cuda.check(
            unsafe { (self.cuda.api.copy_2d)(copy, self.handle) },
            "cuMemcpy2DAsync",
        )
    }

    /// Copies `bytes` (pinned, or read before `sync` returns) to `dst`.
    pub fn upload(&self, dst: DevicePtr, bytes: &[u8]) -> Result<(), CudaError> {
        let _current = self.cuda.current()?;
        // SAFETY: `dst` holds at least `bytes.len()` bytes (the caller's buffer).
        self.cuda.check(
            unsafe {
                (self.cuda.api.copy_htod)(dst, bytes.as_ptr().cast(), bytes.len(), self.handle)
            },
            "cuMemcpyHtoDAsync",
        )
    }

    pub fn sync(&self) -> Result<(), CudaError> {
        let _current = self.cuda.current()?;
        // SAFETY: a live stream.
        self.cuda.check(
            unsafe { (self.cuda.api.stream_sync)(self.handle) },
            "cuStreamSynchronize",
        )
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // SAFETY: created by cuStreamCreate.
        let _current = self.cuda.current();
        unsafe {
            (self.cuda.api.stream_destroy)(self.handle);
        }
    }
}

/// The tool's kernels, loaded in the current context.
pub struct Kernels {
    cuda: Arc<Cuda>,
    nv12_to_bgr: Handle,
    composite: Handle,
}

/// An nv12 picture in GPU memory: luma rows, then (at `chroma`) the
/// interleaved chroma rows, both `pitch` bytes apart.
#[derive(Debug, Clone, Copy)]
pub struct Nv12Surface {
    pub luma: DevicePtr,
    pub chroma: DevicePtr,
    pub pitch: u32,
    pub width: u32,
    pub height: u32,
}

impl Kernels {
    /// `surface` as packed BGR rows of `3 * width` bytes at `bgr`.
    pub fn nv12_to_bgr(
        &self,
        stream: &Stream,
        surface: &Nv12Surface,
        bgr: DevicePtr,
        bt709: bool,
    ) -> Result<(), CudaError> {
        let (w, h) = (surface.width, surface.height);
        let bgr_pitch = 3 * w;
        let bt709 = i32::from(bt709);
        let mut params: [*mut c_void; 9] = [
            ptr(&surface.luma),
            ptr(&surface.pitch),
            ptr(&surface.chroma),
            ptr(&surface.pitch),
            ptr(&bgr),
            ptr(&bgr_pitch),
            ptr(&w),
            ptr(&h),
            ptr(&bt709),
        ];
        self.launch(
            self.nv12_to_bgr,
            (w.div_ceil(32), h.div_ceil(8)),
            (32, 8),
            stream,
            &mut params,
        )
    }

    /// The packed layer (`overlay::layer::Packed`, uploaded: its pixels at
    /// `packs`, its table of `count` regions at `regions`, `blocks` 2x2
    /// blocks in all) composited over `src` into `dst`, a copy of it.
    #[allow(clippy::too_many_arguments)]
    pub fn composite(
        &self,
        stream: &Stream,
        src: &Nv12Surface,
        dst: &Nv12Surface,
        packs: DevicePtr,
        regions: DevicePtr,
        count: i32,
        blocks: i32,
    ) -> Result<(), CudaError> {
        if blocks == 0 {
            return Ok(());
        }
        let mut params: [*mut c_void; 10] = [
            ptr(&src.luma),
            ptr(&src.chroma),
            ptr(&src.pitch),
            ptr(&dst.luma),
            ptr(&dst.chroma),
            ptr(&dst.pitch),
            ptr(&packs),
            ptr(&regions),
            ptr(&count),
            ptr(&blocks),
        ];
        self.launch(
            self.composite,
            ((blocks as u32).div_ceil(256), 1),
            (256, 1),
            stream,
            &mut params,
        )
    }

    fn launch(
        &self,
        function: Handle,
        grid: (u32, u32),
        block: (u32, u32),
        stream: &Stream,
        params: &mut [*mut c_void],
    ) -> Result<(), CudaError> {
        let _current = self.cuda.current()?;
        // SAFETY: `params` point at values of the kernel's parameter types,
        // alive until the launch returns (the driver copies them).
        self.cuda.check(
            unsafe {
                (self.cuda.api.launch)(
                    function,
                    grid.0,
                    grid.1,
                    1,
                    block.0,
                    block.1,
                    1,
                    0,
                    stream.handle,
                    params.as_mut_ptr(),
                    std::ptr::null_mut(),
                )
            },
            "cuLaunchKernel",
        )
    }
}

fn ptr<T>(value: &T) -> *mut c_void {
    (value as *const T).cast_mut().cast()
}
