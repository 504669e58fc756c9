//! Playback and navigation: play, stop, play the visible range, the playhead, go to a time.

use eframe::egui;

use crate::playback::{PlaybackFilter, PlaybackRequest};
use crate::util::timefmt::parse_time_secs;

use super::SyrinxApp;

impl SyrinxApp {
    /// Plays from the cursor (or the visible start) to the end; again stops.
    pub fn toggle_playback(&mut self) {
        if self.ui.player.is_playing() {
            self.ui.player.stop();
            return;
        }
        let Some(recording) = self.active_recording() else {
            return;
        };
        let start = recording
            .cursor_secs
            .filter(|s| *s < recording.info.duration_secs())
            .unwrap_or(recording.viewport.start_secs);
        let end = recording.info.duration_secs();
        self.play_span(start, end, self.prefs.playback_filter);
    }

    /// Plays what is on screen.
    pub fn play_visible(&mut self) {
        let Some(recording) = self.active_recording() else {
            return;
        };
        let (start, end) = (recording.viewport.start_secs, recording.viewport.end_secs());
        self.play_span(start, end, self.prefs.playback_filter);
    }

    pub(super) fn play_span(&mut self, start_secs: f64, end_secs: f64, filter: PlaybackFilter) {
        let Some(recording) = self.active_recording() else {
            return;
        };
        let reader = match recording.reader.try_clone() {
            Ok(reader) => reader,
            Err(error) => {
                self.error(error.to_string());
                return;
            }
        };
        let request = PlaybackRequest {
            start_frame: recording.info.frame_at_secs(start_secs),
            end_frame: recording.info.frame_at_secs(end_secs),
            speed: self.prefs.playback_speed,
            filter,
        };
        self.ui.playing_recording = Some(recording.id);
        self.ui.player.play(reader, request);
    }

    /// Where playback is, in seconds of the active recording.
    #[must_use]
    pub fn playhead_secs(&self) -> Option<f64> {
        let recording = self.active_recording()?;
        if self.ui.playing_recording != Some(recording.id) {
            return None;
        }
        let frame = self.ui.player.position_frame()?;
        Some(frame as f64 / f64::from(recording.info.sample_rate_hz))
    }

    /// Where `(secs, hz)` of the active recording was drawn in the upper pane last frame (for
    /// driving the window in tests and tools).
    #[must_use]
    pub fn screen_point(&self, secs: f64, hz: f64) -> Option<egui::Pos2> {
        let plot = self.ui.primary_plot?;
        let recording = self.active_recording()?;
        let axis = self
            .prefs
            .primary
            .params
            .axis(recording.info.sample_rate_hz);
        let view = &recording.viewport;
        Some(egui::pos2(
            plot.left() + view.x_of_secs(secs, f64::from(plot.width())) as f32,
            plot.top() + view.y_of_hz(hz, f64::from(plot.height()), &axis) as f32,
        ))
    }

    /// Parses the go-to field and jumps there.
    pub fn go_to(&mut self) {
        match parse_time_secs(&self.ui.go_to_text) {
            Ok(secs) => {
                if let Some(recording) = self.active_recording_mut() {
                    recording.viewport.center_on(secs);
                    recording.cursor_secs = Some(secs.min(recording.info.duration_secs()));
                }
            }
            Err(error) => self.error(error.to_string()),
        }
    }
}
