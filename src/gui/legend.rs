//! Plot legends drawn as a row of coloured names above the plot: egui_plot's legend sits inside
//! the plot and hides the curves it names.

use eframe::egui::{self, Color32};

/// Series colours, distinguishable on the dark and the light theme.
pub const SERIES_COLORS: [Color32; 4] = [
    Color32::from_rgb(90, 160, 255),
    Color32::from_rgb(255, 150, 50),
    Color32::from_rgb(90, 200, 110),
    Color32::from_rgb(220, 90, 200),
];

/// A colour swatch and name for each series, on one wrapping line.
pub fn legend_row(ui: &mut egui::Ui, series: &[(&str, Color32)]) {
    ui.horizontal_wrapped(|ui| {
        for (name, color) in series {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 4.0), egui::Sense::hover());
            ui.painter().rect_filled(rect, 1.0, *color);
            ui.small(*name);
        }
    });
}
