//! Choosing files: a native dialog (rfd) run off the user-interface thread, behind a trait so
//! tests never open one. Where no dialog can be shown (no desktop portal), rfd returns at once as
//! if cancelled; the app therefore always offers a path field too.

use std::path::{Path, PathBuf};

/// Audio file extensions Syrinx opens.
pub const AUDIO_EXTENSIONS: [&str; 10] = [
    "wav", "wave", "flac", "mp3", "ogg", "oga", "aif", "aiff", "aifc", "WAV",
];

/// What a single-path dialog is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathPurpose {
    OpenProject,
    SaveProjectAs,
    ImportTable,
    /// A folder whose audio is opened and paired with tables of the same stem.
    OpenFolder,
    ExportFolder,
    /// A new location for a recording that moved.
    Relink,
    /// A recording, a folder or a project, typed (File ▸ Open path).
    OpenPath,
    /// A pretrained ONNX embedder's JSON description (or the .onnx with it beside).
    Embedder,
}

impl PathPurpose {
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Self::OpenProject => "Open project",
            Self::SaveProjectAs => "Save project as",
            Self::ImportTable => "Import selection table",
            Self::OpenFolder => "Open folder",
            Self::ExportFolder => "Export to folder",
            Self::Relink => "Find moved recording",
            Self::OpenPath => "Open path",
            Self::Embedder => "Choose a pretrained embedder",
        }
    }

    #[must_use]
    pub fn is_folder(self) -> bool {
        matches!(self, Self::OpenFolder | Self::ExportFolder)
    }
}

/// Something that lets the user pick files.
pub trait FileDialog: Send + Sync {
    /// Audio files picked (blocking: call from a background thread); `None` if cancelled or no
    /// dialog could be shown.
    fn pick_audio_files(&self, start_folder: Option<&Path>) -> Option<Vec<PathBuf>>;

    /// One path for `purpose` (blocking, as above).
    fn pick_path(&self, purpose: PathPurpose, start_folder: Option<&Path>) -> Option<PathBuf>;
}

/// The platform's dialog.
#[derive(Debug, Clone, Copy, Default)]
pub struct NativeFileDialog;

impl FileDialog for NativeFileDialog {
    fn pick_audio_files(&self, start_folder: Option<&Path>) -> Option<Vec<PathBuf>> {
        let mut dialog = rfd::FileDialog::new()
            .set_title("Open recordings")
            .add_filter("Audio (wav, flac, mp3, ogg, aiff)", &AUDIO_EXTENSIONS)
            .add_filter("All files", &["*"]);
        if let Some(folder) = start_folder {
            dialog = dialog.set_directory(folder);
        }
        dialog.pick_files()
    }

    fn pick_path(&self, purpose: PathPurpose, start_folder: Option<&Path>) -> Option<PathBuf> {
        let mut dialog = rfd::FileDialog::new().set_title(purpose.title());
        if let Some(folder) = start_folder {
            dialog = dialog.set_directory(folder);
        }
        match purpose {
            PathPurpose::OpenProject => {
                dialog.add_filter("Syrinx project", &["syrinx"]).pick_file()
            }
            PathPurpose::SaveProjectAs => dialog
                .add_filter("Syrinx project", &["syrinx"])
                .set_file_name("project.syrinx")
                .save_file(),
            PathPurpose::ImportTable => dialog
                .add_filter("Selection tables (Raven, Audacity, CSV)", &["txt", "csv"])
                .add_filter("All files", &["*"])
                .pick_file(),
            PathPurpose::Relink => dialog.add_filter("Audio", &AUDIO_EXTENSIONS).pick_file(),
            PathPurpose::OpenPath => dialog.pick_file(),
            PathPurpose::Embedder => dialog
                .add_filter(
                    "ONNX embedder (its JSON description, or the .onnx)",
                    &["json", "onnx"],
                )
                .pick_file(),
            PathPurpose::OpenFolder | PathPurpose::ExportFolder => dialog.pick_folder(),
        }
    }
}

/// No dialog at all (tests, or machines without a desktop portal).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFileDialog;

impl FileDialog for NoFileDialog {
    fn pick_audio_files(&self, _start_folder: Option<&Path>) -> Option<Vec<PathBuf>> {
        None
    }

    fn pick_path(&self, _purpose: PathPurpose, _start_folder: Option<&Path>) -> Option<PathBuf> {
        None
    }
}

/// Whether `path` looks like an audio file Syrinx can open (by extension).
#[must_use]
pub fn is_audio_path(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        AUDIO_EXTENSIONS
            .iter()
            .any(|known| known.eq_ignore_ascii_case(e))
    })
}
