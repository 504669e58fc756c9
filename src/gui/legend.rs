//! Plot legends drawn as a row of coloured names above the plot: egui_plot's legend sits inside
//! the plot and hides the curves it names.

use eframe::egui::{self, Color32};

/// Series colours, distinguishable on the dark and the light theme.
pub const SERIES_COLORS: [Color32; 4] = crate::gui::theme::SERIES;

/// A colour swatch and name for each series, on one wrapping line.
pub fn legend_row_ui(ui: &mut egui::Ui, series: &[(&str, Color32)]) {
    ui.horizontal_wrapped(|ui| {
        for (name, color) in series {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 4.0), egui::Sense::hover());
            ui.painter().rect_filled(rect, 1.0, *color);
            ui.small(*name);
        }
    });
}
