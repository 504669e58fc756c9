//! Every colour the app picks itself, in one place: the kinds of boxes, the verdicts of
//! detections, the marks drawn over the spectrogram and the plots' series. Each stays readable
//! over the spectrogram's colour maps and on the dark and the light theme.

use eframe::egui::Color32;

/// Positive boxes (the target).
pub const POSITIVE: Color32 = Color32::from_rgb(255, 200, 40);
/// Negative boxes (everything else).
pub const NEGATIVE: Color32 = Color32::from_rgb(90, 200, 255);

/// A detection nobody has reviewed yet.
pub const UNREVIEWED: Color32 = Color32::from_rgb(235, 90, 235);
pub const TRUE_POSITIVE: Color32 = Color32::from_rgb(80, 220, 110);
pub const FALSE_POSITIVE: Color32 = Color32::from_rgb(245, 70, 60);
pub const UNSURE: Color32 = Color32::from_rgb(190, 190, 190);
/// The frame of the detection under review.
pub const CURRENT_DETECTION: Color32 = Color32::from_rgb(255, 200, 40);

/// The cursor line.
pub const CURSOR: Color32 = Color32::from_rgba_unmultiplied_const(255, 255, 255, 160);
/// The playhead.
pub const PLAYHEAD: Color32 = Color32::from_rgb(255, 80, 60);
/// Text written over the spectrogram (pane titles, "computing…").
pub const OVERLAY_TEXT: Color32 = Color32::from_rgba_unmultiplied_const(255, 255, 255, 200);
pub const OVERLAY_TEXT_WEAK: Color32 = Color32::from_rgba_unmultiplied_const(255, 255, 255, 180);
/// Labels on boxes and detections (on their own coloured background).
pub const LABEL_TEXT: Color32 = Color32::BLACK;
/// The visible range framed in the overview.
pub const OVERVIEW_FRAME: Color32 = Color32::from_rgb(255, 210, 80);

/// Plot series (loss and accuracy curves, evaluation), distinguishable on both themes.
pub const SERIES: [Color32; 4] = [
    Color32::from_rgb(90, 160, 255),
    Color32::from_rgb(255, 150, 50),
    Color32::from_rgb(90, 200, 110),
    Color32::from_rgb(220, 90, 200),
];
/// Histogram bars of true and false positives' scores.
pub const TRUE_POSITIVE_BARS: Color32 = Color32::from_rgb(80, 200, 100);
pub const FALSE_POSITIVE_BARS: Color32 = Color32::from_rgb(230, 70, 60);
/// The interval around a calibration curve.
pub const CALIBRATION_INTERVAL: Color32 = Color32::from_rgb(140, 160, 200);

/// Class colours of a multi-class model's detections: distinct from each other and from the
/// selection colours (amber positives, sky-blue negatives), which may be drawn beside them.
pub const CLASSES: [Color32; 8] = [
    Color32::from_rgb(255, 255, 255),
    Color32::from_rgb(255, 100, 60),
    Color32::from_rgb(170, 255, 0),
    Color32::from_rgb(185, 130, 255),
    Color32::from_rgb(255, 100, 190),
    Color32::from_rgb(0, 215, 165),
    Color32::from_rgb(120, 120, 255),
    Color32::from_rgb(200, 200, 120),
];

/// The size of text drawn over the spectrogram (tags, legends, axis labels): the body text's,
/// so that it follows View ▸ Text size.
#[must_use]
pub fn overlay_text_px(ui: &eframe::egui::Ui) -> f32 {
    ui.style()
        .text_styles
        .get(&eframe::egui::TextStyle::Body)
        .map_or(13.0, |font| font.size)
}
