//! The visible window onto a recording: which time span and which part of the frequency axis,
//! and the transforms between those and screen pixels. Pure logic (no GUI types), so zooming,
//! panning and paging are unit tested; the desktop widget only feeds it pointer and key events.

use crate::dsp::FrequencyAxis;

/// The shortest span one can zoom into (10 ms: a few frames of any sensible window).
pub const MIN_SPAN_SECS: f64 = 0.01;
/// Fraction of a page kept on screen by Page Up/Down, so the eye keeps its place (as in Raven).
pub const PAGE_OVERLAP: f64 = 0.1;
/// Smallest visible share of the frequency axis.
const MIN_FREQUENCY_SPAN: f64 = 0.02;

/// One keyboard-sized move of the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewStep {
    /// A tenth of the view earlier / later.
    PanBack,
    PanForward,
    /// Half / twice the span, about the centre.
    ZoomIn,
    ZoomOut,
    /// A page earlier / later (see [`PAGE_OVERLAP`]).
    PageBack,
    PageForward,
    Start,
    End,
    /// Half / twice the visible frequency range, about its centre.
    ZoomFrequencyIn,
    ZoomFrequencyOut,
}

/// What part of a recording is on screen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Viewport {
    pub start_secs: f64,
    pub span_secs: f64,
    /// Length of the recording; the view never scrolls past it.
    pub duration_secs: f64,
    /// Visible part of the frequency axis as fractions of its height: 0 is the bottom edge of the
    /// lowest row, 1 the top edge of the highest.
    pub low_fraction: f64,
    pub high_fraction: f64,
}

impl Viewport {
    /// The first `span_secs` of a recording, all frequencies.
    #[must_use]
    pub fn new(duration_secs: f64, span_secs: f64) -> Self {
        let mut view = Self {
            start_secs: 0.0,
            span_secs,
            duration_secs: duration_secs.max(0.0),
            low_fraction: 0.0,
            high_fraction: 1.0,
        };
        view.clamp();
        view
    }

    #[must_use]
    pub fn end_secs(&self) -> f64 {
        self.start_secs + self.span_secs
    }

    /// Screen x (from the view's left edge) of a time.
    #[must_use]
    pub fn x_of_secs(&self, secs: f64, width_px: f64) -> f64 {
        (secs - self.start_secs) / self.span_secs * width_px
    }

    /// Time at screen x.
    #[must_use]
    pub fn secs_of_x(&self, x: f64, width_px: f64) -> f64 {
        self.start_secs + x / width_px.max(1e-9) * self.span_secs
    }

    /// Screen y (from the view's top edge) of a position on the frequency axis (0–1).
    #[must_use]
    pub fn y_of_fraction(&self, fraction: f64, height_px: f64) -> f64 {
        (self.high_fraction - fraction) / (self.high_fraction - self.low_fraction) * height_px
    }

    /// Position on the frequency axis (0–1) at screen y.
    #[must_use]
    pub fn fraction_of_y(&self, y: f64, height_px: f64) -> f64 {
        self.high_fraction - y / height_px.max(1e-9) * (self.high_fraction - self.low_fraction)
    }

    /// Frequency at screen y on `axis`.
    #[must_use]
    pub fn hz_of_y(&self, y: f64, height_px: f64, axis: &FrequencyAxis) -> f64 {
        axis.hz_at_row(self.fraction_of_y(y, height_px) * axis.rows as f64 - 0.5)
    }

    /// Screen y of a frequency on `axis`.
    #[must_use]
    pub fn y_of_hz(&self, hz: f64, height_px: f64, axis: &FrequencyAxis) -> f64 {
        self.y_of_fraction((axis.row_at_hz(hz) + 0.5) / axis.rows as f64, height_px)
    }

