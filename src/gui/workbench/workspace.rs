//! The workspace: the open recordings and the view of them (tiles, textures, the overview, the
//! model view), playback, and the box editor with its table and measurement. Features share it
//! through the [`super::Workbench`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use eframe::egui;

use crate::annotation::{ProjectRecordingId, Selection, SelectionId};
use crate::audio::{AudioReader, RecordingInfo};
use crate::gui::annotate::Annotator;
use crate::gui::model_view::ModelView;
use crate::gui::selection_table::SelectionTable;
use crate::gui::spectrogram_view::HoverReadout;
use crate::gui::textures::TextureCache;
use crate::measure::Measurement;
use crate::playback::Player;
use crate::spectrogram::viewport::Viewport;
use crate::spectrogram::{RecordingId, SpectrogramKey, TileEngine, TileKey};

/// The open recordings and what shows and plays them.
pub struct Workspace {
    // Open recordings.
    pub recordings: Vec<OpenRecording>,
    pub active: Option<RecordingId>,
    /// Files being opened (shown as "opening…").
    pub opening: Vec<PathBuf>,
    /// The recording to show when it has opened.
    pub(crate) focus_next: Option<PathBuf>,
    pub(crate) next_id: u64,
    pub(crate) next_order: u64,
    /// Selection to show once its recording has opened.
    pub(crate) pending_jump: Option<SelectionId>,
    /// The review queue's current detection waits for its recording to open.
    pub(crate) pending_detection: bool,
    /// A stretch to show once its recording has opened (a "Find more like this" match).
    pub(crate) pending_span: Option<(ProjectRecordingId, f64, f64)>,
    /// Selections per recording, for the list, with the (generation, version) they were
    /// counted at.
    pub(crate) counts: (
        (u64, u64),
        Arc<std::collections::BTreeMap<ProjectRecordingId, usize>>,
    ),

    // The spectrogram and what draws it.
    pub(crate) engine: TileEngine,
    pub(crate) textures: TextureCache,
    pub(crate) model_view: ModelView,
    pub(crate) overview: Option<Overview>,
    pub(crate) last_request: (Vec<TileKey>, Vec<SpectrogramKey>),
    /// Where the (upper) spectrogram was drawn last frame.
    pub primary_plot: Option<egui::Rect>,
    /// The spectrogram was clicked last (label hotkeys act only then).
    pub(crate) spectrogram_focused: bool,
    pub hover: Option<HoverReadout>,
    /// When each recording was asked for, until its first screen is complete (time to first
    /// screen, reported with `--frame-stats`).
    pub(crate) first_screen_pending: Vec<(PathBuf, Instant)>,

    // Boxes.
    pub annotator: Annotator,
    pub table: SelectionTable,
    pub(crate) measurement: Option<MeasurementState>,

    // Playback.
    pub(crate) player: Player,
    pub(crate) playing_recording: Option<RecordingId>,
    /// Play selected boxes through a band-pass of their frequencies.
    pub play_band_limited: bool,
}

impl Workspace {
    /// Nothing open yet; `engine` computes the tiles, `player` plays.
    pub(crate) fn new(engine: TileEngine, player: Player) -> Self {
        Self {
            recordings: Vec::new(),
            active: None,
            opening: Vec::new(),
            focus_next: None,
            next_id: 1,
            next_order: 0,
            pending_jump: None,
            pending_detection: false,
            pending_span: None,
            counts: ((u64::MAX, 0), Arc::default()),
            engine,
            textures: TextureCache::default(),
            model_view: ModelView::default(),
            overview: None,
            last_request: (Vec::new(), Vec::new()),
            primary_plot: None,
            spectrogram_focused: false,
            hover: None,
            first_screen_pending: Vec::new(),
            annotator: Annotator::default(),
            table: SelectionTable::default(),
            measurement: None,
            player,
            playing_recording: None,
            play_band_limited: true,
        }
    }
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("recordings", &self.recordings.len())
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// One open recording.
#[derive(Debug)]
pub struct OpenRecording {
    pub id: RecordingId,
    /// The recording's entry in the project.
    pub project_id: ProjectRecordingId,
    /// When it was asked for (the list keeps this order).
    pub(crate) order: u64,
    pub path: PathBuf,
    pub info: RecordingInfo,
    /// Kept to clone readers for playback and the model view.
    pub(crate) reader: AudioReader,
    pub viewport: Viewport,
    /// Where a click put the cursor (playback starts there).
    pub cursor_secs: Option<f64>,
}

impl OpenRecording {
    #[must_use]
    pub fn name(&self) -> String {
        self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }
}

/// A file opened in the background.
pub struct OpenedFile {
    pub reader: AudioReader,
    /// Size and fingerprint, taken for files not yet in the project.
    pub fingerprint: Option<std::io::Result<(u64, String)>>,
}

/// The overview picture of the active recording.
pub struct Overview {
    pub key: SpectrogramKey,
    pub columns_done: usize,
    pub display: crate::gui::prefs::DisplaySettings,
    pub texture: egui::TextureHandle,
    pub progress: f32,
}

/// Identifies what a measurement was taken of (the box may be edited meanwhile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeasureKey {
    pub id: SelectionId,
    pub bounds: [u64; 4],
}

impl MeasureKey {
    pub fn of(s: &Selection) -> Self {
        Self {
            id: s.id,
            bounds: [
                s.start_secs.to_bits(),
                s.end_secs.to_bits(),
                s.low_hz.to_bits(),
                s.high_hz.to_bits(),
            ],
        }
    }
}

/// The selected box's measurement: `None` while it is being taken.
#[derive(Debug)]
pub struct MeasurementState {
    pub key: MeasureKey,
    pub result: Option<Result<Measurement, crate::audio::AudioError>>,
}
