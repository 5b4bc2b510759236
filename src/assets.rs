//! Files shipped inside the binary, for every room that needs them: the font
//! the overlay draws captions in and the report sets its charts in (DejaVu Sans
//! Bold, `assets/fonts`, free licence).

pub static FONT_BYTES: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");
