//! A packed BGR24 frame: the format the guide's visualizers hand to the encoder.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
    /// Row-major B, G, R bytes, no padding.
    pub data: Vec<u8>,
}

impl Frame {
    pub fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            data: vec![0; width as usize * height as usize * 3],
        }
    }

    pub fn bytes_len(width: u32, height: u32) -> usize {
        width as usize * height as usize * 3
    }

    pub fn stride(&self) -> usize {
        self.width as usize * 3
    }

    /// Writes the frame as a PNG (for `--snapshot`), whole or not at all.
    pub fn save_png(&self, path: &std::path::Path) -> anyhow::Result<()> {
        let mut rgb = self.data.clone();
        for px in rgb.chunks_exact_mut(3) {
            px.swap(0, 2);
        }
        let image = image::RgbImage::from_raw(self.width, self.height, rgb)
            .ok_or_else(|| anyhow::anyhow!("frame buffer does not match its size"))?;
        let mut png = std::io::Cursor::new(Vec::new());
        image
            .write_to(&mut png, image::ImageFormat::Png)
            .map_err(|e| anyhow::anyhow!("encoding {}: {e}", path.display()))?;
        crate::atomic_file::write_atomically(path, png.get_ref())
    }
}
