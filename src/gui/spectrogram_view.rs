//! The spectrogram pane: draws tiles (or coarser stand-ins while they compute), axes, playhead
//! and cursor, and turns pointer input into [`Viewport`] changes. All the arithmetic lives in
//! [`Viewport`] and the tile module; this widget only feeds them.

use std::sync::Arc;

use eframe::egui::{self, Color32, Pos2, Rect, Sense, Stroke, Vec2, pos2, vec2};

use super::prefs::PaneSettings;
use super::textures::TextureCache;
use crate::annotation::{SelectionId, SelectionKind};
use crate::audio::{ChannelMode, RecordingInfo};
use crate::boxedit::{Hit, ScreenBox, TfBox, TfPoint, hit_test};
use crate::dsp::FrequencyAxis;
use crate::render::{
    format_frequency, frequency_ticks, frequency_unit_label, time_ticks, time_unit_label,
};
use crate::spectrogram::{
    RecordingId, SpectrogramKey, TILE_COLUMNS, Tile, TileEngine, TileKey,
    level_for_frames_per_pixel, tiles_covering,
};
use crate::timefmt::format_time_secs;
use crate::viewport::Viewport;

/// Room for frequency labels on the left.
pub const LEFT_AXIS_PX: f32 = 62.0;
/// Room for time labels below.
pub const BOTTOM_AXIS_PX: f32 = 36.0;
const TOP_PAD_PX: f32 = 6.0;
const RIGHT_PAD_PX: f32 = 10.0;
/// How many levels above the wanted one to look for a stand-in while a tile computes.
const FALLBACK_LEVELS: u8 = 20;
/// Wheel points per halving of the span (ctrl+wheel) or of the frequency range (shift+wheel).
const WHEEL_ZOOM_POINTS: f32 = 240.0;

/// What one pane needs to draw.
pub struct PaneInput<'a> {
    pub engine: &'a TileEngine,
    pub textures: &'a mut TextureCache,
    pub recording: RecordingId,
    pub info: &'a RecordingInfo,
    pub settings: &'a PaneSettings,
    pub channel: ChannelMode,
    pub playhead_secs: Option<f64>,
    pub cursor_secs: Option<f64>,
    /// Draw the time axis below (the lower pane of compare mode shares the upper one's).
    pub show_time_axis: bool,
    pub title: Option<String>,
    /// Selection boxes to draw (those of this recording near the view).
    pub boxes: &'a [BoxView],
    /// A box being drawn or resized.
    pub preview: Option<TfBox>,
    /// Detections of the reviewed run near the view.
    pub detections: &'a [DetectionView],
}

/// A detection as the pane draws it: a band over its time (detections carry no frequency
/// bounds), coloured by verdict, with its score; unlike selections it is never edited here.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectionView {
    pub start_secs: f64,
    pub end_secs: f64,
    pub score: f32,
    pub verdict: Option<crate::review::Verdict>,
    /// The review queue's current detection.
    pub current: bool,
}

/// Detection colours by verdict: unreviewed magenta, true green, false red, unsure grey — none
/// of them the selection colours.
#[must_use]
pub fn verdict_color(verdict: Option<crate::review::Verdict>) -> Color32 {
    use crate::review::Verdict;
    match verdict {
        None => Color32::from_rgb(235, 90, 235),
        Some(Verdict::TruePositive) => Color32::from_rgb(80, 220, 110),
        Some(Verdict::FalsePositive) => Color32::from_rgb(245, 70, 60),
        Some(Verdict::Unsure) => Color32::from_rgb(190, 190, 190),
    }
}

/// Height of the strip at the top of the plot that carries detection scores.
const DETECTION_STRIP_PX: f32 = 14.0;

/// The frame of the detection under review.
pub const CURRENT_DETECTION_COLOR: Color32 = Color32::from_rgb(255, 200, 40);

/// The edges a detection is drawn with: the current one amber and three times as wide.
#[must_use]
pub fn detection_edge(d: &DetectionView) -> Stroke {
    if d.current {
        Stroke::new(3.0, CURRENT_DETECTION_COLOR)
    } else {
        Stroke::new(1.0, verdict_color(d.verdict).gamma_multiply(0.8))
    }
}

