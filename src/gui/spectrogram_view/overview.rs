//! The overview strip above the panes: the whole recording, with the visible range framed.

use eframe::egui;
use eframe::egui::{Color32, Pos2, Rect, Sense, Stroke, pos2, vec2};

use crate::spectrogram::viewport::Viewport;

use super::{LEFT_AXIS_PX, RIGHT_PAD_PX};

/// The overview strip: the whole recording (as far as its summary has got) with the visible
/// range marked; click or drag to jump. Returns the time to centre on, if the user asked.
pub fn overview_ui(
    ui: &mut egui::Ui,
    viewport: &Viewport,
    texture: Option<egui::TextureId>,
    progress: Option<f32>,
    duration_secs: f64,
) -> Option<f64> {
    let (rect, response) =
        ui.allocate_exact_size(vec2(ui.available_width(), 34.0), Sense::click_and_drag());
    let strip = Rect::from_min_max(
        pos2(rect.left() + LEFT_AXIS_PX, rect.top() + 2.0),
        pos2(rect.right() - RIGHT_PAD_PX, rect.bottom() - 2.0),
    );
    let painter = ui.painter_at(rect);
    painter.rect_filled(strip, 2.0, Color32::from_gray(20));
    if let Some(texture) = texture {
        let done = progress.unwrap_or(1.0).clamp(0.0, 1.0);
        let shown = Rect::from_min_max(
            strip.min,
            pos2(strip.left() + strip.width() * done, strip.bottom()),
        );
        painter.image(
            texture,
            shown,
            Rect::from_min_max(Pos2::ZERO, pos2(1.0, 1.0)),
            Color32::WHITE,
        );
    }
    let x_of = |secs: f64| strip.left() + (secs / duration_secs.max(1e-9)) as f32 * strip.width();
    let visible = Rect::from_min_max(
        pos2(x_of(viewport.start_secs), strip.top()),
        pos2(
            x_of(viewport.end_secs()).max(x_of(viewport.start_secs) + 2.0),
            strip.bottom(),
        ),
    );
    painter.rect_stroke(
        visible,
        1.0,
        Stroke::new(2.0, crate::gui::theme::OVERVIEW_FRAME),
        egui::StrokeKind::Inside,
    );
    if let Some(done) = progress.filter(|p| *p < 1.0) {
        painter.text(
            strip.right_center() + vec2(-6.0, 0.0),
            egui::Align2::RIGHT_CENTER,
            format!("overview {:.0} %", done * 100.0),
            egui::FontId::proportional(11.0),
            Color32::from_gray(200),
        );
    }
    painter.text(
        pos2(rect.left() + 4.0, strip.center().y),
        egui::Align2::LEFT_CENTER,
        "Overview",
        egui::FontId::proportional(11.0),
        ui.visuals().weak_text_color(),
    );
    let pointer = response.interact_pointer_pos()?;
    (response.clicked() || response.dragged()).then(|| {
        f64::from(((pointer.x - strip.left()) / strip.width()).clamp(0.0, 1.0)) * duration_secs
    })
}
