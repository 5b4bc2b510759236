//! Results as a terminal shows them: the house table style, `bench`'s
//! end-of-run summary and `doctor`'s tables. Text made here; printed by the
//! CLI (the library never prints).

pub mod doctor;
pub mod render;
pub mod summary;

/// A table in the house style: condensed UTF-8 borders, wrapped to the terminal,
/// colour only on a terminal and never with NO_COLOR.
pub fn styled_table(header: &[&str]) -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table
        .load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    if std::env::var_os("NO_COLOR").is_some() {
        table.force_no_tty();
    }
    // Off a terminal comfy-table cannot ask for the width: take COLUMNS, as
    // ls and git do, and wrap cells to it instead of printing 250-column lines.
    if let Some(width) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|w| *w >= 40)
    {
        table.set_width(width);
    }
    if !header.is_empty() {
        table.set_header(header.to_vec());
    }
    table
}
