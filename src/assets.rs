//! Files shipped inside the binary, for every room that needs them: the font
//! the overlay draws captions in and the report sets its charts in (DejaVu Sans
//! Bold, `assets/fonts`, free licence), and the demo's own (Roboto Bold).

pub static FONT_BYTES: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

/// The font AlphAction's demo draws its captions in (`visualizer.py`:
/// `Roboto-Bold.ttf`; Apache-2.0, `assets/fonts/Roboto-LICENSE.txt`): the
/// Pillow style draws with it.
pub static ROBOTO_BOLD: &[u8] = include_bytes!("../assets/fonts/Roboto-Bold.ttf");
