//! NVDEC driven in this process (`libnvcuvid.so.1`, the driver's video
//! decoder, loaded at run time): NVIDIA's parser reads an Annex B elementary
//! stream (what ffmpeg's demuxer hands over, `ffmpeg::decode::demux_args`),
//! NVDEC decodes each picture into GPU memory, scaled there to the run's size,
//! and a decoded picture is lent out as an nv12 surface in display order.
//! No frame crosses a pipe: the CPU parses headers and makes driver calls.

use std::collections::VecDeque;
use std::ffi::c_void;
use std::sync::Arc;

use libloading::Library;

use super::driver::{CuResult, Cuda, DevicePtr, Nv12Surface, Stream};
use super::CudaError;

type Handle = *mut c_void;

use crate::ffmpeg::decode::NvdecCodec as Codec;

/// `cudaVideoCodec`.
fn codec_id(codec: Codec) -> i32 {
    match codec {
        Codec::H264 => 4,
        Codec::Hevc => 8,
    }
}

super::c_api! {
    Api from "libnvcuvid.so.1";
    caps = "cuvidGetDecoderCaps": fn(*mut DecodeCaps);
    create_decoder = "cuvidCreateDecoder": fn(*mut Handle, *mut CreateInfo);
    destroy_decoder = "cuvidDestroyDecoder": fn(Handle);
    decode_picture = "cuvidDecodePicture": fn(Handle, *mut c_void);
    map = "cuvidMapVideoFrame64": fn(Handle, i32, *mut DevicePtr, *mut u32, *mut ProcParams);
    unmap = "cuvidUnmapVideoFrame64": fn(Handle, DevicePtr);
    create_parser = "cuvidCreateVideoParser": fn(*mut Handle, *mut ParserParams);
    parse = "cuvidParseVideoData": fn(Handle, *mut Packet);
    destroy_parser = "cuvidDestroyVideoParser": fn(Handle);
}

#[repr(C)]
#[derive(Default)]
struct DecodeCaps {
    codec: i32,
    chroma_format: i32,
    bit_depth_minus8: u32,
    reserved1: [u32; 3],
    supported: u8,
    nvdecs: u8,
    output_formats: u16,
    max_width: u32,
    max_height: u32,
    max_mb_count: u32,
    min_width: u16,
    min_height: u16,
    reserved3: [u32; 12],
}

#[repr(C)]
#[derive(Default, Clone, Copy)]
struct Rect16 {
    left: i16,
    top: i16,
    right: i16,
    bottom: i16,
}

#[repr(C)]
struct CreateInfo {
    width: std::ffi::c_ulong,
    height: std::ffi::c_ulong,
    decode_surfaces: std::ffi::c_ulong,
    codec: i32,
    chroma_format: i32,
    creation_flags: std::ffi::c_ulong,
    bit_depth_minus8: std::ffi::c_ulong,
    intra_only: std::ffi::c_ulong,
    max_width: std::ffi::c_ulong,
    max_height: std::ffi::c_ulong,
    reserved1: std::ffi::c_ulong,
    display_area: Rect16,
    output_format: i32,
    deinterlace: i32,
    target_width: std::ffi::c_ulong,
    target_height: std::ffi::c_ulong,
    output_surfaces: std::ffi::c_ulong,
    lock: Handle,
    target_rect: Rect16,
    reserved2: [std::ffi::c_ulong; 5],
}

/// `CUVIDEOFORMAT` (the fields this path reads, in their places).
#[repr(C)]
struct VideoFormat {
    codec: i32,
    rate: [u32; 2],
    progressive: u8,
    bit_depth_luma_minus8: u8,
    bit_depth_chroma_minus8: u8,
    min_decode_surfaces: u8,
    coded_width: u32,
    coded_height: u32,
    display_area: [i32; 4],
    chroma_format: i32,
}

#[repr(C)]
struct ParserParams {
    codec: i32,
    max_decode_surfaces: u32,
    clock_rate: u32,
    error_threshold: u32,
    max_display_delay: u32,
    annex_b_flags: u32,
    reserved1: [u32; 4],
    user: *mut c_void,
    on_sequence: Option<unsafe extern "C" fn(*mut c_void, *mut VideoFormat) -> i32>,
    on_decode: Option<unsafe extern "C" fn(*mut c_void, *mut c_void) -> i32>,
    on_display: Option<unsafe extern "C" fn(*mut c_void, *mut DisplayInfo) -> i32>,
    on_operating_point: Handle,
    on_sei: Handle,
    reserved2: [Handle; 5],
    ext_video_info: Handle,
}

