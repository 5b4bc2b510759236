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

    /// The whole frame as one band of rows.
    pub fn rows(&mut self) -> FrameRows<'_> {
        FrameRows {
            width: self.width,
            height: self.height,
            y0: 0,
            data: &mut self.data,
        }
    }

    /// The frame cut into bands of `band_height` rows (the last may be shorter),
    /// top to bottom: disjoint, so each can be drawn on its own thread.
    pub fn bands(&mut self, band_height: u32) -> impl Iterator<Item = FrameRows<'_>> {
        let (width, height, stride) = (self.width, self.height, self.stride());
        self.data
            .chunks_mut(band_height.max(1) as usize * stride)
            .enumerate()
            .map(move |(i, data)| FrameRows {
                width,
                height,
                y0: i as u32 * band_height.max(1),
                data,
            })
    }

    /// Writes the frame as a PNG (for `--snapshot`), whole or not at all.
    pub fn save_png(&self, path: &std::path::Path) -> Result<(), PngError> {
        let mut rgb = self.data.clone();
        for px in rgb.chunks_exact_mut(3) {
            px.swap(0, 2);
        }
        let image =
            image::RgbImage::from_raw(self.width, self.height, rgb).ok_or(PngError::Size)?;
        let mut png = std::io::Cursor::new(Vec::new());
        image
            .write_to(&mut png, image::ImageFormat::Png)
            .map_err(|cause| PngError::Encode {
                path: path.to_path_buf(),
                cause,
            })?;
        Ok(crate::atomic_file::write_atomically(path, png.get_ref())?)
    }
}

/// A frame that could not be written as a PNG.
#[derive(Debug, thiserror::Error)]
pub enum PngError {
    #[error("frame buffer does not match its size")]
    Size,
    #[error("encoding {}: {cause}", path.display())]
    Encode {
        path: std::path::PathBuf,
        cause: image::ImageError,
    },
    #[error(transparent)]
    File(#[from] crate::atomic_file::OutputFileError),
}

/// Rows `y0..y1()` of a frame, borrowed mutably: the unit of work when one
/// frame is split across threads. Coordinates stay the frame's own.
pub struct FrameRows<'a> {
    pub width: u32,
    /// The whole frame's height (the band's is `y1() - y0`).
    pub height: u32,
    pub y0: u32,
    /// B, G, R bytes of rows `y0..y1()` only.
    pub data: &'a mut [u8],
}

impl FrameRows<'_> {
    pub fn stride(&self) -> usize {
        self.width as usize * 3
    }

    /// One past the last row of the band.
    pub fn y1(&self) -> u32 {
        self.y0 + (self.data.len() / self.stride().max(1)) as u32
    }

    /// Bytes `x0..x1` (pixels) of frame row `y`, which must lie in the band.
    pub fn span_mut(&mut self, y: u32, x0: u32, x1: u32) -> &mut [u8] {
        let start = (y - self.y0) as usize * self.stride();
        &mut self.data[start + x0 as usize * 3..start + x1 as usize * 3]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_cover_the_frame_once_in_order() {
        let mut f = Frame::new(5, 7);
        let bands: Vec<(u32, u32)> = f.bands(3).map(|b| (b.y0, b.y1())).collect();
        assert_eq!(bands, vec![(0, 3), (3, 6), (6, 7)]);
        let mut whole = f.rows();
        assert_eq!((whole.y0, whole.y1()), (0, 7));
        whole.span_mut(6, 4, 5).fill(9);
        assert_eq!(f.data[6 * 15 + 12..], [9, 9, 9]);
    }
}
