//! Encoders and codecs as types: the codec an ffmpeg encoder makes and whether
//! it is NVIDIA's hardware encoder or a CPU one. The one place encoder names
//! are matched; results keep the names as ffmpeg spells them.

/// A codec the guide's modes encode to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    H264,
    Hevc,
    Av1,
}

/// NVIDIA's hardware encoders end in this.
const NVENC_SUFFIX: &str = "_nvenc";

impl Codec {
    pub const ALL: [Codec; 3] = [Codec::H264, Codec::Hevc, Codec::Av1];

    /// "h264", "hevc", "av1": as `--codecs` takes them.
    pub const fn name(self) -> &'static str {
        match self {
            Self::H264 => "h264",
            Self::Hevc => "hevc",
            Self::Av1 => "av1",
        }
    }

    pub fn parse(name: &str) -> Option<Codec> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// NVENC's encoder for this codec ("h264_nvenc").
    pub const fn nvenc(self) -> &'static str {
        match self {
            Self::H264 => "h264_nvenc",
            Self::Hevc => "hevc_nvenc",
            Self::Av1 => "av1_nvenc",
        }
    }

    /// CPU encoders that make this codec, in preference order.
    pub const fn cpu_encoders(self) -> &'static [&'static str] {
        match self {
            Self::H264 => &["libx264"],
            Self::Hevc => &["libx265"],
            Self::Av1 => &["libsvtav1", "libaom-av1"],
        }
    }

    /// The codec an ffmpeg encoder makes, where it is one of ours.
    pub fn of_encoder(encoder: &str) -> Option<Codec> {
        Self::ALL
            .into_iter()
            .find(|c| c.nvenc() == encoder || c.cpu_encoders().contains(&encoder))
    }
}

/// NVIDIA's hardware encoders, one per codec.
pub const NVENC_ENCODERS: [&str; 3] =
    [Codec::H264.nvenc(), Codec::Hevc.nvenc(), Codec::Av1.nvenc()];

/// The CPU encoders of every codec, in `Codec::ALL` order.
pub const CPU_ENCODERS: [&str; 4] = ["libx264", "libx265", "libsvtav1", "libaom-av1"];

/// Families of encoders whose options are spelled alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncoderFamily {
    Nvenc,
    X264,
    X265,
    SvtAv1,
    Aom,
    Other,
}

/// An ffmpeg encoder as ffmpeg names it ("h264_nvenc", "libx264"), and what
/// it is: NVIDIA's hardware encoder or a CPU one, its codec and the family
/// its options follow. Settings, trials and the fallback chain carry this;
/// results keep the name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct EncoderName(String);

impl EncoderName {
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// NVIDIA's hardware encoder (or another `*_nvenc` a newer ffmpeg lists).
    pub fn is_nvenc(&self) -> bool {
        is_nvenc(&self.0)
    }

    /// The codec it makes, where it is one of ours.
    pub fn codec(&self) -> Option<Codec> {
        Codec::of_encoder(&self.0)
    }

    /// The family whose option spellings it takes.
    pub fn family(&self) -> EncoderFamily {
        match self.0.as_str() {
            e if is_nvenc(e) => EncoderFamily::Nvenc,
            "libx264" => EncoderFamily::X264,
            "libx265" => EncoderFamily::X265,
            "libsvtav1" => EncoderFamily::SvtAv1,
            "libaom-av1" => EncoderFamily::Aom,
            _ => EncoderFamily::Other,
        }
    }
}

impl std::fmt::Display for EncoderName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&EncoderName> for EncoderName {
    fn from(name: &EncoderName) -> Self {
        name.clone()
    }
}

impl From<&str> for EncoderName {
    fn from(name: &str) -> Self {
        Self::new(name)
    }
}

impl PartialEq<str> for EncoderName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for EncoderName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// A codec or encoder a run may ask for that is neither.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not h264, hevc, av1 or an encoder name (libx264, hevc_nvenc, …)")]
pub struct UnknownCodec(pub String);