fn draw_detections(
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
        let galley = painter.layout_no_wrap(text, font.clone(), Color32::BLACK);
        if galley.size().x + 4.0 <= (shown_right - shown_left).max(34.0) {
            painter.galley(
                pos2(shown_left + 2.0, plot.top() + 1.0),
                galley,
                Color32::BLACK,
            );
        }
    }
}

/// A selection as the pane draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxView {
    pub id: SelectionId,
    pub tf: TfBox,
    pub kind: SelectionKind,
    pub label: String,
    pub selected: bool,
}

/// Pointer input on the spectrogram, in time and frequency, for the box editor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PanePointer {
    /// The primary button went down and started a drag.
    Pressed {
        at: TfPoint,
        hit: Hit,
        shift: bool,
        command: bool,
    },
    Dragged {
        at: TfPoint,
    },
    Released {
        at: TfPoint,
    },
    /// A click without a drag.
    Clicked {
        at: TfPoint,
        hit: Hit,
        command: bool,
    },
}

/// The value under the pointer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoverReadout {
    pub secs: f64,
    pub hz: f64,
    pub db: Option<f32>,
}

/// What a pane reports back.
#[derive(Debug, Clone, Default)]
pub struct PaneOutput {
    /// Tiles to compute, most urgent first.
    pub wanted_tiles: Vec<TileKey>,
    pub summary: Option<SpectrogramKey>,
    pub hover: Option<HoverReadout>,
    /// Pointer input for the box editor.
    pub pointer: Option<PanePointer>,
    /// Some of the picture is still being computed.
    pub loading: bool,
    /// Where the spectrogram was drawn.
    pub plot: Option<Rect>,
}

/// Where frames of a parameter set sit in time.
#[derive(Debug, Clone, Copy)]
struct FrameClock {
    /// Seconds between frames.
    frame_secs: f64,
    /// Start of frame 0's share of time (its centre minus half a hop).
    offset_secs: f64,
    total_frames: u64,
}

impl FrameClock {
    fn new(settings: &PaneSettings, info: &RecordingInfo) -> Self {
        let rate = f64::from(info.sample_rate_hz);
        let params = &settings.params;
        Self {
            frame_secs: f64::from(params.hop_len) / rate,
            offset_secs: (f64::from(params.window_len) - f64::from(params.hop_len)) / 2.0 / rate,
            total_frames: params
                .frame_count(usize::try_from(info.frame_count).unwrap_or(usize::MAX))
                as u64,
        }
    }

    fn frame_at(&self, secs: f64) -> f64 {
        (secs - self.offset_secs) / self.frame_secs
    }

    fn secs_at(&self, frame: f64) -> f64 {
        self.offset_secs + frame * self.frame_secs
    }
}

/// A tile (or part of a coarser one) drawn on screen: for the hover readout.
struct Drawn {
    tile: Arc<Tile>,
    /// Screen x range and the column range of `tile` it shows.
    x: (f32, f32),
    columns: (f64, f64),
}

