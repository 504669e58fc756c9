//! Project flows of the window: new, open, save, save as, autosave, recent projects; importing
//! tables, opening folders, relinking moved recordings, exporting. Disk work runs through
//! `spawn_job`; results arrive as events handled in [`SyrinxApp::project_event`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use eframe::egui;

use super::{Cleanup, Event, SyrinxApp, WorkFailed};
use crate::annotation::{Edit, ProjectRecordingId, read_table};
use crate::audio::probe;
use crate::gui::dialogs::{ExportAction, ExportDialog, PathPrompt, PromptAction, PromptFor};
use crate::gui::import_dialog::{ImportAction, ImportDialog};
use crate::gui::selection_table::SelectionTable;
use crate::project::{PROJECT_EXTENSION, check_relink, table_names_audio};
use crate::session::Document;
use crate::session::{AUTOSAVE_FOLDER, OpenReport, Saved, untitled_path};

pub use crate::workflow::folders::FolderContents;

pub use crate::project::is_project_path;

impl SyrinxApp {
    /// Starts loading a project; it replaces the current one (saved first) when it arrives.
    pub fn open_project(&mut self, path: PathBuf) {
        if self.session.document.path.as_ref() == Some(&path) {
            return;
        }
        self.session.loading_project = true;
        let untitled = self
            .session
            .data_dir
            .as_ref()
            .is_some_and(|dir| path.starts_with(dir.join(AUTOSAVE_FOLDER)));
        self.spawn_job("opening a project", Cleanup::Nothing, move || {
            let result = crate::session::open(&path, untitled);
            let mark = if result.is_ok() && !untitled {
                crate::project::lock::OpenMark::take(&path, "the Syrinx app")
            } else {
                (None, None)
            };
            Event::ProjectLoaded {
                path,
                mark,
                result: Box::new(result),
            }
        });
    }

    /// Starts an empty untitled project (the current one is saved first).
    pub fn new_project(&mut self) {
        let untitled = Document::untitled(untitled_path(self.session.data_dir.as_deref()));
        self.install_document(untitled);
        self.info("New project: open recordings or a folder to add them.".to_owned());
    }

    /// Replaces the project, saving the old one if it has changes.
    fn install_document(&mut self, document: Document) {
        if self.session.document.is_dirty() {
            self.start_save(None);
        }
        self.close_all_recordings();
        self.session.document = document;
        self.session.generation += 1;
        self.ui.annotator = crate::gui::annotate::Annotator::default();
        self.ui.table = SelectionTable::default();
        self.ui.import = None;
        self.ui.measurement = None;
        self.ui.pending_jump = None;
        self.ui.pending_span = None;
        // A detection batch belongs to the project it started in.
        self.ui.detect.abandon();
        self.ui.review.reset();
        self.ui.pending_detection = false;
        if let Some(path) = &self.session.document.path {
            self.prefs.remember_project(path);
        }
    }

