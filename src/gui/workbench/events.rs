//! What background jobs of the window send back ([`Event`]), what a job that dies undoes
//! ([`Cleanup`]), and why one failed ([`WorkFailed`]). The shell (`gui::app`) routes each event to
//! the feature that asked for it.

use std::path::PathBuf;

use crate::annotation::ProjectRecordingId;
use crate::audio::{AudioError, RecordingInfo};

use super::workspace::OpenedFile;

/// A project read for the window: itself, what loading found, what the window knows of its file.
pub type Loaded = (crate::session::Document, crate::session::OpenReport);

/// Why background work of the window failed: each job's own error, typed.
#[derive(Debug, thiserror::Error)]
pub enum WorkFailed {
    #[error(transparent)]
    Audio(#[from] crate::audio::AudioError),
    #[error(transparent)]
    Project(#[from] crate::project::ProjectError),
    #[error(transparent)]
    Export(#[from] crate::workflow::export::SelectionExportError),
    #[error(transparent)]
    Tables(#[from] crate::export::ExportError),
    #[error(transparent)]
    Clips(#[from] crate::clips::ClipError),
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
    #[error(transparent)]
    Demo(#[from] crate::demo::DemoError),
    /// Done in part: what was written, and what was not and why.
    #[error("{0}")]
    Partly(String),
}

/// What background threads send back.
pub enum Event {
    Opened {
        path: PathBuf,
        order: u64,
        project_id: Option<ProjectRecordingId>,
        result: Box<Result<OpenedFile, AudioError>>,
    },
    /// The demo project, written (first time) and ready to open.
    DemoReady(Result<PathBuf, WorkFailed>),
    Picked(Option<Vec<PathBuf>>),
    /// The native dialog's answer for the path prompt or the export folder.
    PathPicked(Option<PathBuf>),
    ProjectLoaded {
        path: PathBuf,
        /// This window's mark on the project, and who else has it open.
        mark: (Option<crate::session::lock::OpenMark>, Option<String>),
        result: Box<Result<Loaded, crate::project::ProjectError>>,
    },
    Saved {
        /// Which document it was (a save of a replaced project only reports errors).
        generation: u64,
        done: Box<crate::session::SaveDone>,
    },
    TableRead(
        PathBuf,
        Box<Result<crate::annotation::ParsedTable, crate::annotation::AnnotationError>>,
    ),
    /// A project's kept versions, read for the Restore window.
    VersionsListed(PathBuf, Vec<crate::gui::restore_dialog::VersionRow>),
    /// An earlier version was restored (and the project loaded again), or could not be.
    Restored {
        path: PathBuf,
        /// When the restored version was saved, in words.
        saved: String,
        result: Box<Result<Loaded, crate::project::ProjectError>>,
    },
    FolderRead(
        PathBuf,
        Box<
            Result<crate::workflow::folders::FolderContents, crate::workflow::folders::FolderError>,
        >,
    ),
    Relinked(
        ProjectRecordingId,
        Box<Result<(RecordingInfo, crate::project::Relinked), WorkFailed>>,
    ),
    Measured(
        super::workspace::MeasureKey,
        Result<crate::measure::Measurement, crate::audio::AudioError>,
    ),
    Exported(Result<String, WorkFailed>),
    /// A "Find more like this" search ended.
    SimilarFound(
        Box<Result<crate::workflow::similar::SimilarOutcome, crate::similar::SimilarError>>,
    ),
    /// The windows to label next were found.
    LabelNextFound(Box<crate::review::label_next::LabelNextQueue>),
    /// A background job panicked; `cleanup` says what was waiting for it.
    JobFailed {
        message: String,
        cleanup: Cleanup,
    },
    /// A job stopped because it was asked to.
    JobCancelled {
        message: String,
        cleanup: Cleanup,
    },
}

/// What to reset when a background job dies without answering.
#[derive(Debug, Clone)]
pub enum Cleanup {
    Nothing,
    Opening(PathBuf),
    Saving,
    Dialog,
    /// Nothing to reset, and the job stops when asked (the jobs window offers Cancel); only
    /// the tests' waiting job is one yet.
    #[cfg(feature = "test-hooks")]
    Cancellable,
    /// A cancellable search whose panel shows a spinner until it ends: a job that panics or is
    /// cancelled stops the spinner.
    Search(Search),
}

/// A panel's background search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    Similar,
    LabelNext,
}

impl Cleanup {
    pub fn is_cancellable(&self) -> bool {
        #[cfg(feature = "test-hooks")]
        if matches!(self, Self::Cancellable) {
            return true;
        }
        matches!(self, Self::Search(_))
    }
}
