//! Drawing a pane: spectrogram tiles (with a coarser level while finer tiles are computed),
//! boxes, detections with their verdicts, and the axes.

use eframe::egui;
use eframe::egui::{Color32, Rect, Stroke, Vec2, pos2, vec2};

use crate::annotation::boxedit::{ScreenBox, TfBox};
use crate::annotation::{SelectionId, SelectionKind};
use crate::dsp::FrequencyAxis;
use crate::gui::theme;
use crate::render::{
    format_frequency, frequency_ticks, frequency_unit_label, time_ticks, time_unit_label,
};
use crate::spectrogram::viewport::Viewport;
use crate::spectrogram::{
    SpectrogramKey, TILE_COLUMNS, TileKey, level_for_frames_per_pixel, tiles_covering,
};
use crate::util::timefmt::format_time_secs;

use super::{
    BoxView, CURRENT_DETECTION_COLOR, DETECTION_STRIP_PX, DetectionView, Drawn, FALLBACK_LEVELS,
    FrameClock, LEFT_AXIS_PX, PaneInput, PaneOutput, screen_box,
};

/// Detection colours by verdict: unreviewed magenta, true green, false red, unsure grey — none
/// of them the selection colours.
#[must_use]
pub(super) fn verdict_color(verdict: Option<crate::project::runs::Verdict>) -> Color32 {
    use crate::project::runs::Verdict;
    match verdict {
        None => theme::UNREVIEWED,
        Some(Verdict::TruePositive) => theme::TRUE_POSITIVE,
        Some(Verdict::FalsePositive) => theme::FALSE_POSITIVE,
        Some(Verdict::Unsure) => theme::UNSURE,
    }
}

/// The edges a detection is drawn with: the current one amber and three times as wide.
#[must_use]
pub(super) fn detection_edge(d: &DetectionView) -> Stroke {
    if d.current {
        Stroke::new(3.0, CURRENT_DETECTION_COLOR)
    } else {
        Stroke::new(1.0, verdict_color(d.verdict).gamma_multiply(0.8))
    }
}

pub(super) fn draw_detections(
    painter: &egui::Painter,
    plot: Rect,
    detections: &[DetectionView],
    viewport: &Viewport,
) {
    let painter = painter.with_clip_rect(plot);
    let font = egui::FontId::proportional(10.5);
    let x_of = |secs: f64| plot.left() + viewport.x_of_secs(secs, f64::from(plot.width())) as f32;
    for d in detections {
        let (left, right) = (
            x_of(d.start_secs),
            x_of(d.end_secs).max(x_of(d.start_secs) + 2.0),
        );
        if right < plot.left() || left > plot.right() {
            continue;
        }
        let color = verdict_color(d.verdict);
        let band = Rect::from_min_max(pos2(left, plot.top()), pos2(right, plot.bottom()));
        painter.rect_filled(
            band,
            0.0,
            color.gamma_multiply(if d.current { 0.16 } else { 0.07 }),
        );
        let edge = detection_edge(d);
        for x in [left, right] {
            painter.line_segment([pos2(x, plot.top()), pos2(x, plot.bottom())], edge);
        }
        let strip_px = if d.current {
            2.0 * DETECTION_STRIP_PX
        } else {
            DETECTION_STRIP_PX
        };
        let strip = Rect::from_min_max(pos2(left, plot.top()), pos2(right, plot.top() + strip_px));
        painter.rect_filled(strip, 0.0, color.gamma_multiply(0.9));
        if d.current {
            // The one under review stands out from its neighbours: an amber frame, wider
            // edges and a tall strip (its neighbours keep thin magenta edges).
            painter.rect_stroke(band, 0.0, edge, egui::StrokeKind::Inside);
        }
        let text = match d.verdict {
            Some(v) => format!("{:.2} {}", d.score, v.short()),
            None => format!("{:.2}", d.score),
        };
        // The score sits at the visible start of the band (a detection may begin off screen).
        let (shown_left, shown_right) = (left.max(plot.left()), right.min(plot.right()));
        let galley = painter.layout_no_wrap(text, font.clone(), theme::LABEL_TEXT);
        if galley.size().x + 4.0 <= (shown_right - shown_left).max(34.0) {
            painter.galley(
                pos2(shown_left + 2.0, plot.top() + 1.0),
                galley,
                theme::LABEL_TEXT,
            );
        }
    }
}