    pub(super) fn update_title(&mut self, ctx: &egui::Context) {
        let title = format!(
            "Syrinx — {}{}",
            self.session.document.title(),
            if self.session.document.is_dirty() {
                " •"
            } else {
                ""
            }
        );
        if title != self.ui.window_title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.ui.window_title = title;
        }
    }

    /// Shows a project recording, opening it first if needed.
    pub fn show_project_recording(&mut self, id: ProjectRecordingId) {
        if let Some(open) = self.open_recording_of(id) {
            self.ui.active = Some(open.id);
            return;
        }
        if self.session.document.missing.contains(&id) {
            self.ask_relink(id);
            return;
        }
        let Some(path) = self
            .session
            .document
            .project
            .recording(id)
            .map(|r| r.path.clone())
        else {
            return;
        };
        self.ui.focus_next = Some(path.clone());
        self.open_audio(path, Some(id));
    }

    /// Opens the path prompt.
    pub(super) fn ask_path(&mut self, purpose: PromptFor, text: String) {
        let detail = match purpose {
            PromptFor::ImportTable => {
                "A Raven selection table, Audacity labels or a Syrinx CSV.".to_owned()
            }
            PromptFor::OpenFolder => {
                "Its recordings join the project, each with the selection table of the same name if there is one."
                    .to_owned()
            }
            PromptFor::OpenPath => {
                "A recording, a folder of recordings or a .syrinx project, typed in full.".to_owned()
            }
            PromptFor::Embedder => {
                "The JSON file describing an ONNX embedder (its sample rate and window), or the .onnx file with that JSON beside it. See the README for Perch and BirdNET."
                    .to_owned()
            }
            _ => String::new(),
        };
        self.ui.prompt = Some(PathPrompt::new(purpose, text, detail));
    }

    pub(super) fn ask_relink(&mut self, id: ProjectRecordingId) {
        let Some(recording) = self.session.document.project.recording(id) else {
            return;
        };
        let detail = format!(
            "Where is {} now? The project had it at {}. Its selections are kept.",
            recording.name(),
            recording.path.display()
        );
        self.ui.prompt = Some(PathPrompt::new(
            PromptFor::Relink(id),
            String::new(),
            detail,
        ));
    }

    /// Opens a folder: its recordings join the project with their same-stem tables.
    pub fn open_folder(&mut self, dir: PathBuf) {
        self.spawn_job("reading a folder", Cleanup::Nothing, move || {
            let result = crate::workflow::folders::read_folder(&dir);
            Event::FolderRead(dir, Box::new(result))
        });
    }

    /// Reads a table and opens the import preview.
    pub fn import_table(&mut self, path: PathBuf) {
        self.spawn_job("reading a table", Cleanup::Nothing, move || {
            let result = read_table(&path);
            Event::TableRead(path, Box::new(result))
        });
    }

    pub(super) fn open_export_dialog(&mut self) {
        let folder = self
            .session
            .document
            .path
            .as_ref()
            .and_then(|p| p.parent())
            .map(|p| p.join("export"))
            .or_else(|| self.prefs.last_folder.clone())
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        self.ui.export = Some(ExportDialog::new(folder));
    }

    fn start_export(&mut self, dialog: &ExportDialog) {
        let project = self.session.document.project.clone();
        let scope: Option<Vec<ProjectRecordingId>> = if dialog.all_recordings {
            None
        } else {
            Some(
                self.active_recording()
                    .map(|r| r.project_id)
                    .into_iter()
                    .collect(),
            )
        };
        let (format, clips, padding) = (dialog.format, dialog.clips, dialog.padding_secs);
        let folder = PathBuf::from(dialog.folder.trim());
        self.spawn_job("exporting", Cleanup::Nothing, move || {
            let exported = crate::workflow::export::export_selections(
                &project,
                scope.as_deref(),
                format,
                &folder,
                clips,
                padding,
            );
            // Clips that could not be cut make the summary an error (the rest were written).
            Event::Exported(match exported {
                Ok(outcome) if outcome.failed.is_empty() => Ok(outcome.summary(format, &folder)),
                Ok(outcome) => Err(WorkFailed::Partly(outcome.summary(format, &folder))),
                Err(error) => Err(error.into()),
            })
        });
    }

    /// Starts the native dialog for the open prompt or export window.
    fn browse(&mut self, purpose: crate::gui::files::PathPurpose) {
        let dialog = Arc::clone(&self.session.file_dialog);
        let folder = self.prefs.last_folder.clone();
        self.spawn_job("the file dialog", Cleanup::Dialog, move || {
            Event::PathPicked(dialog.pick_path(purpose, folder.as_deref()))
        });
    }

    /// The windows: path prompt, import preview, export, labels.
    pub(super) fn dialogs(&mut self, ctx: &egui::Context) {
        self.restore_window(ctx);
        if let Some(mut prompt) = self.ui.prompt.take() {
            match prompt.ui(ctx) {
                PromptAction::None => self.ui.prompt = Some(prompt),
                PromptAction::Cancel => {}
                PromptAction::Browse => {
                    self.browse(prompt.purpose.purpose());
                    self.ui.prompt = Some(prompt);
                }
                PromptAction::Accept(path) => self.accept_path(prompt.purpose, path),
            }
        }
        if let Some(mut dialog) = self.ui.import.take() {
            match dialog.ui(ctx, &self.session.document) {
                ImportAction::None => self.ui.import = Some(dialog),
                ImportAction::Cancel => {}
                ImportAction::Import => {
                    let (name, edit) = dialog.import_step(&self.session.document);
                    let count = match &edit {
                        Edit::Insert(selections) => selections.len(),
                        _ => 0,
                    };
                    self.session.document.edit(&name, vec![edit]);
                    super::annotating::remember_labels(&mut self.session.document);
                    self.info(format!(
                        "Imported {count} selection(s) from {} (Ctrl+Z undoes the import).",
                        dialog.path.display()
                    ));
                }
            }
        }
        if let Some(mut dialog) = self.ui.export.take() {
            match dialog.ui(ctx) {
                ExportAction::None => self.ui.export = Some(dialog),
                ExportAction::Cancel => {}
                ExportAction::Browse => {
                    self.browse(crate::gui::files::PathPurpose::ExportFolder);
                    self.ui.export = Some(dialog);
                }
                ExportAction::Export => self.start_export(&dialog),
            }
        }
        if self.ui.show_labels {
            let mut open = true;
            let before = self.session.document.project.labels.clone();
            let mut labels = before.clone();
            // Edited on a copy: the change is one undo step (typing a name is one).
            if crate::gui::dialogs::labels_window(
                ctx,
                &mut open,
                &mut labels,
                &mut self.ui.new_label,
            ) && labels != before
            {
                self.session.document.change_project(
                    "edit labels",
                    crate::project::ProjectChange::Labels {
                        before,
                        after: labels,
                    },
                );
            }
            self.ui.show_labels = open;
        }
    }

    fn accept_path(&mut self, purpose: PromptFor, path: PathBuf) {
        match purpose {
            PromptFor::OpenProject => self.open_project(path),
            PromptFor::SaveProjectAs => {
                let path = if is_project_path(&path) {
                    path
                } else {
                    path.with_extension(PROJECT_EXTENSION)
                };
                self.start_save(Some(path));
            }
            PromptFor::ImportTable => self.import_table(path),
            PromptFor::OpenFolder => self.open_folder(path),
            PromptFor::OpenPath => self.open_paths(vec![path]),
            PromptFor::Embedder => {
                self.info(format!(
                    "Training will make a head on the embedder {}; Find more like this can compare by it.",
                    path.display()
                ));
                self.prefs.embedder = Some(path.clone());
                self.ui.training.embedder = Some(path);
            }
            PromptFor::Relink(id) => {
                let Some(expected) = self.session.document.project.recording(id).cloned() else {
                    return;
                };
                self.spawn_job("relinking a recording", Cleanup::Nothing, move || {
                    let result = probe(&path).map_err(WorkFailed::from).and_then(|info| {
                        check_relink(&expected, &info)
                            .map(|checked| (info, checked))
                            .map_err(WorkFailed::from)
                    });
                    Event::Relinked(id, Box::new(result))
                });
            }
        }
    }

    /// Handles the events of project flows.
    pub(super) fn project_event(&mut self, event: Event) {
        match event {
            Event::PathPicked(picked) => {
                self.ui.dialog_open = false;
                if let Some(export) = &mut self.ui.export {
                    export.browsing = false;
                    if let Some(path) = &picked {
                        export.folder = path.display().to_string();
                    }
                } else if let Some(mut prompt) = self.ui.prompt.take() {
                    prompt.browsing = false;
                    match picked {
                        Some(path) => self.accept_path(prompt.purpose, path),
                        None => {
                            prompt.detail = "No file chosen. If no dialog appeared (no desktop portal), type the path here.".to_owned();
                            self.ui.prompt = Some(prompt);
                        }
                    }
                }
            }
            Event::ProjectLoaded {
                path,
                mark: (mark, elsewhere),
                result,
            } => {
                self.session.loading_project = false;
                match *result {
                    Ok((document, report)) => {
                        self.project_loaded(document, &report);
                        self.session.document.open_mark = mark;
                        if let Some(holder) = elsewhere {
                            self.info(format!(
                                "{} is also open in {holder}: each window merges what the other saved before it saves, so neither loses work.",
                                path.display()
                            ));
                        }
                    }
                    Err(error) => {
                        // A damaged project with kept versions: offer them at once.
                        let error = error.to_string();
                        let offer = error.contains("earlier version");
                        self.error(error);
                        if offer {
                            self.ui.failed_project = Some(path.clone());
                            self.open_restore(path);
                        }
                    }
                }
            }
            Event::Saved { generation, done } => {
                self.session.saves.finished();
                let path = done.path.clone();
                if generation != self.session.generation {
                    // A replaced project's save: only its failure matters.
                    if let Err(error) = done.result {
                        self.error(format!("{error} (the project was not saved)"));
                    }
                    return;
                }
                match self.session.document.saved(*done) {
                    Err(error) => {
                        // A restore waiting for this save does not go on.
                        if let Some(dialog) = self.ui.restore.as_mut()
                            && dialog.pending.take().is_some()
                        {
                            dialog.busy = None;
                            dialog.error = Some(format!("not restored: {error}"));
                        }
                        self.error(format!("{error} (your work is still open; try Save as)"));
                    }
                    Ok(Saved::Merged(merge)) => {
                        self.say_merged(&path, &merge);
                        self.start_save(None);
                    }
                    Ok(Saved::Written) => self.restore_after_save(&path),
                    Ok(Saved::MovedTo(path)) => {
                        self.restore_after_save(&path);
                        self.prefs.remember_project(&path);
                        self.info(format!("Saved as {}", path.display()));
                    }
                    Ok(Saved::Superseded) => {}
                }
            }
            event @ (Event::VersionsListed(..) | Event::Restored { .. }) => {
                self.restore_event(event);
            }
            Event::TableRead(path, result) => match *result {
                Ok(table) => {
                    let target = self
                        .session
                        .document
                        .project
                        .recordings
                        .iter()
                        .find(|r| table_names_audio(&path, &r.path))
                        .map(|r| r.id)
                        .or_else(|| self.active_recording().map(|r| r.project_id))
                        .or_else(|| {
                            self.session
                                .document
                                .project
                                .recordings
                                .first()
                                .map(|r| r.id)
                        });
                    if let Some(parent) = path.parent() {
                        self.prefs.last_folder = Some(parent.to_path_buf());
                    }
                    self.ui.import = Some(ImportDialog::new(path, table, target));
                }
                Err(error) => self.error(error.to_string()),
            },
            Event::FolderRead(dir, result) => match *result {
                Ok(contents) => self.folder_read(&dir, &contents),
                Err(error) => self.error(error.to_string()),
            },
            Event::Relinked(id, result) => match *result {
                Ok((info, checked)) => {
                    if let Some(change) = self.session.document.project.relink_change(id, checked) {
                        let name = format!("relink {}", info.path.display());
                        self.session.document.change_project(&name, change);
                    }
                    self.session.document.missing.remove(&id);
                    self.session.document.changed_files.remove(&id);
                    self.info(format!("Found {} again.", info.path.display()));
                    self.show_project_recording(id);
                }
                Err(error) => self.error(error.to_string()),
            },
            Event::Exported(result) => match result {
                Ok(summary) => self.info(summary),
                Err(error) => self.error(error.to_string()),
            },
            Event::Measured(key, result) => self.measured(key, result),
            Event::SimilarFound(result) => {
                if let Err(error) = result.as_ref() {
                    self.error(format!("Find more like this: {error}"));
                }
                self.ui.similar.finished(*result);
            }
            Event::LabelNextFound(queue) => self.ui.review.label_next.finished(*queue),
            _ => {}
        }
    }

    pub(super) fn project_loaded(&mut self, document: Document, report: &OpenReport) {
        self.install_document(document);
        for notice in report.notices() {
            let text = format!("{}.", notice.text);
            if notice.serious {
                self.error(text);
            } else {
                self.info(text);
            }
        }
        let first = self
            .session
            .document
            .project
            .recordings
            .iter()
            .find(|r| !self.session.document.missing.contains(&r.id))
            .map(|r| r.id);
        if let Some(id) = first {
            self.show_project_recording(id);
        }
    }

    fn folder_read(&mut self, dir: &Path, contents: &FolderContents) {
        let addition = crate::session::plan_addition(
            &mut self.session.document.project,
            contents,
            &crate::session::AddOptions::default(),
        );
        for error in &addition.errors {
            self.error(error.clone());
        }
        for table in &addition.tables {
            if table.imported == 0 && table.rows > 0 {
                self.info(format!("{}: no rows could be placed", table.path.display()));
            }
        }
        let name = format!(
            "open folder {}",
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        );
        if !addition.is_empty() {
            self.session.document.add(&name, &addition);
            super::annotating::remember_labels(&mut self.session.document);
        }
        self.prefs.last_folder = Some(dir.to_path_buf());
        self.info(format!("{}: {}", dir.display(), addition.describe()));
        if let Some(id) = addition.first() {
            self.show_project_recording(id);
        }
    }
}
