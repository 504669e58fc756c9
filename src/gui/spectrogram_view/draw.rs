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
    BoxView, CURRENT_DETECTION_COLOR, DetectionView, Drawn, FALLBACK_LEVELS, FrameClock,
    IterationChange, LEFT_AXIS_PX, PaneInput, PaneOutput, screen_box,
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

/// How far outside a call the frame of the one under review is drawn, so that the call
/// itself stays as the spectrogram shows it.
pub(super) const CURRENT_FRAME_MARGIN_PX: f32 = 6.0;

/// The edges a detection is drawn with: the current one amber and wider (and drawn around
/// the box, not on it: see [`current_frame`]).
#[must_use]
pub(super) fn detection_edge(d: &DetectionView) -> Stroke {
    if d.current {
        Stroke::new(3.0, CURRENT_DETECTION_COLOR)
    } else {
        match &d.class {
            // Classes a little bolder: they share the screen with selection boxes.
            Some((_, color)) => Stroke::new(2.0, *color),
            None => Stroke::new(1.5, verdict_color(d.verdict)),
        }
    }
}

/// The frame of the detection under review: a rectangle `CURRENT_FRAME_MARGIN_PX` outside
/// its box, stroked inside that rectangle, so that nothing of it lies over the box.
#[must_use]
pub(super) fn current_frame(call: Rect) -> Rect {
    call.expand(CURRENT_FRAME_MARGIN_PX)
}

/// A detection's box on screen: its time, and its band (the whole height when it has none),
/// at least a few pixels each way so that a short call is still seen.
fn detection_rect(
    d: &DetectionView,
    plot: Rect,
    viewport: &Viewport,
    axis: &FrequencyAxis,
) -> Rect {
    let tf = TfBox {
        start_secs: d.start_secs,
        end_secs: d.end_secs,
        low_hz: d.band_hz.map_or(f64::MIN, |b| b.0),
        high_hz: d.band_hz.map_or(f64::MAX, |b| b.1),
    };
    let s = screen_box(SelectionId(u64::MAX), &tf, plot, viewport, axis);
    let mut r = Rect::from_min_max(pos2(s.left, s.top), pos2(s.right, s.bottom));
    if r.width() < 3.0 {
        r = Rect::from_center_size(r.center(), vec2(3.0, r.height()));
    }
    if r.height() < 6.0 {
        r = Rect::from_center_size(r.center(), vec2(r.width(), 6.0));
    }
    r
}

/// Detections as boxes around their calls, outlined (never filled, so the call keeps its
/// colours) in their class's colour, or their verdict's for a one-class run; a tag above each
/// with its class, score and verdict, left out where it would cover another; the one under
/// review framed from outside; and a legend of the classes.
pub(super) fn draw_detections(
    painter: &egui::Painter,
    plot: Rect,
    detections: &[DetectionView],
    viewport: &Viewport,
    axis: &FrequencyAxis,
    text_px: f32,
) {
    let painter = painter.with_clip_rect(plot);
    let font = egui::FontId::proportional(text_px);
    let mut tags: Vec<Rect> = Vec::new();
    // The current one last, so that its frame and tag are on top and its tag always shows.
    let mut order: Vec<&DetectionView> = detections.iter().collect();
    order.sort_by_key(|d| d.current);
    let mut shown: Vec<(Rect, &DetectionView)> = Vec::new();
    for d in order {
        let r = detection_rect(d, plot, viewport, axis);
        if r.right() < plot.left() || r.left() > plot.right() {
            continue;
        }
        let edge = detection_edge(d);
        if d.change == Some(IterationChange::Lost) {
            // No box of the reviewed run: only the outline of where the earlier one was.
            dashed_rect(&painter, r, edge);
        } else if d.current {
            painter.rect_stroke(current_frame(r), 2.0, edge, egui::StrokeKind::Inside);
            painter.rect_stroke(
                r,
                0.0,
                Stroke::new(1.0, CURRENT_DETECTION_COLOR.gamma_multiply(0.6)),
                egui::StrokeKind::Outside,
            );
        } else {
            painter.rect_stroke(r, 0.0, edge, egui::StrokeKind::Outside);
        }
        shown.push((r, d));
    }
    for (r, d) in shown.into_iter().rev() {
        let mut text = String::new();
        match d.change {
            Some(IterationChange::Lost) => text.push_str("lost "),
            Some(IterationChange::Gained) => text.push_str("new "),
            None => {}
        }
        if let Some((class, _)) = &d.class {
            text.push_str(class);
            text.push(' ');
        }
        text.push_str(&format!("{:.2}", d.score));
        if let Some(v) = d.verdict {
            text.push(' ');
            text.push_str(v.short());
        }
        let galley = painter.layout_no_wrap(text, font.clone(), theme::LABEL_TEXT);
        let size = galley.size() + vec2(6.0, 2.0);
        let gap = if d.current {
            CURRENT_FRAME_MARGIN_PX + 2.0
        } else {
            2.0
        };
        // Above the box; below it when there is no room above; inside the top when neither.
        let left = r.left().max(plot.left()).min(plot.right() - size.x);
        let above = pos2(left, r.top() - gap - size.y);
        let below = pos2(left, r.bottom() + gap);
        let at = if above.y >= plot.top() {
            above
        } else if below.y + size.y <= plot.bottom() {
            below
        } else {
            pos2(left, plot.top() + 1.0)
        };
        let tag = Rect::from_min_size(at, size);
        if !d.current && tags.iter().any(|t| t.intersects(tag)) {
            continue;
        }
        tags.push(tag);
        let background = verdict_color(d.verdict);
        painter.rect_filled(tag, 2.0, background.gamma_multiply(0.9));
        if d.current {
            painter.rect_stroke(
                tag,
                2.0,
                Stroke::new(2.0, CURRENT_DETECTION_COLOR),
                egui::StrokeKind::Outside,
            );
        }
        painter.galley(at + vec2(3.0, 1.0), galley, theme::LABEL_TEXT);
    }
    draw_class_legend(&painter, plot, detections, &font);
}