/// Selection colours: positives warm, negatives cool, so they read on every colour map.
#[must_use]
pub fn kind_color(kind: SelectionKind) -> Color32 {
    match kind {
        SelectionKind::Positive => theme::POSITIVE,
        SelectionKind::Negative => theme::NEGATIVE,
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn draw_boxes(
    painter: &egui::Painter,
    plot: Rect,
    boxes: &[BoxView],
    screen: &[ScreenBox],
    preview: Option<TfBox>,
    viewport: &Viewport,
    axis: &FrequencyAxis,
) {
    let painter = painter.with_clip_rect(plot);
    let font = egui::FontId::proportional(11.0);
    for (view, rect) in boxes.iter().zip(screen) {
        let r = Rect::from_min_max(pos2(rect.left, rect.top), pos2(rect.right, rect.bottom));
        if !r.intersects(plot) {
            continue;
        }
        let color = kind_color(view.kind);
        let width = if view.selected { 2.5 } else { 1.5 };
        if view.selected {
            painter.rect_filled(r, 0.0, color.gamma_multiply(0.12));
        }
        painter.rect_stroke(r, 0.0, Stroke::new(width, color), egui::StrokeKind::Middle);
        if view.selected {
            for corner in [
                r.left_top(),
                r.right_top(),
                r.left_bottom(),
                r.right_bottom(),
            ] {
                painter.rect_filled(Rect::from_center_size(corner, Vec2::splat(6.0)), 1.0, color);
            }
        }
        if !view.label.is_empty() && r.width() > 14.0 {
            let text_pos = pos2(r.left() + 3.0, r.top().max(plot.top()) + 2.0);
            let galley =
                painter.layout_no_wrap(view.label.clone(), font.clone(), theme::LABEL_TEXT);
            let background = Rect::from_min_size(text_pos, galley.size() + vec2(4.0, 0.0));
            painter.rect_filled(background, 2.0, color.gamma_multiply(0.85));
            painter.galley(text_pos + vec2(2.0, 0.0), galley, theme::LABEL_TEXT);
        }
    }
    if let Some(tf) = preview {
        let s = screen_box(SelectionId(u64::MAX), &tf, plot, viewport, axis);
        let r = Rect::from_min_max(pos2(s.left, s.top), pos2(s.right, s.bottom));
        painter.rect_filled(r, 0.0, Color32::from_white_alpha(24));
        painter.rect_stroke(
            r,
            0.0,
            Stroke::new(1.5, Color32::WHITE),
            egui::StrokeKind::Middle,
        );
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn draw_tiles(
    ctx: &egui::Context,
    painter: &egui::Painter,
    plot: Rect,
    viewport: &Viewport,
    input: &mut PaneInput<'_>,
    clock: &FrameClock,
    key_base: SpectrogramKey,
    output: &mut PaneOutput,
) -> Vec<Drawn> {
    let width = f64::from(plot.width());
    let first_frame = clock.frame_at(viewport.start_secs);
    let end_frame = clock.frame_at(viewport.end_secs());
    let level = level_for_frames_per_pixel((end_frame - first_frame) / width);
    let total_tiles = clock.total_frames.div_ceil((TILE_COLUMNS as u64) << level);
    let indices = tiles_covering(first_frame, end_frame, level);
    let key_at = |level: u8, index: u64| TileKey {
        recording: key_base.recording,
        params: key_base.params,
        channel: key_base.channel,
        level,
        index,
    };
    // Visible tiles first, then one on each side so short pans find them ready.
    let visible = indices.start..indices.end.min(total_tiles);
    output
        .wanted_tiles
        .extend(visible.clone().map(|i| key_at(level, i)));
    if visible.start > 0 {
        output.wanted_tiles.push(key_at(level, visible.start - 1));
    }
    if visible.end < total_tiles {
        output.wanted_tiles.push(key_at(level, visible.end));
    }
    // Texture v runs top (highest band) to bottom; show the visible share of the axis.
    let uv_y = (
        1.0 - viewport.high_fraction as f32,
        1.0 - viewport.low_fraction as f32,
    );
    let x_of = |secs: f64| plot.left() + viewport.x_of_secs(secs, width) as f32;
    let mut drawn = Vec::new();
    for index in visible {
        let key = key_at(level, index);
        let frames_per_column = key.frames_per_column() as f64;
        let child_first = key.first_frame() as f64;
        let child_end = (key.first_frame() + key.frame_span()).min(clock.total_frames) as f64;
        let mut found = input
            .engine
            .tile(&key)
            .map(|tile| (tile, 0.0, (child_end - child_first) / frames_per_column));
        if found.is_none() {
            output.loading = true;
            found = (1..=FALLBACK_LEVELS).find_map(|up| {
                let parent_level = level.checked_add(up)?;
                let parent = key_at(parent_level, index >> up);
                let tile = input.engine.tile(&parent)?;
                let parent_frames = parent.frames_per_column() as f64;
                let first_column = (child_first - parent.first_frame() as f64) / parent_frames;
                let end_column = ((child_end - parent.first_frame() as f64) / parent_frames)
                    .min(tile.columns as f64);
                (end_column > first_column).then_some((tile, first_column, end_column))
            });
        }
        let Some((tile, first_column, end_column)) = found else {
            continue;
        };
        let fpc = tile.key.frames_per_column() as f64;
        let tile_first = tile.key.first_frame() as f64;
        let x0 = x_of(clock.secs_at(tile_first + first_column * fpc));
        let x1 = x_of(clock.secs_at(tile_first + end_column * fpc));
        let texture = input.textures.texture(ctx, &tile, &input.settings.display);
        let columns = tile.columns as f32;
        let uv = Rect::from_min_max(
            pos2(first_column as f32 / columns, uv_y.0),
            pos2(end_column as f32 / columns, uv_y.1),
        );
        let target = Rect::from_min_max(pos2(x0, plot.top()), pos2(x1, plot.bottom()));
        painter
            .with_clip_rect(plot)
            .image(texture, target, uv, Color32::WHITE);
        drawn.push(Drawn {
            tile,
            x: (x0, x1),
            columns: (first_column, end_column),
        });
    }
    drawn
}

pub(super) fn draw_frequency_axis(
    ui: &egui::Ui,
    painter: &egui::Painter,
    plot: Rect,
    viewport: &Viewport,
    axis: &FrequencyAxis,
) {
    let text_color = ui.visuals().text_color();
    let font = egui::FontId::proportional(12.0);
    let height = f64::from(plot.height());
    let low_hz = viewport.hz_of_y(height, height, axis).max(0.0);
    let high_hz = viewport.hz_of_y(0.0, height, axis);
    let (_, axis_top_hz) = axis.range_hz();
    let max_ticks = (plot.height() / 28.0).max(2.0) as usize;
    let position = |hz: f64| {
        let fraction = (axis.row_at_hz(hz) + 0.5) / axis.rows as f64;
        (fraction - viewport.low_fraction) / (viewport.high_fraction - viewport.low_fraction)
    };
    for hz in frequency_ticks(axis, low_hz, high_hz, max_ticks, position) {
        let y = plot.top() + viewport.y_of_hz(hz, height, axis) as f32;
        if y < plot.top() - 0.5 || y > plot.bottom() + 0.5 {
            continue;
        }
        painter.line_segment(
            [pos2(plot.left() - 5.0, y), pos2(plot.left(), y)],
            Stroke::new(1.0, text_color),
        );
        painter.text(
            pos2(plot.left() - 8.0, y),
            egui::Align2::RIGHT_CENTER,
            format_frequency(hz, axis_top_hz),
            font.clone(),
            text_color,
        );
    }
    let title_pos = pos2(plot.left() - LEFT_AXIS_PX + 4.0, plot.center().y);
    let galley = painter.layout_no_wrap(
        frequency_unit_label(axis_top_hz).to_owned(),
        font,
        text_color,
    );
    let text = egui::epaint::TextShape::new(
        title_pos + vec2(0.0, galley.size().x / 2.0),
        galley,
        text_color,
    )
    .with_angle(-std::f32::consts::FRAC_PI_2);
    painter.add(text);
}

pub(super) fn draw_time_axis(
    ui: &egui::Ui,
    painter: &egui::Painter,
    plot: Rect,
    viewport: &Viewport,
    duration_secs: f64,
) {
    let text_color = ui.visuals().text_color();
    let font = egui::FontId::proportional(12.0);
    let max_ticks = (plot.width() / 90.0).max(2.0) as usize;
    for secs in time_ticks(viewport.start_secs, viewport.end_secs(), max_ticks) {
        let x = plot.left() + viewport.x_of_secs(secs, f64::from(plot.width())) as f32;
        painter.line_segment(
            [pos2(x, plot.bottom()), pos2(x, plot.bottom() + 5.0)],
            Stroke::new(1.0, text_color),
        );
        painter.text(
            pos2(x, plot.bottom() + 7.0),
            egui::Align2::CENTER_TOP,
            format_time_secs(secs, duration_secs),
            font.clone(),
            text_color,
        );
    }
    painter.text(
        pos2(plot.right(), plot.bottom() + 22.0),
        egui::Align2::RIGHT_TOP,
        time_unit_label(duration_secs),
        egui::FontId::proportional(11.0),
        ui.visuals().weak_text_color(),
    );
}