#[repr(C)]
struct Packet {
    flags: std::ffi::c_ulong,
    size: std::ffi::c_ulong,
    payload: *const u8,
    timestamp: i64,
}

const PACKET_END_OF_STREAM: std::ffi::c_ulong = 0x01;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
struct DisplayInfo {
    picture: i32,
    progressive: i32,
    top_field_first: i32,
    repeat_first_field: i32,
    timestamp: i64,
}

#[repr(C)]
struct ProcParams {
    progressive: i32,
    second_field: i32,
    top_field_first: i32,
    unpaired_field: i32,
    reserved_flags: u32,
    reserved_zero: u32,
    raw_input: u64,
    raw_input_pitch: u32,
    raw_input_format: u32,
    raw_output: u64,
    raw_output_pitch: u32,
    reserved1: u32,
    output_stream: Handle,
    reserved: [u32; 46],
    histogram: Handle,
    reserved2: [Handle; 1],
}

/// What the parser's callbacks share with the session (boxed: the parser
/// holds its address).
struct Callbacks {
    api: Arc<Api>,
    target: (u32, u32),
    decoder: Handle,
    ready: VecDeque<DisplayInfo>,
    error: Option<CudaError>,
}

/// One video's NVDEC session in the current CUDA context.
pub struct Session {
    cuda: Arc<Cuda>,
    api: Arc<Api>,
    parser: Handle,
    state: Box<Callbacks>,
}

// SAFETY: the parser and decoder are used from one thread at a time (the
// session is moved, never shared), with the context made current there.
unsafe impl Send for Session {}

impl Session {
    /// A session decoding `codec` into `width`x`height` nv12 pictures.
    pub fn new(
        cuda: Arc<Cuda>,
        codec: Codec,
        (width, height): (u32, u32),
    ) -> Result<Self, CudaError> {
        if width % 2 != 0 || height % 2 != 0 {
            return Err(CudaError::OddSize { width, height });
        }
        // SAFETY: the driver's own video library; its initialisers only.
        let lib =
            unsafe { Library::new("libnvcuvid.so.1") }.map_err(|e| CudaError::NoNvdecLibrary {
                detail: e.to_string(),
            })?;
        let api = Arc::new(Api::load(lib)?);
        let mut state = Box::new(Callbacks {
            api: api.clone(),
            target: (width, height),
            decoder: std::ptr::null_mut(),
            ready: VecDeque::new(),
            error: None,
        });
        let mut params = ParserParams {
            codec: codec_id(codec),
            max_decode_surfaces: 1,
            clock_rate: 0,
            error_threshold: 0,
            // Lets NVDEC run a few pictures ahead of the one lent out.
            max_display_delay: 2,
            annex_b_flags: 0,
            reserved1: [0; 4],
            user: (&mut *state as *mut Callbacks).cast(),
            on_sequence: Some(on_sequence),
            on_decode: Some(on_decode),
            on_display: Some(on_display),
            on_operating_point: std::ptr::null_mut(),
            on_sei: std::ptr::null_mut(),
            reserved2: [std::ptr::null_mut(); 5],
            ext_video_info: std::ptr::null_mut(),
        };
        let mut parser = std::ptr::null_mut();
        {
            let _current = cuda.current()?;
            // SAFETY: valid parameters; `state` outlives the parser (dropped after it).
            let code = unsafe { (api.create_parser)(&mut parser, &mut params) };
            call(code, "cuvidCreateVideoParser")?;
        }
        Ok(Self {
            cuda,
            api,
            parser,
            state,
        })
    }

    /// Hands the parser the next bytes of the stream (`None`: its end); the
    /// pictures they complete are decoded and queued in display order.
    pub fn feed(&mut self, bytes: Option<&[u8]>) -> Result<(), CudaError> {
        let mut packet = Packet {
            flags: if bytes.is_none() {
                PACKET_END_OF_STREAM
            } else {
                0
            },
            size: bytes.map_or(0, |b| b.len()) as std::ffi::c_ulong,
            payload: bytes.map_or(std::ptr::null(), |b| b.as_ptr()),
            timestamp: 0,
        };
        let _current = self.cuda.current()?;
        // SAFETY: the packet's bytes live through the call (the parser copies).
        let code = unsafe { (self.api.parse)(self.parser, &mut packet) };
        if let Some(e) = self.state.error.take() {
            return Err(e);
        }
        call(code, "cuvidParseVideoData")
    }