/// Draws one pane filling the available width and `height` points.
pub fn spectrogram_pane_ui(
    ui: &mut egui::Ui,
    viewport: &mut Viewport,
    mut input: PaneInput<'_>,
    height: f32,
) -> PaneOutput {
    let mut output = PaneOutput::default();
    let (rect, response) =
        ui.allocate_exact_size(vec2(ui.available_width(), height), Sense::click_and_drag());
    let bottom = if input.show_time_axis {
        BOTTOM_AXIS_PX
    } else {
        8.0
    };
    let plot = Rect::from_min_max(
        pos2(rect.left() + LEFT_AXIS_PX, rect.top() + TOP_PAD_PX),
        pos2(rect.right() - RIGHT_PAD_PX, rect.bottom() - bottom),
    );
    if plot.width() < 20.0 || plot.height() < 20.0 {
        return output;
    }
    if let Err(error) = input.settings.params.validate(input.info.sample_rate_hz) {
        ui.painter().text(
            plot.center(),
            egui::Align2::CENTER_CENTER,
            format!("These settings do not suit this recording: {error}"),
            egui::FontId::proportional(14.0),
            ui.visuals().warn_fg_color,
        );
        return output;
    };
    let axis = input.settings.params.axis(input.info.sample_rate_hz);
    output.plot = Some(plot);
    let screen_boxes = screen_boxes(input.boxes, plot, viewport, &axis);
    output.pointer = pointer_event(ui, &response, plot, viewport, &axis, &screen_boxes);
    handle_input(ui, &response, plot, viewport);

    let painter = ui.painter_at(rect);
    painter.rect_filled(plot, 0.0, Color32::from_gray(12));
    let clock = FrameClock::new(input.settings, input.info);
    let key_base = SpectrogramKey {
        recording: input.recording,
        params: input.settings.params,
        channel: input.channel,
    };
    output.summary = Some(key_base);
    let drawn = draw_tiles(
        ui.ctx(),
        &painter,
        plot,
        viewport,
        &mut input,
        &clock,
        key_base,
        &mut output,
    );

    // Cursor and playhead.
    let x_of = |secs: f64| plot.left() + viewport.x_of_secs(secs, f64::from(plot.width())) as f32;
    if let Some(secs) = input
        .cursor_secs
        .filter(|s| (viewport.start_secs..=viewport.end_secs()).contains(s))
    {
        let x = x_of(secs);
        painter.line_segment(
            [pos2(x, plot.top()), pos2(x, plot.bottom())],
            Stroke::new(1.0, Color32::from_rgba_unmultiplied(255, 255, 255, 160)),
        );
    }
    if let Some(secs) = input
        .playhead_secs
        .filter(|s| (viewport.start_secs..=viewport.end_secs()).contains(s))
    {
        let x = x_of(secs);
        painter.line_segment(
            [pos2(x, plot.top()), pos2(x, plot.bottom())],
            Stroke::new(2.0, Color32::from_rgb(255, 80, 60)),
        );
    }

    draw_detections(&painter, plot, input.detections, viewport);
    draw_boxes(
        &painter,
        plot,
        input.boxes,
        &screen_boxes,
        input.preview,
        viewport,
        &axis,
    );
    draw_frequency_axis(ui, &painter, plot, viewport, &axis);
    if input.show_time_axis {
        draw_time_axis(ui, &painter, plot, viewport, input.info.duration_secs());
    }
    if let Some(title) = &input.title {
        painter.text(
            plot.left_top() + vec2(6.0, 4.0),
            egui::Align2::LEFT_TOP,
            title,
            egui::FontId::proportional(12.0),
            Color32::from_rgba_unmultiplied(255, 255, 255, 200),
        );
    }
    if output.loading {
        painter.text(
            plot.right_top() + vec2(-6.0, 4.0),
            egui::Align2::RIGHT_TOP,
            "computing…",
            egui::FontId::proportional(12.0),
            Color32::from_rgba_unmultiplied(255, 255, 255, 180),
        );
    }

    if let Some(pos) = response.hover_pos().filter(|p| plot.contains(*p)) {
        let secs = viewport.secs_of_x(f64::from(pos.x - plot.left()), f64::from(plot.width()));
        let y = f64::from(pos.y - plot.top());
        let fraction = viewport.fraction_of_y(y, f64::from(plot.height()));
        let hz = viewport.hz_of_y(y, f64::from(plot.height()), &axis);
        let db = drawn
            .iter()
            .find(|d| pos.x >= d.x.0 && pos.x < d.x.1)
            .map(|d| {
                let share = f64::from((pos.x - d.x.0) / (d.x.1 - d.x.0).max(1e-6));
                let column = (d.columns.0 + share * (d.columns.1 - d.columns.0)) as usize;
                let band = ((fraction * d.tile.bands as f64) as usize).min(d.tile.bands - 1);
                d.tile.column(column.min(d.tile.columns - 1))[band]
            })
            .filter(|db| db.is_finite());
        output.hover = Some(HoverReadout { secs, hz, db });
    }
    output
}

