//! The spectrogram pane: draws tiles (or coarser stand-ins while they compute), axes, playhead
//! and cursor, and turns pointer input into [`Viewport`] changes. All the arithmetic lives in
//! [`Viewport`] and the tile module; this widget only feeds them.

mod draw;
mod overview;

#[cfg(test)]
use draw::detection_edge;
pub use draw::kind_color;
use draw::{draw_boxes, draw_detections, draw_frequency_axis, draw_tiles, draw_time_axis};
pub use overview::overview_ui;

use std::sync::Arc;

use eframe::egui::{self, Color32, Pos2, Rect, Sense, Stroke, Vec2, pos2, vec2};

use super::prefs::PaneSettings;
use super::textures::TextureCache;
use crate::annotation::boxedit::{Hit, ScreenBox, TfBox, TfPoint, hit_test};
use crate::annotation::{SelectionId, SelectionKind};
use crate::audio::{ChannelMode, RecordingInfo};
use crate::dsp::FrequencyAxis;
use crate::spectrogram::viewport::Viewport;
use crate::spectrogram::{RecordingId, SpectrogramKey, Tile, TileEngine, TileKey};

/// Room for frequency labels on the left.
pub const LEFT_AXIS_PX: f32 = 62.0;
/// Room for time labels below.
pub const BOTTOM_AXIS_PX: f32 = 36.0;
const TOP_PAD_PX: f32 = 6.0;
/// Room on the right for the colour bar and its dB labels.
const RIGHT_PAD_PX: f32 = 64.0;
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

/// A detection as the pane draws it: a box over its call, coloured by class or verdict, with
/// its score; unlike selections it is never edited here.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectionView {
    pub start_secs: f64,
    pub end_secs: f64,
    /// The call's band (`None`: the whole height).
    pub band_hz: Option<(f64, f64)>,
    pub score: f32,
    pub verdict: Option<crate::project::runs::Verdict>,
    /// The review queue's current detection.
    pub current: bool,
    /// The class's name and colour, when the run is one class of a multi-class model's.
    pub class: Option<(String, Color32)>,
    /// What it is against an earlier run, when review compares the two.
    pub change: Option<IterationChange>,
}

/// A detection against the earlier run review compares with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IterationChange {
    /// Only the reviewed run makes it.
    Gained,
    /// Only the earlier run made it (drawn dashed: the reviewed run has no such box).
    Lost,
}

/// The frame of the detection under review.
pub const CURRENT_DETECTION_COLOR: Color32 = crate::gui::theme::CURRENT_DETECTION;

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
            Stroke::new(1.0, crate::gui::theme::CURSOR),
        );
    }
    if let Some(secs) = input
        .playhead_secs
        .filter(|s| (viewport.start_secs..=viewport.end_secs()).contains(s))
    {
        let x = x_of(secs);
        painter.line_segment(
            [pos2(x, plot.top()), pos2(x, plot.bottom())],
            Stroke::new(2.0, crate::gui::theme::PLAYHEAD),
        );
    }

    draw_detections(
        &painter,
        plot,
        input.detections,
        viewport,
        &axis,
        crate::gui::theme::overlay_text_px(ui),
    );
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
    draw::draw_color_bar(ui, &painter, plot, &input.settings.display);
    if input.show_time_axis {
        draw_time_axis(ui, &painter, plot, viewport, input.info.duration_secs());
    }
    if let Some(title) = &input.title {
        // On a dark plate: readable over the light end of any colour map.
        let galley = painter.layout_no_wrap(
            title.clone(),
            egui::FontId::proportional(crate::gui::theme::overlay_text_px(ui)),
            Color32::WHITE,
        );
        let at = plot.left_top() + vec2(6.0, 4.0);
        painter.rect_filled(
            Rect::from_min_size(at, galley.size() + vec2(8.0, 4.0)),
            3.0,
            Color32::from_black_alpha(200),
        );
        painter.galley(at + vec2(4.0, 2.0), galley, Color32::WHITE);
    }
    if output.loading {
        painter.text(
            plot.right_top() + vec2(-6.0, 4.0),
            egui::Align2::RIGHT_TOP,
            "computing…",
            egui::FontId::proportional(12.0),
            crate::gui::theme::OVERLAY_TEXT_WEAK,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_detection_under_review_is_drawn_unlike_its_neighbours() {
        let view = |current| DetectionView {
            start_secs: 1.0,
            end_secs: 2.0,
            band_hz: None,
            score: 0.9,
            verdict: None,
            current,
            class: None,
            change: None,
        };
        let (current, other) = (detection_edge(&view(true)), detection_edge(&view(false)));
        assert_eq!(current.color, CURRENT_DETECTION_COLOR);
        assert_ne!(other.color, CURRENT_DETECTION_COLOR);
        assert!(current.width >= 1.5 * other.width);
    }

    #[test]
    fn the_frame_of_the_detection_under_review_leaves_its_call_uncovered() {
        let call = Rect::from_min_max(pos2(100.0, 50.0), pos2(180.0, 120.0));
        let frame = draw::current_frame(call);
        let stroke = detection_edge(&DetectionView {
            start_secs: 0.0,
            end_secs: 1.0,
            band_hz: None,
            score: 0.9,
            verdict: None,
            current: true,
            class: None,
            change: None,
        });
        // Stroked inside the frame: its inner edge still lies outside the call's box.
        let inner = frame.shrink(stroke.width);
        assert!(inner.contains_rect(call), "{inner:?} vs {call:?}");
        assert!(inner.left() < call.left() && inner.top() < call.top());
    }
}