/// A rectangle outlined in dashes.
fn dashed_rect(painter: &egui::Painter, r: Rect, stroke: Stroke) {
    let corners = [
        r.left_top(),
        r.right_top(),
        r.right_bottom(),
        r.left_bottom(),
        r.left_top(),
    ];
    painter.extend(egui::Shape::dashed_line(&corners, stroke, 6.0, 4.0));
}

/// The classes on screen with their colours, at the top right of the plot.
fn draw_class_legend(
    painter: &egui::Painter,
    plot: Rect,
    detections: &[DetectionView],
    font: &egui::FontId,
) {
    let mut classes: Vec<(&str, Color32)> = Vec::new();
    for (name, color) in detections.iter().filter_map(|d| d.class.as_ref()) {
        if !classes.iter().any(|(n, _)| *n == name.as_str()) {
            classes.push((name, *color));
        }
    }
    if classes.is_empty() {
        return;
    }
    classes.sort_by(|a, b| a.0.cmp(b.0));
    let rows: Vec<_> = classes
        .iter()
        .map(|(name, color)| {
            (
                painter.layout_no_wrap((*name).to_owned(), font.clone(), theme::OVERLAY_TEXT),
                *color,
            )
        })
        .collect();
    let line = rows.iter().map(|(g, _)| g.size().y).fold(0.0, f32::max) + 4.0;
    let width = rows.iter().map(|(g, _)| g.size().x).fold(0.0, f32::max) + line + 14.0;
    let top_right = plot.right_top() + vec2(-8.0, 24.0);
    let frame = Rect::from_min_size(
        pos2(top_right.x - width, top_right.y),
        vec2(width, line * rows.len() as f32 + 6.0),
    );
    painter.rect_filled(frame, 4.0, Color32::from_black_alpha(190));
    for (i, (galley, color)) in rows.into_iter().enumerate() {
        let y = frame.top() + 3.0 + line * i as f32;
        let swatch = Rect::from_min_size(
            pos2(frame.left() + 5.0, y + 3.0),
            vec2(line - 6.0, line - 6.0),
        );
        painter.rect_stroke(
            swatch,
            0.0,
            Stroke::new(2.5, color),
            egui::StrokeKind::Inside,
        );
        painter.galley(
            pos2(swatch.right() + 6.0, y + 2.0),
            galley,
            theme::OVERLAY_TEXT,
        );
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
    // Tick labels as bright and as large as body text: read from the back of a lecture room.
    let text_color = ui.visuals().strong_text_color();
    let font = egui::FontId::proportional(theme::overlay_text_px(ui));
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
    // Tick labels as bright and as large as body text: read from the back of a lecture room.
    let text_color = ui.visuals().strong_text_color();
    let font = egui::FontId::proportional(theme::overlay_text_px(ui));
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
        egui::FontId::proportional(theme::overlay_text_px(ui) - 1.0),
        ui.visuals().text_color(),
    );
}

/// The levels the colours stand for: a bar right of the plot from the darkest level (the
/// floor, less the gain) to the brightest (`range_db` above it), labelled in dB.
pub(super) fn draw_color_bar(
    ui: &egui::Ui,
    painter: &egui::Painter,
    plot: Rect,
    display: &crate::gui::prefs::DisplaySettings,
) {
    let bar = Rect::from_min_max(
        pos2(plot.right() + 8.0, plot.top()),
        pos2(plot.right() + 20.0, plot.bottom()),
    );
    let lut = display.colormap.lut();
    let steps = 64_usize;
    let mut mesh = egui::Mesh::default();
    for i in 0..steps {
        // Bottom of the bar is the bottom of the colour map.
        let fraction = i as f32 / (steps - 1) as f32;
        let [r, g, b] = lut[((fraction * 255.0).round() as usize).min(255)];
        let top = bar.bottom() - bar.height() * (i + 1) as f32 / steps as f32;
        let bottom = bar.bottom() - bar.height() * i as f32 / steps as f32;
        mesh.add_colored_rect(
            Rect::from_min_max(pos2(bar.left(), top), pos2(bar.right(), bottom)),
            Color32::from_rgb(r, g, b),
        );
    }
    painter.add(mesh);
    let text_color = ui.visuals().strong_text_color();
    painter.rect_stroke(
        bar,
        0.0,
        Stroke::new(1.0, text_color.gamma_multiply(0.5)),
        egui::StrokeKind::Outside,
    );
    let low_db = display.floor_db - display.gain_db;
    let high_db = low_db + display.range_db.max(1.0);
    let font = egui::FontId::proportional(theme::overlay_text_px(ui) - 1.0);
    let max_ticks = (bar.height() / 30.0).max(2.0) as usize;
    for db in crate::render::level_ticks(f64::from(low_db), f64::from(high_db), max_ticks) {
        let fraction = (db as f32 - low_db) / (high_db - low_db);
        let y = bar.bottom() - fraction * bar.height();
        painter.line_segment(
            [pos2(bar.right(), y), pos2(bar.right() + 4.0, y)],
            Stroke::new(1.0, text_color),
        );
        painter.text(
            pos2(bar.right() + 6.0, y),
            egui::Align2::LEFT_CENTER,
            format!("{db:.0}"),
            font.clone(),
            text_color,
        );
    }
    // On the row of the time axis's unit, clear of its last tick label.
    painter.text(
        pos2(bar.center().x, plot.bottom() + 22.0),
        egui::Align2::CENTER_TOP,
        "dB",
        font,
        text_color,
    );
}