/// Wheel: pan time; ctrl+wheel: zoom time; shift+wheel: zoom frequency. Middle, right or
/// Alt+left drag: pan (a plain left drag belongs to the box editor).
fn handle_input(ui: &egui::Ui, response: &egui::Response, plot: Rect, viewport: &mut Viewport) {
    let width = f64::from(plot.width());
    let height = f64::from(plot.height());
    let alt = ui.input(|i| i.modifiers.alt);
    if (alt && response.dragged_by(egui::PointerButton::Primary))
        || response.dragged_by(egui::PointerButton::Middle)
        || response.dragged_by(egui::PointerButton::Secondary)
    {
        let delta = response.drag_delta();
        viewport.pan_secs(-f64::from(delta.x) / width * viewport.span_secs);
        // The picture follows the pointer: dragging down brings higher frequencies into view.
        viewport.pan_frequency(
            f64::from(delta.y) / height * (viewport.high_fraction - viewport.low_fraction),
        );
    }
    let Some(pointer) = response.hover_pos().filter(|p| plot.contains(*p)) else {
        return;
    };
    let events: Vec<(Vec2, egui::Modifiers, egui::MouseWheelUnit)> = ui.input(|i| {
        i.events
            .iter()
            .filter_map(|e| match e {
                egui::Event::MouseWheel {
                    unit,
                    delta,
                    modifiers,
                    ..
                } => Some((*delta, *modifiers, *unit)),
                _ => None,
            })
            .collect()
    });
    let anchor_secs = viewport.secs_of_x(f64::from(pointer.x - plot.left()), width);
    let anchor_fraction = viewport.fraction_of_y(f64::from(pointer.y - plot.top()), height);
    for (delta, modifiers, unit) in events {
        let points = match unit {
            egui::MouseWheelUnit::Point => delta,
            egui::MouseWheelUnit::Line => delta * 40.0,
            egui::MouseWheelUnit::Page => delta * plot.width(),
        };
        let amount = points.x + points.y;
        if modifiers.command || modifiers.ctrl {
            viewport.zoom_time(
                f64::from(2.0_f32.powf(-points.y / WHEEL_ZOOM_POINTS)),
                anchor_secs,
            );
        } else if modifiers.shift {
            viewport.zoom_frequency(
                f64::from(2.0_f32.powf(-amount / WHEEL_ZOOM_POINTS)),
                anchor_fraction,
            );
        } else {
            viewport.pan_secs(-f64::from(amount) / width * viewport.span_secs);
        }
    }
}

/// Pointer distance from an edge within which it grabs the edge.
pub const HANDLE_PX: f32 = 5.0;

/// The point under screen position `pos`, clamped to the recording and the frequency axis.
fn tf_at(pos: Pos2, plot: Rect, viewport: &Viewport, axis: &FrequencyAxis) -> TfPoint {
    let (low_hz, high_hz) = axis_band(axis);
    let secs = viewport.secs_of_x(f64::from(pos.x - plot.left()), f64::from(plot.width()));
    let hz = viewport.hz_of_y(
        f64::from(pos.y - plot.top()),
        f64::from(plot.height()),
        axis,
    );
    TfPoint {
        secs: secs.clamp(0.0, viewport.duration_secs),
        hz: hz.clamp(low_hz, high_hz),
    }
}

/// The frequencies the axis covers, from the bottom edge of its lowest row to the top edge of
/// its highest.
#[must_use]
pub fn axis_band(axis: &FrequencyAxis) -> (f64, f64) {
    let low = axis.hz_at_row(-0.5).max(0.0);
    let high = axis.hz_at_row(axis.rows as f64 - 0.5);
    (low, high.max(low))
}

fn screen_boxes(
    boxes: &[BoxView],
    plot: Rect,
    viewport: &Viewport,
    axis: &FrequencyAxis,
) -> Vec<ScreenBox> {
    boxes
        .iter()
        .map(|b| screen_box(b.id, &b.tf, plot, viewport, axis))
        .collect()
}