    /// Applies one keyboard-sized move.
    pub fn step(&mut self, step: ViewStep) {
        let center = self.start_secs + self.span_secs / 2.0;
        let frequency_center = (self.low_fraction + self.high_fraction) / 2.0;
        match step {
            ViewStep::PanBack => self.pan_secs(-0.1 * self.span_secs),
            ViewStep::PanForward => self.pan_secs(0.1 * self.span_secs),
            ViewStep::ZoomIn => self.zoom_time(0.5, center),
            ViewStep::ZoomOut => self.zoom_time(2.0, center),
            ViewStep::PageBack => self.page(-1),
            ViewStep::PageForward => self.page(1),
            ViewStep::Start => self.home(),
            ViewStep::End => self.end(),
            ViewStep::ZoomFrequencyIn => self.zoom_frequency(0.5, frequency_center),
            ViewStep::ZoomFrequencyOut => self.zoom_frequency(2.0, frequency_center),
        }
    }

    /// Moves the view by `delta_secs` (positive: later).
    pub fn pan_secs(&mut self, delta_secs: f64) {
        self.start_secs += delta_secs;
        self.clamp();
    }

    /// Zooms time by `factor` (below 1 zooms in) keeping `anchor_secs` where it is on screen.
    pub fn zoom_time(&mut self, factor: f64, anchor_secs: f64) {
        if !(factor.is_finite() && factor > 0.0) {
            return;
        }
        let anchor = anchor_secs.clamp(self.start_secs, self.end_secs());
        let anchor_share = (anchor - self.start_secs) / self.span_secs;
        self.span_secs *= factor;
        self.clamp_span();
        self.start_secs = anchor - anchor_share * self.span_secs;
        self.clamp();
    }

    /// Zooms the frequency axis by `factor` keeping `anchor_fraction` in place.
    pub fn zoom_frequency(&mut self, factor: f64, anchor_fraction: f64) {
        if !(factor.is_finite() && factor > 0.0) {
            return;
        }
        let span = self.high_fraction - self.low_fraction;
        let anchor = anchor_fraction.clamp(self.low_fraction, self.high_fraction);
        let share = (anchor - self.low_fraction) / span;
        let new_span = (span * factor).clamp(MIN_FREQUENCY_SPAN, 1.0);
        self.low_fraction = anchor - share * new_span;
        self.high_fraction = self.low_fraction + new_span;
        if self.low_fraction < 0.0 {
            self.high_fraction -= self.low_fraction;
            self.low_fraction = 0.0;
        }
        if self.high_fraction > 1.0 {
            self.low_fraction -= self.high_fraction - 1.0;
            self.high_fraction = 1.0;
        }
        self.low_fraction = self.low_fraction.max(0.0);
    }

    /// Moves the visible frequency range by `delta_fraction` of the axis (positive: higher),
    /// keeping its size.
    pub fn pan_frequency(&mut self, delta_fraction: f64) {
        let span = self.high_fraction - self.low_fraction;
        self.low_fraction = (self.low_fraction + delta_fraction).clamp(0.0, 1.0 - span);
        self.high_fraction = self.low_fraction + span;
    }

    /// Shows all frequencies again.
    pub fn reset_frequency(&mut self) {
        self.low_fraction = 0.0;
        self.high_fraction = 1.0;
    }

    /// One page later (`pages > 0`) or earlier, keeping [`PAGE_OVERLAP`] of the old page.
    pub fn page(&mut self, pages: i32) {
        self.pan_secs(f64::from(pages) * self.span_secs * (1.0 - PAGE_OVERLAP));
    }

    /// The start of the recording.
    pub fn home(&mut self) {
        self.start_secs = 0.0;
        self.clamp();
    }

    /// The end of the recording.
    pub fn end(&mut self) {
        self.start_secs = self.duration_secs - self.span_secs;
        self.clamp();
    }

    /// Centres the view on `secs` (as far as the recording's ends allow).
    pub fn center_on(&mut self, secs: f64) {
        self.start_secs = secs - self.span_secs / 2.0;
        self.clamp();
    }

    /// Shows `[start_secs, end_secs)`.
    pub fn show_span(&mut self, start_secs: f64, end_secs: f64) {
        self.span_secs = end_secs - start_secs;
        self.clamp_span();
        self.start_secs = start_secs;
        self.clamp();
    }