    /// Pictures decoded and waiting, in display order.
    pub fn ready(&self) -> usize {
        self.state.ready.len()
    }

    /// Drops the next waiting picture unseen (frames before a window's start).
    pub fn skip(&mut self) -> bool {
        self.state.ready.pop_front().is_some()
    }

    /// Lends the next waiting picture to `use_it` as an nv12 surface (work
    /// queued on `stream` finishes before it is given back). None when no
    /// picture waits.
    pub fn next<T>(
        &mut self,
        stream: &Stream,
        use_it: impl FnOnce(&Nv12Surface) -> Result<T, CudaError>,
    ) -> Result<Option<T>, CudaError> {
        let value = self.peek(stream, use_it)?;
        if value.is_some() {
            self.state.ready.pop_front();
        }
        Ok(value)
    }

    /// Lends the next waiting picture as [`Session::next`] does, but keeps it
    /// waiting: the next `next` lends it again (a run's warm-up, before its
    /// clock, of the path every picture takes).
    pub fn peek<T>(
        &mut self,
        stream: &Stream,
        use_it: impl FnOnce(&Nv12Surface) -> Result<T, CudaError>,
    ) -> Result<Option<T>, CudaError> {
        let Some(&info) = self.state.ready.front() else {
            return Ok(None);
        };
        let mut params = ProcParams {
            progressive: info.progressive,
            second_field: 0,
            top_field_first: info.top_field_first,
            unpaired_field: i32::from(info.repeat_first_field < 0),
            reserved_flags: 0,
            reserved_zero: 0,
            raw_input: 0,
            raw_input_pitch: 0,
            raw_input_format: 0,
            raw_output: 0,
            raw_output_pitch: 0,
            reserved1: 0,
            output_stream: stream.handle,
            reserved: [0; 46],
            histogram: std::ptr::null_mut(),
            reserved2: [std::ptr::null_mut(); 1],
        };
        let (mut ptr, mut pitch) = (0, 0);
        let _current = self.cuda.current()?;
        // SAFETY: a picture index the parser displayed, valid out-pointers.
        let code = unsafe {
            (self.api.map)(
                self.state.decoder,
                info.picture,
                &mut ptr,
                &mut pitch,
                &mut params,
            )
        };
        call(code, "cuvidMapVideoFrame")?;
        let (width, height) = self.state.target;
        let surface = Nv12Surface {
            luma: ptr,
            chroma: ptr + u64::from(pitch) * u64::from(height),
            pitch,
            width,
            height,
        };
        let result = use_it(&surface).and_then(|t| stream.sync().map(|()| t));
        // SAFETY: mapped above; the stream's work on it has finished.
        let code = unsafe { (self.api.unmap)(self.state.decoder, ptr) };
        let value = result?;
        call(code, "cuvidUnmapVideoFrame")?;
        Ok(Some(value))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let Ok(_current) = self.cuda.current() else {
            return;
        };
        // SAFETY: created in `new` and the sequence callback; destroyed once.
        unsafe {
            (self.api.destroy_parser)(self.parser);
            if !self.state.decoder.is_null() {
                (self.api.destroy_decoder)(self.state.decoder);
            }
        }
    }
}

fn call(code: CuResult, call: &'static str) -> Result<(), CudaError> {
    if code == 0 {
        Ok(())
    } else {
        Err(CudaError::Call {
            call,
            code,
            name: format!("CUDA error {code}"),
        })
    }
}

/// The stream's format is known: NVDEC asked whether it can, the decoder
/// made (the first time) with the run's output size. Returns the surfaces
/// the parser should keep, 0 to stop.
unsafe extern "C" fn on_sequence(user: *mut c_void, format: *mut VideoFormat) -> i32 {
    let state = &mut *user.cast::<Callbacks>();
    let format = &*format;
    match create_decoder(state, format) {
        Ok(surfaces) => surfaces,
        Err(e) => {
            state.error = Some(e);
            0
        }
    }
}

