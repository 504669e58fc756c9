//! The project in the window: new, open, save (as), autosave, restore an earlier version;
//! importing tables, opening folders, relinking moved recordings, exporting selections; and
//! the windows that ask for them (path prompt, import preview, export, labels, Restore).
//! [`ProjectFlows`] holds those windows; its handlers are functions of it and the
//! [`Workbench`](crate::gui::workbench::Workbench).

mod dialogs;
mod flows;
mod restoring;
mod saving;

use std::path::PathBuf;

use crate::gui::dialogs::{ExportDialog, PathPrompt};
use crate::gui::import_dialog::ImportDialog;
use crate::gui::restore_dialog::RestoreDialog;

/// The project's windows and what they wait for.
#[derive(Debug, Default)]
pub struct ProjectFlows {
    /// The path prompt (open, save as, import, relink, embedder).
    pub prompt: Option<PathPrompt>,
    /// The import preview of a table read.
    pub import: Option<ImportDialog>,
    pub export: Option<ExportDialog>,
    /// File ▸ Restore an earlier version.
    pub restore: Option<RestoreDialog>,
    /// A project that did not load: File ▸ Restore offers its kept versions.
    pub failed_project: Option<PathBuf>,
    /// The Labels window is open.
    pub show_labels: bool,
    /// The name typed in the Labels window.
    pub new_label: String,
}