    /// Shows the part `[low_fraction, high_fraction]` of the frequency axis (at least the
    /// smallest zoom allowed).
    pub fn show_fractions(&mut self, low_fraction: f64, high_fraction: f64) {
        if !(low_fraction.is_finite() && high_fraction.is_finite()) {
            return;
        }
        let (low, high) = (
            low_fraction.min(high_fraction),
            low_fraction.max(high_fraction),
        );
        let span = (high - low).clamp(MIN_FREQUENCY_SPAN, 1.0);
        let center = (low + high) / 2.0;
        self.low_fraction = (center - span / 2.0).clamp(0.0, 1.0 - span);
        self.high_fraction = self.low_fraction + span;
    }

    /// Brings `[start_secs, end_secs]` on screen with a little room around it: moves the view if
    /// it fits the current span, else zooms out just enough. Already visible: nothing moves.
    pub fn reveal(&mut self, start_secs: f64, end_secs: f64) {
        let room = (0.1 * (end_secs - start_secs)).max(0.02 * self.span_secs);
        if start_secs >= self.start_secs && end_secs <= self.end_secs() {
            return;
        }
        if end_secs - start_secs + 2.0 * room > self.span_secs {
            self.show_span(start_secs - room, end_secs + room);
        } else {
            self.center_on((start_secs + end_secs) / 2.0);
        }
    }

    /// Keeps `secs` on screen, paging forward when it reaches the right edge (playback follow).
    pub fn follow(&mut self, secs: f64) {
        if secs > self.end_secs() - 0.02 * self.span_secs || secs < self.start_secs {
            self.start_secs = secs - 0.05 * self.span_secs;
            self.clamp();
        }
    }

    fn clamp_span(&mut self) {
        let longest = self.duration_secs.max(MIN_SPAN_SECS);
        self.span_secs = if self.span_secs.is_finite() {
            self.span_secs.clamp(MIN_SPAN_SECS, longest)
        } else {
            longest
        };
    }