/// What `--codec`/`--codecs` asks for: a codec (NVENC's encoder first, a
/// CPU one on fallback) or one encoder by its ffmpeg name (NVENC or a
/// libavcodec `lib…` one). Written as it was asked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CodecRequest {
    Codec(Codec),
    Encoder(String),
}

impl CodecRequest {
    /// The encoder a case asks for first.
    pub fn encoder(&self) -> EncoderName {
        match self {
            Self::Codec(c) => EncoderName::from(c.nvenc()),
            Self::Encoder(name) => EncoderName::new(name.as_str()),
        }
    }
}

impl std::str::FromStr for CodecRequest {
    type Err = UnknownCodec;

    fn from_str(name: &str) -> Result<Self, UnknownCodec> {
        if let Some(codec) = Codec::parse(name) {
            Ok(Self::Codec(codec))
        } else if name.contains("lib") || is_nvenc(name) {
            Ok(Self::Encoder(name.to_string()))
        } else {
            Err(UnknownCodec(name.to_string()))
        }
    }
}

impl std::fmt::Display for CodecRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Codec(c) => f.write_str(c.name()),
            Self::Encoder(name) => f.write_str(name),
        }
    }
}

impl serde::Serialize for CodecRequest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An NVENC encoder (h264_nvenc, hevc_nvenc, av1_nvenc, or another `*_nvenc`
/// a newer ffmpeg lists).
pub fn is_nvenc(encoder: &str) -> bool {
    encoder.ends_with(NVENC_SUFFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_encoder_name_knows_what_it_is() {
        let nvenc = EncoderName::from("hevc_nvenc");
        assert!(nvenc.is_nvenc());
        assert_eq!(nvenc.codec(), Some(Codec::Hevc));
        assert_eq!(nvenc.family(), EncoderFamily::Nvenc);
        let aom = EncoderName::from("libaom-av1");
        assert!(!aom.is_nvenc());
        assert_eq!(
            (aom.codec(), aom.family()),
            (Some(Codec::Av1), EncoderFamily::Aom)
        );
        let other = EncoderName::from("mpeg4");
        assert_eq!(
            (other.codec(), other.family()),
            (None, EncoderFamily::Other)
        );
        assert_eq!(serde_json::to_value(&other).unwrap(), "mpeg4");
        assert_eq!(other, "mpeg4");
    }

    #[test]
    fn a_request_is_a_codec_or_an_encoder_as_asked() {
        let h264: CodecRequest = "h264".parse().unwrap();
        assert_eq!(h264, CodecRequest::Codec(Codec::H264));
        assert_eq!(h264.encoder(), "h264_nvenc");
        let x265: CodecRequest = "libx265".parse().unwrap();
        assert_eq!(x265.encoder(), "libx265");
        assert_eq!(x265.to_string(), "libx265");
        assert_eq!(serde_json::to_value(&h264).unwrap(), "h264");
        assert!("vp9".parse::<CodecRequest>().is_err());
    }

    #[test]
    fn every_codec_knows_its_encoders_both_ways() {
        for c in Codec::ALL {
            assert_eq!(Codec::parse(c.name()), Some(c));
            assert_eq!(Codec::of_encoder(c.nvenc()), Some(c));
            assert!(is_nvenc(c.nvenc()));
            for cpu in c.cpu_encoders() {
                assert_eq!(Codec::of_encoder(cpu), Some(c));
                assert!(!is_nvenc(cpu));
            }
        }
        assert_eq!(NVENC_ENCODERS, ["h264_nvenc", "hevc_nvenc", "av1_nvenc"]);
        let every_cpu: Vec<&str> = Codec::ALL
            .iter()
            .flat_map(|c| c.cpu_encoders())
            .copied()
            .collect();
        assert_eq!(every_cpu, CPU_ENCODERS);
        assert_eq!(Codec::of_encoder("mpeg4"), None);
        assert_eq!(Codec::parse("vp9"), None);
    }
}
