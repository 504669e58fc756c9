//! Preferences kept between runs (eframe storage): spectrogram settings, layout, playback,
//! recent files and projects, and the project open last.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::dsp::SpectrogramParams;
use crate::playback::PlaybackFilter;
use crate::render::Colormap;

/// Storage key.
pub const PREFERENCES_KEY: &str = "syrinx.preferences";
/// Recent files remembered.
pub const MAX_RECENT: usize = 12;

/// How dB values become colours (changing these never recomputes a spectrogram).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DisplaySettings {
    /// Level drawn darkest (the bottom of the colour map).
    pub floor_db: f32,
    /// Levels from the floor to `floor + range` span the colour map (contrast).
    pub range_db: f32,
    /// Added to every level before colouring (brightness).
    pub gain_db: f32,
    pub colormap: Colormap,
}

impl Default for DisplaySettings {
    fn default() -> Self {
        Self {
            floor_db: -100.0,
            range_db: 80.0,
            gain_db: 0.0,
            colormap: Colormap::Viridis,
        }
    }
}

impl DisplaySettings {
    /// A hashable identity for texture caching.
    #[must_use]
    pub fn key(&self) -> (u32, u32, u32, Colormap) {
        (
            self.floor_db.to_bits(),
            self.range_db.to_bits(),
            self.gain_db.to_bits(),
            self.colormap,
        )
    }
}

/// Settings of one spectrogram pane.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PaneSettings {
    pub params: SpectrogramParams,
    pub display: DisplaySettings,
    /// The overlap chosen on the slider, in percent: a window of another size keeps it (the
    /// hop follows), so changing the window size and back gives the same picture. `None`: the
    /// parameters' own.
    #[serde(default)]
    pub overlap_percent: Option<f64>,
}

/// Everything remembered between runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Preferences {
    pub primary: PaneSettings,
    /// The lower pane of compare mode (starts as a mel view of the same recording).
    pub compare: PaneSettings,
    pub compare_mode: bool,
    /// Compare's panes beside each other rather than one above the other.
    pub compare_side_by_side: bool,
    pub show_settings_panel: bool,
    pub show_model_view: bool,
    pub dark_theme: bool,
    /// The size of text and controls (View ▸ Text size): 1 is egui's own.
    pub text_scale: f32,
    pub playback_speed: f64,
    pub playback_filter: PlaybackFilter,
    pub follow_playback: bool,
    pub recent_files: Vec<PathBuf>,
    /// Recordings open when an older version was last closed (reopened once, then replaced
    /// by `last_project`).
    pub last_session: Vec<PathBuf>,
    /// The project open when the app was last closed (reopened next time).
    pub last_project: Option<PathBuf>,
    pub recent_projects: Vec<PathBuf>,
    pub last_folder: Option<PathBuf>,
    /// Seconds on screen when a recording opens.
    pub initial_span_secs: f64,
    /// Whether the demo was opened once already (first run).
    pub demo_offered: bool,
    /// The pretrained embedder last chosen in the Train window.
    pub embedder: Option<PathBuf>,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            primary: PaneSettings::default(),
            compare: PaneSettings {
                params: SpectrogramParams::default().mel(128),
                ..PaneSettings::default()
            },
            compare_mode: false,
            compare_side_by_side: false,
            show_settings_panel: true,
            show_model_view: false,
            dark_theme: true,
            text_scale: 1.0,
            playback_speed: 1.0,
            playback_filter: PlaybackFilter::default(),
            follow_playback: true,
            recent_files: Vec::new(),
            last_session: Vec::new(),
            last_project: None,
            recent_projects: Vec::new(),
            last_folder: None,
            initial_span_secs: 20.0,
            demo_offered: false,
            embedder: None,
        }
    }
}

/// The text sizes View ▸ Text size steps through.
pub const TEXT_SCALES: [f32; 9] = [0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5];

impl Preferences {
    /// The next text size up (`larger`) or down from the current one, within [`TEXT_SCALES`].
    pub fn step_text_scale(&mut self, larger: bool) {
        let current = self.text_scale;
        let next = if larger {
            TEXT_SCALES.iter().copied().find(|s| *s > current + 1e-3)
        } else {
            TEXT_SCALES
                .iter()
                .rev()
                .copied()
                .find(|s| *s < current - 1e-3)
        };
        if let Some(next) = next {
            self.text_scale = next;
        }
    }

    /// Puts `path` first in the recent projects.
    pub fn remember_project(&mut self, path: &std::path::Path) {
        self.recent_projects.retain(|p| p != path);
        self.recent_projects.insert(0, path.to_path_buf());
        self.recent_projects.truncate(MAX_RECENT);
    }

    /// Puts `path` first in the recent files.
    pub fn remember_recent(&mut self, path: &std::path::Path) {
        self.recent_files.retain(|p| p != path);
        self.recent_files.insert(0, path.to_path_buf());
        self.recent_files.truncate(MAX_RECENT);
        if let Some(parent) = path.parent() {
            self.last_folder = Some(parent.to_path_buf());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_files_are_unique_newest_first_and_bounded() {
        let mut prefs = Preferences::default();
        for i in 0..20 {
            prefs.remember_recent(&PathBuf::from(format!("/data/{i}.wav")));
        }
        prefs.remember_recent(&PathBuf::from("/data/15.wav"));
        assert_eq!(prefs.recent_files.len(), MAX_RECENT);
        assert_eq!(prefs.recent_files[0], PathBuf::from("/data/15.wav"));
        assert_eq!(
            prefs
                .recent_files
                .iter()
                .filter(|p| p.ends_with("15.wav"))
                .count(),
            1
        );
        assert_eq!(prefs.last_folder, Some(PathBuf::from("/data")));
    }

    #[test]
    fn preferences_survive_a_round_trip_and_tolerate_missing_fields() {
        let prefs = Preferences {
            compare_mode: true,
            ..Preferences::default()
        };
        let json = serde_json::to_string(&prefs).unwrap();
        assert_eq!(serde_json::from_str::<Preferences>(&json).unwrap(), prefs);
        let old: Preferences = serde_json::from_str(r#"{"dark_theme": false}"#).unwrap();
        assert!(!old.dark_theme);
        assert_eq!(old.primary, PaneSettings::default());
    }
}