unsafe fn create_decoder(state: &mut Callbacks, format: &VideoFormat) -> Result<i32, CudaError> {
    let surfaces = i32::from(format.min_decode_surfaces).max(8) + 4;
    if !state.decoder.is_null() {
        return Ok(surfaces);
    }
    let mut caps = DecodeCaps {
        codec: format.codec,
        chroma_format: format.chroma_format,
        bit_depth_minus8: u32::from(format.bit_depth_luma_minus8),
        ..Default::default()
    };
    call((state.api.caps)(&mut caps), "cuvidGetDecoderCaps")?;
    let depth = 8 + u32::from(format.bit_depth_luma_minus8);
    if caps.supported == 0 {
        return Err(CudaError::Unsupported {
            detail: format!(
                "this GPU's NVDEC cannot decode {} at {depth} bits",
                chroma_name(format.chroma_format)
            ),
        });
    }
    if format.chroma_format != 1 || depth != 8 {
        return Err(CudaError::Unsupported {
            detail: format!(
                "in-process NVDEC hands over 8-bit 4:2:0 only; this video is {} at {depth} bits",
                chroma_name(format.chroma_format)
            ),
        });
    }
    if format.coded_width > caps.max_width || format.coded_height > caps.max_height {
        return Err(CudaError::Unsupported {
            detail: format!(
                "{}x{} is beyond this NVDEC's {}x{}",
                format.coded_width, format.coded_height, caps.max_width, caps.max_height
            ),
        });
    }
    let [left, top, right, bottom] = format.display_area;
    let (w, h) = state.target;
    let mut info = CreateInfo {
        width: format.coded_width.into(),
        height: format.coded_height.into(),
        decode_surfaces: surfaces as std::ffi::c_ulong,
        codec: format.codec,
        chroma_format: format.chroma_format,
        creation_flags: 0x04, // cudaVideoCreate_PreferCUVID: the video engines
        bit_depth_minus8: 0,
        intra_only: 0,
        max_width: format.coded_width.into(),
        max_height: format.coded_height.into(),
        reserved1: 0,
        display_area: Rect16 {
            left: left as i16,
            top: top as i16,
            right: right as i16,
            bottom: bottom as i16,
        },
        output_format: 0, // nv12
        deinterlace: if format.progressive != 0 { 0 } else { 2 },
        target_width: w.into(),
        target_height: h.into(),
        output_surfaces: 2,
        lock: std::ptr::null_mut(),
        target_rect: Rect16::default(),
        reserved2: [0; 5],
    };
    call(
        (state.api.create_decoder)(&mut state.decoder, &mut info),
        "cuvidCreateDecoder",
    )?;
    Ok(surfaces)
}

fn chroma_name(format: i32) -> &'static str {
    match format {
        0 => "monochrome",
        1 => "4:2:0",
        2 => "4:2:2",
        3 => "4:4:4",
        _ => "an unknown chroma format",
    }
}

unsafe extern "C" fn on_decode(user: *mut c_void, picture: *mut c_void) -> i32 {
    let state = &mut *user.cast::<Callbacks>();
    match call(
        (state.api.decode_picture)(state.decoder, picture),
        "cuvidDecodePicture",
    ) {
        Ok(()) => 1,
        Err(e) => {
            state.error = Some(e);
            0
        }
    }
}

unsafe extern "C" fn on_display(user: *mut c_void, info: *mut DisplayInfo) -> i32 {
    let state = &mut *user.cast::<Callbacks>();
    if let Some(info) = info.as_ref() {
        state.ready.push_back(*info);
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structs_have_the_c_layouts() {
        // Sizes of the C structs on x86-64 Linux (NVDECODE 12/13 headers).
        assert_eq!(std::mem::size_of::<CreateInfo>(), 176);
        assert_eq!(std::mem::offset_of!(CreateInfo, display_area), 80);
        assert_eq!(std::mem::offset_of!(CreateInfo, target_width), 96);
        assert_eq!(std::mem::offset_of!(CreateInfo, lock), 120);
        assert_eq!(std::mem::offset_of!(DecodeCaps, supported), 24);
        assert_eq!(std::mem::offset_of!(DecodeCaps, max_width), 28);
        assert_eq!(std::mem::size_of::<Packet>(), 32);
        assert_eq!(std::mem::size_of::<DisplayInfo>(), 24);
        assert_eq!(std::mem::offset_of!(ParserParams, user), 40);
        assert_eq!(std::mem::offset_of!(ParserParams, ext_video_info), 128);
        assert_eq!(std::mem::offset_of!(ProcParams, output_stream), 56);
        assert_eq!(std::mem::offset_of!(VideoFormat, coded_width), 16);
        assert_eq!(std::mem::offset_of!(VideoFormat, chroma_format), 40);
    }

    #[test]
    fn the_codecs_have_nvdecs_ids() {
        assert_eq!(codec_id(Codec::H264), 4);
        assert_eq!(codec_id(Codec::Hevc), 8);
    }
}