    fn clamp(&mut self) {
        self.clamp_span();
        let latest_start = (self.duration_secs - self.span_secs).max(0.0);
        self.start_secs = if self.start_secs.is_finite() {
            self.start_secs.clamp(0.0, latest_start)
        } else {
            0.0
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn screen_and_time_round_trip() {
        let view = Viewport {
            start_secs: 10.0,
            ..Viewport::new(3600.0, 20.0)
        };
        assert!(close(view.x_of_secs(15.0, 1000.0), 250.0));
        assert!(close(view.secs_of_x(250.0, 1000.0), 15.0));
        assert!(close(
            view.secs_of_x(view.x_of_secs(27.3, 800.0), 800.0),
            27.3
        ));
    }

    #[test]
    fn frequency_fractions_map_to_rows_and_hertz() {
        let mut view = Viewport::new(60.0, 10.0);
        assert!(close(view.y_of_fraction(1.0, 400.0), 0.0));
        assert!(close(view.y_of_fraction(0.0, 400.0), 400.0));
        view.zoom_frequency(0.5, 0.5);
        assert!(close(view.low_fraction, 0.25) && close(view.high_fraction, 0.75));
        assert!(close(view.fraction_of_y(200.0, 400.0), 0.5));
        view.pan_frequency(0.1);
        assert!(close(view.low_fraction, 0.35) && close(view.high_fraction, 0.85));
        view.pan_frequency(1.0);
        assert!(
            close(view.low_fraction, 0.5) && close(view.high_fraction, 1.0),
            "stops at the top"
        );
        // A linear axis of 257 rows, 0 Hz centred on row 0.
        let axis = FrequencyAxis {
            mel: None,
            first_center: 0.0,
            step: 11_025.0 / 256.0,
            rows: 257,
        };
        let view = Viewport::new(60.0, 10.0);
        let y = view.y_of_hz(5000.0, 500.0, &axis);
        assert!((view.hz_of_y(y, 500.0, &axis) - 5000.0).abs() < 1e-6);
        assert!(
            view.y_of_hz(8000.0, 500.0, &axis) < y,
            "higher frequencies are higher on screen"
        );
    }

    #[test]
    fn zoom_keeps_the_anchor_in_place_and_respects_limits() {
        let mut view = Viewport {
            start_secs: 100.0,
            ..Viewport::new(3600.0, 60.0)
        };
        let anchor = 115.0;
        let x_before = view.x_of_secs(anchor, 1000.0);
        view.zoom_time(0.5, anchor);
        assert!(close(view.span_secs, 30.0));
        assert!(close(view.x_of_secs(anchor, 1000.0), x_before));
        view.zoom_time(1e-9, anchor);
        assert!(close(view.span_secs, MIN_SPAN_SECS));
        view.zoom_time(1e9, anchor);
        assert!(close(view.span_secs, 3600.0) && close(view.start_secs, 0.0));
        view.zoom_time(f64::NAN, 0.0);
        assert!(close(view.span_secs, 3600.0));
    }

    #[test]
    fn paging_overlaps_and_stops_at_the_ends() {
        let mut view = Viewport::new(100.0, 10.0);
        view.page(1);
        assert!(close(view.start_secs, 9.0));
        view.page(-1);
        assert!(close(view.start_secs, 0.0));
        view.page(-1);
        assert!(close(view.start_secs, 0.0), "never before the start");
        view.end();
        assert!(close(view.start_secs, 90.0));
        view.page(1);
        assert!(close(view.start_secs, 90.0), "never past the end");
        view.home();
        assert!(close(view.start_secs, 0.0));
        view.center_on(50.0);
        assert!(close(view.start_secs, 45.0));
    }

    #[test]
    fn steps_move_by_their_amounts() {
        let mut view = Viewport {
            start_secs: 50.0,
            ..Viewport::new(200.0, 20.0)
        };
        view.step(ViewStep::PanForward);
        assert!(close(view.start_secs, 52.0));
        view.step(ViewStep::ZoomIn);
        assert!(
            close(view.span_secs, 10.0) && close(view.start_secs, 57.0),
            "zoom about the centre"
        );
        view.step(ViewStep::ZoomOut);
        view.step(ViewStep::PanBack);
        assert!(close(view.start_secs, 50.0) && close(view.span_secs, 20.0));
        view.step(ViewStep::PageForward);
        assert!(close(view.start_secs, 68.0));
        view.step(ViewStep::ZoomFrequencyIn);
        assert!(close(view.low_fraction, 0.25) && close(view.high_fraction, 0.75));
        view.step(ViewStep::ZoomFrequencyOut);
        assert!(close(view.low_fraction, 0.0) && close(view.high_fraction, 1.0));
        view.step(ViewStep::End);
        assert!(close(view.end_secs(), 200.0));
        view.step(ViewStep::Start);
        assert!(close(view.start_secs, 0.0));
    }

    #[test]
    fn short_recordings_fit_whole() {
        let mut view = Viewport::new(0.142, 10.0);
        assert!(close(view.span_secs, 0.142) && close(view.start_secs, 0.0));
        view.pan_secs(5.0);
        assert!(close(view.start_secs, 0.0));
    }

    #[test]
    fn following_the_playhead_turns_pages() {
        let mut view = Viewport::new(100.0, 10.0);
        view.follow(5.0);
        assert!(close(view.start_secs, 0.0));
        view.follow(9.99);
        assert!(close(view.start_secs, 9.49));
        view.follow(2.0);
        assert!(close(view.start_secs, 1.5));
    }

    #[test]
    fn reveal_moves_only_when_needed_and_zooms_out_for_long_boxes() {
        let mut view = Viewport::new(600.0, 20.0);
        view.reveal(5.0, 6.0);
        assert_eq!(view.start_secs, 0.0, "already visible");
        view.reveal(100.0, 101.0);
        assert!((view.start_secs - 90.5).abs() < 1e-9, "centred: {view:?}");
        assert!((view.span_secs - 20.0).abs() < 1e-9);
        view.reveal(200.0, 260.0);
        assert!(
            view.start_secs < 200.0 && view.end_secs() > 260.0 && view.span_secs < 80.0,
            "{view:?}"
        );
    }

    #[test]
    fn frequency_fractions_are_clamped_to_the_axis() {
        let mut view = Viewport::new(60.0, 10.0);
        view.show_fractions(0.9, 1.2);
        assert!((view.high_fraction - 1.0).abs() < 1e-12 && view.low_fraction < 0.9);
        view.show_fractions(0.5, 0.5);
        assert!((view.high_fraction - view.low_fraction - MIN_FREQUENCY_SPAN).abs() < 1e-12);
    }
}
