//! What every feature of the window works with, lent to it as one [`Workbench`]: the session
//! (the project with its history and saves, the jobs and their messages), the workspace (open
//! recordings, the view, playback, the box editor) and the preferences.
//!
//! A feature (`gui::review`, `gui::training`, `gui::detection`, `gui::similar`, …) owns its panel
//! state and handles its actions as functions of a `Workbench` and that state. What one feature
//! asks of another (open the Train window, open a project) it asks as a [`Request`], which the
//! shell (`gui::app`) routes once the frame is drawn; jobs' results come back as [`Event`]s,
//! which the shell routes to the feature that started them.

mod annotating;
mod events;
mod history;
mod playback;
mod recordings;
mod selection_panel;
mod session;
mod workspace;

use std::path::PathBuf;

pub use annotating::{edit_target, remember_label, remember_labels};
pub use events::{Cleanup, Event, Search, WorkFailed};
pub use session::{Activity, Session};
pub use workspace::{MeasureKey, MeasurementState, OpenRecording, OpenedFile, Overview, Workspace};

use crate::gui::prefs::Preferences;

/// What features share, lent for one call.
pub struct Workbench<'a> {
    pub session: &'a mut Session,
    pub workspace: &'a mut Workspace,
    pub prefs: &'a mut Preferences,
}

impl std::fmt::Debug for Workbench<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workbench")
            .field("session", &self.session)
            .field("workspace", &self.workspace)
            .finish_non_exhaustive()
    }
}

impl Workbench<'_> {
    pub fn error(&mut self, text: String) {
        self.session.error(text);
    }

    pub fn info(&mut self, text: String) {
        self.session.info(text);
    }
}

/// What a feature asks of the shell (another feature, or the window), run after the frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// A menu command, as if chosen.
    Command(crate::gui::commands::Command),
    /// Load a project (it replaces the current one).
    OpenProject(PathBuf),
    /// Read a folder's recordings and tables into the project.
    OpenFolder(PathBuf),
    /// Ask where a missing recording is now.
    Relink(crate::annotation::ProjectRecordingId),
    /// Ask for a path in the path prompt.
    AskPath(crate::gui::dialogs::PromptFor, String),
    /// Train the next iteration with the Train window's settings (opening it).
    Retrain,
    /// A different project was installed: the panels let go of the old one's runs.
    ProjectReplaced,
    /// Offer this embedder in the Train and Find more like this windows.
    UseEmbedder(PathBuf),
}
