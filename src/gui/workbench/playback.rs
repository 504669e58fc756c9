//! Playback and navigation: play, stop, play the visible range or a selection, the playhead,
//! go to a time.

use eframe::egui;

use crate::annotation::SelectionId;
use crate::playback::{PlaybackFilter, PlaybackRequest};
use crate::util::timefmt::parse_time_secs;

use super::{Workbench, Workspace};

impl Workspace {
    /// Where playback is, in seconds of the active recording.
    #[must_use]
    pub fn playhead_secs(&self) -> Option<f64> {
        let recording = self.active_recording()?;
        if self.playing_recording != Some(recording.id) {
            return None;
        }
        let frame = self.player.position_frame()?;
        Some(frame as f64 / f64::from(recording.info.sample_rate_hz))
    }

    /// Where `(secs, hz)` of the active recording was drawn in the upper pane last frame (for
    /// driving the window in tests and tools).
    #[must_use]
    pub fn screen_point(
        &self,
        params: &crate::dsp::SpectrogramParams,
        secs: f64,
        hz: f64,
    ) -> Option<egui::Pos2> {
        let plot = self.primary_plot?;
        let recording = self.active_recording()?;
        let axis = params.axis(recording.info.sample_rate_hz);
        let view = &recording.viewport;
        Some(egui::pos2(
            plot.left() + view.x_of_secs(secs, f64::from(plot.width())) as f32,
            plot.top() + view.y_of_hz(hz, f64::from(plot.height()), &axis) as f32,
        ))
    }
}

impl Workbench<'_> {
    /// Plays from the cursor (or the visible start) to the end; again stops.
    pub fn toggle_playback(&mut self) {
        if self.workspace.player.is_playing() {
            self.workspace.player.stop();
            return;
        }
        let Some(recording) = self.workspace.active_recording() else {
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
        let Some(recording) = self.workspace.active_recording() else {
            return;
        };
        let (start, end) = (recording.viewport.start_secs, recording.viewport.end_secs());
        self.play_span(start, end, self.prefs.playback_filter);
    }

    pub fn play_span(&mut self, start_secs: f64, end_secs: f64, filter: PlaybackFilter) {
        let Some(recording) = self.workspace.active_recording() else {
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
        self.workspace.playing_recording = Some(recording.id);
        self.workspace.player.play(reader, request);
    }

    /// Parses `text` (a time as typed in the go-to field) and jumps there.
    pub fn go_to(&mut self, text: &str) {
        match parse_time_secs(text) {
            Ok(secs) => {
                if let Some(recording) = self.workspace.active_recording_mut() {
                    recording.viewport.center_on(secs);
                    recording.cursor_secs = Some(secs.min(recording.info.duration_secs()));
                }
            }
            Err(error) => self.error(error.to_string()),
        }
    }

    /// Plays a selection (through a band-pass of its frequencies when `play_band_limited`).
    pub fn play_selection(&mut self, id: SelectionId) {
        let Some(selection) = self.session.document.project.selections.get(id).cloned() else {
            return;
        };
        if self
            .workspace
            .active_recording()
            .is_none_or(|r| r.project_id != selection.recording)
        {
            self.jump_to_selection(id);
            if self
                .workspace
                .active_recording()
                .is_none_or(|r| r.project_id != selection.recording)
            {
                self.info("Opening the recording; press Play again when it is shown.".to_owned());
                return;
            }
        }
        let nyquist = self
            .workspace
            .active_recording()
            .map_or(0.0, |r| f64::from(r.info.sample_rate_hz) / 2.0);
        let filter = if self.workspace.play_band_limited {
            PlaybackFilter {
                high_pass_hz: (selection.low_hz > 20.0).then_some(selection.low_hz as f32),
                low_pass_hz: (selection.high_hz < nyquist * 0.98)
                    .then_some(selection.high_hz as f32),
            }
        } else {
            self.prefs.playback_filter
        };
        self.workspace.player.stop();
        self.play_span(selection.start_secs, selection.end_secs, filter);
    }
}