fn screen_box(
    id: SelectionId,
    tf: &TfBox,
    plot: Rect,
    viewport: &Viewport,
    axis: &FrequencyAxis,
) -> ScreenBox {
    let (width, height) = (f64::from(plot.width()), f64::from(plot.height()));
    let (band_low, band_high) = axis_band(axis);
    // A box reaching beyond the axis is drawn to its edge.
    let y_of =
        |hz: f64| plot.top() + viewport.y_of_hz(hz.clamp(band_low, band_high), height, axis) as f32;
    ScreenBox {
        id,
        left: plot.left() + viewport.x_of_secs(tf.start_secs, width) as f32,
        right: plot.left() + viewport.x_of_secs(tf.end_secs, width) as f32,
        top: y_of(tf.high_hz),
        bottom: y_of(tf.low_hz),
    }
}

/// Primary-button input for the box editor (Alt+drag pans instead).
fn pointer_event(
    ui: &egui::Ui,
    response: &egui::Response,
    plot: Rect,
    viewport: &Viewport,
    axis: &FrequencyAxis,
    boxes: &[ScreenBox],
) -> Option<PanePointer> {
    let modifiers = ui.input(|i| i.modifiers);
    let hit_at = |pos: Pos2| {
        if plot.contains(pos) {
            hit_test(boxes, pos.x, pos.y, HANDLE_PX)
        } else {
            Hit::Nothing
        }
    };
    if response.clicked_by(egui::PointerButton::Primary) {
        let pos = response.interact_pointer_pos()?;
        return Some(PanePointer::Clicked {
            at: tf_at(pos, plot, viewport, axis),
            hit: hit_at(pos),
            command: modifiers.command || modifiers.ctrl,
        });
    }
    if modifiers.alt {
        return None;
    }
    if response.drag_started_by(egui::PointerButton::Primary) {
        // Where the button went down, not where the drag was recognised a few pixels later.
        let origin = ui
            .input(|i| i.pointer.press_origin())
            .or_else(|| response.interact_pointer_pos())?;
        if !plot.contains(origin) {
            return None;
        }
        return Some(PanePointer::Pressed {
            at: tf_at(origin, plot, viewport, axis),
            hit: hit_at(origin),
            shift: modifiers.shift,
            command: modifiers.command || modifiers.ctrl,
        });
    }
    if response.drag_stopped_by(egui::PointerButton::Primary) {
        let pos = response
            .interact_pointer_pos()
            .or_else(|| ui.input(|i| i.pointer.latest_pos()))?;
        return Some(PanePointer::Released {
            at: tf_at(pos, plot, viewport, axis),
        });
    }
    if response.dragged_by(egui::PointerButton::Primary) {
        let pos = response.interact_pointer_pos()?;
        return Some(PanePointer::Dragged {
            at: tf_at(pos, plot, viewport, axis),
        });
    }
    None
}

/// Selection colours: positives warm, negatives cool, so they read on every colour map.
#[must_use]
pub fn kind_color(kind: SelectionKind) -> Color32 {
    match kind {
        SelectionKind::Positive => Color32::from_rgb(255, 200, 40),
        SelectionKind::Negative => Color32::from_rgb(90, 200, 255),
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_boxes(
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
            let galley = painter.layout_no_wrap(view.label.clone(), font.clone(), Color32::BLACK);
            let background = Rect::from_min_size(text_pos, galley.size() + vec2(4.0, 0.0));
            painter.rect_filled(background, 2.0, color.gamma_multiply(0.85));
            painter.galley(text_pos + vec2(2.0, 0.0), galley, Color32::BLACK);
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
fn draw_tiles(
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

fn draw_frequency_axis(
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

fn draw_time_axis(
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
        Stroke::new(2.0, Color32::from_rgb(255, 210, 80)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_detection_under_review_is_drawn_unlike_its_neighbours() {
        let view = |current| DetectionView {
            start_secs: 1.0,
            end_secs: 2.0,
            score: 0.9,
            verdict: None,
            current,
        };
        let (current, other) = (detection_edge(&view(true)), detection_edge(&view(false)));
        assert_eq!(current.color, CURRENT_DETECTION_COLOR);
        assert_ne!(other.color, CURRENT_DETECTION_COLOR);
        assert!(current.width >= 3.0 * other.width);
    }
}
