//! What is on screen besides the workspace: the features' panel state (each with its own
//! runs), the project's windows, the small windows and the shell's own fields. The session
//! and the workspace are `gui::workbench`'s.

use crate::gui::frame_stats::FrameStats;

/// What is on screen besides the workspace.
pub struct UiState {
    /// The toolbar's go-to-time field.
    pub go_to_text: String,
    pub frame_stats: FrameStats,
    pub(super) print_frame_stats: bool,

    // Panels, each with its own state (and its background run).
    /// The Train window.
    pub training: crate::gui::training::TrainingWindow,
    /// The Detect window.
    pub detect: crate::gui::detection::DetectWindow,
    /// The Review panel.
    pub review: crate::gui::review::ReviewState,
    /// The Find more like this window.
    pub similar: crate::gui::similar::SimilarWindow,

    /// The project's flows and their windows (prompt, import, export, labels, Restore).
    pub projects: crate::gui::projects::ProjectFlows,

    // Small windows.
    pub path_text: String,
    pub(super) show_shortcuts: bool,
    /// The Jobs window.
    pub(super) jobs: crate::gui::jobs_window::JobsWindow,
    /// Commands given during this frame, run once it is drawn.
    pub(super) queued_commands: Vec<crate::gui::commands::Command>,
    /// The command palette (Ctrl+K).
    pub(super) palette: crate::gui::palette::Palette,
    /// The status bar, the notifications and the messages' log.
    pub(super) messages: crate::gui::messages::MessagesView,
    /// Help ▸ Getting started is open.
    pub show_getting_started: bool,
    pub(super) window_title: String,
}

impl std::fmt::Debug for UiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UiState")
            .field("review", &self.review.open)
            .finish_non_exhaustive()
    }
}
