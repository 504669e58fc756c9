//! Project flows of the window: new, open, importing tables, opening folders, relinking moved
//! recordings, exporting. Disk work runs on jobs; their results arrive as events handled in
//! [`ProjectFlows::event`]. Flows that need none of the project's windows (opening a project,
//! a folder or a table, exporting, answering the path prompt) are `Workbench` methods, so
//! every feature can start them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::ProjectFlows;
use crate::annotation::{ProjectRecordingId, read_table};
use crate::audio::probe;
use crate::gui::dialogs::{ExportDialog, PathPrompt, PromptFor};
use crate::gui::import_dialog::ImportDialog;
use crate::gui::selection_table::SelectionTable;
use crate::gui::workbench::{Cleanup, Event, Request, WorkFailed, Workbench};
use crate::project::{PROJECT_EXTENSION, check_relink, table_names_audio};
use crate::session::Document;
use crate::session::{AUTOSAVE_FOLDER, OpenReport, Saved, untitled_path};

use crate::project::is_project_path;
use crate::workflow::folders::FolderContents;

impl ProjectFlows {
    /// Starts an empty untitled project (the current one is saved first).
    pub fn new_project(&mut self, bench: &mut Workbench) {
        let untitled = Document::untitled(untitled_path(bench.session.data_dir.as_deref()));
        self.install_document(bench, untitled);
        bench
            .session
            .info("New project: open recordings or a folder to add them.".to_owned());
    }

    /// Replaces the project, saving the old one if it has changes.
    fn install_document(&mut self, bench: &mut Workbench, document: Document) {
        if bench.session.document.is_dirty() {
            bench.start_save(None);
        }
        bench.close_all_recordings();
        bench.session.document = document;
        bench.session.generation += 1;
        bench.workspace.annotator = crate::gui::annotate::Annotator::default();
        bench.workspace.table = SelectionTable::default();
        self.import = None;
        bench.workspace.measurement = None;
        bench.workspace.pending_jump = None;
        bench.workspace.pending_span = None;
        bench.workspace.pending_detection = false;
        // The panels follow (a detection batch belongs to the project it started in).
        bench.session.request(Request::ProjectReplaced);
        if let Some(path) = &bench.session.document.path {
            bench.prefs.remember_project(path);
        }
    }

    /// Opens the path prompt.
    pub fn ask_path(&mut self, purpose: PromptFor, text: String) {
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
        self.prompt = Some(PathPrompt::new(purpose, text, detail));
    }

    pub fn ask_relink(&mut self, bench: &mut Workbench, id: ProjectRecordingId) {
        let Some(recording) = bench.session.document.project.recording(id) else {
            return;
        };
        let detail = format!(
            "Where is {} now? The project had it at {}. Its selections are kept.",
            recording.name(),
            recording.path.display()
        );
        self.prompt = Some(PathPrompt::new(
            PromptFor::Relink(id),
            String::new(),
            detail,
        ));
    }

    pub fn open_export_dialog(&mut self, bench: &mut Workbench) {
        let folder = bench
            .session
            .document
            .path
            .as_ref()
            .and_then(|p| p.parent())
            .map(|p| p.join("export"))
            .or_else(|| bench.prefs.last_folder.clone())
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        self.export = Some(ExportDialog::new(folder));
    }

    /// Handles the events of project flows (opening, saving, restoring, importing, relinking,
    /// exporting).
    pub(crate) fn event(&mut self, bench: &mut Workbench, event: Event) {
        match event {
            Event::PathPicked(picked) => {
                bench.session.dialog_open = false;
                if let Some(export) = &mut self.export {
                    export.browsing = false;
                    if let Some(path) = &picked {
                        export.folder = path.display().to_string();
                    }
                } else if let Some(mut prompt) = self.prompt.take() {
                    prompt.browsing = false;
                    match picked {
                        Some(path) => bench.accept_path(prompt.purpose, path),
                        None => {
                            prompt.detail = "No file chosen. If no dialog appeared (no desktop portal), type the path here.".to_owned();
                            self.prompt = Some(prompt);
                        }
                    }
                }
            }
            Event::ProjectLoaded {
                path,
                mark: (mark, elsewhere),
                result,
            } => {
                bench.session.loading_project = false;
                match *result {
                    Ok((document, report)) => {
                        self.project_loaded(bench, document, &report);
                        bench.session.document.open_mark = mark;
                        if let Some(holder) = elsewhere {
                            bench.session.info(format!(
                                "{} is also open in {holder}: each window merges what the other saved before it saves, so neither loses work.",
                                path.display()
                            ));
                        }
                    }
                    Err(error) => {
                        // A damaged project with kept versions: offer them at once.
                        let error = error.to_string();
                        let offer = error.contains("earlier version");
                        bench.session.error(error);
                        if offer {
                            self.failed_project = Some(path.clone());
                            self.open_restore(bench, path);
                        }
                    }
                }
            }
            Event::Saved { generation, done } => {
                bench.session.saves.finished();
                let path = done.path.clone();
                if generation != bench.session.generation {
                    // A replaced project's save: only its failure matters.
                    if let Err(error) = done.result {
                        bench
                            .session
                            .error(format!("{error} (the project was not saved)"));
                    }
                    return;
                }
                match bench.session.document.saved(*done) {
                    Err(error) => {
                        // A restore waiting for this save does not go on.
                        if let Some(dialog) = self.restore.as_mut()
                            && dialog.pending.take().is_some()
                        {
                            dialog.busy = None;
                            dialog.error = Some(format!("not restored: {error}"));
                        }
                        bench
                            .session
                            .error(format!("{error} (your work is still open; try Save as)"));
                    }
                    Ok(Saved::Merged(merge)) => {
                        bench.say_merged(&path, &merge);
                        bench.start_save(None);
                    }
                    Ok(Saved::Written) => self.restore_after_save(bench, &path),
                    Ok(Saved::MovedTo(path)) => {
                        self.restore_after_save(bench, &path);
                        bench.prefs.remember_project(&path);
                        bench.session.info(format!("Saved as {}", path.display()));
                    }
                    Ok(Saved::Superseded) => {}
                }
            }
            event @ (Event::VersionsListed(..) | Event::Restored { .. }) => {
                self.restore_event(bench, event);
            }
            Event::TableRead(path, result) => match *result {
                Ok(table) => {
                    let target = bench
                        .session
                        .document
                        .project
                        .recordings
                        .iter()
                        .find(|r| table_names_audio(&path, &r.path))
                        .map(|r| r.id)
                        .or_else(|| bench.workspace.active_recording().map(|r| r.project_id))
                        .or_else(|| {
                            bench
                                .session
                                .document
                                .project
                                .recordings
                                .first()
                                .map(|r| r.id)
                        });
                    if let Some(parent) = path.parent() {
                        bench.prefs.last_folder = Some(parent.to_path_buf());
                    }
                    self.import = Some(ImportDialog::new(path, table, target));
                }
                Err(error) => bench.session.error(error.to_string()),
            },
            Event::FolderRead(dir, result) => match *result {
                Ok(contents) => bench.folder_read(&dir, &contents),
                Err(error) => bench.session.error(error.to_string()),
            },
            Event::Relinked(id, result) => match *result {
                Ok((info, checked)) => {
                    if let Some(change) = bench.session.document.project.relink_change(id, checked)
                    {
                        let name = format!("relink {}", info.path.display());
                        bench.session.document.change_project(&name, change);
                    }
                    bench.session.document.missing.remove(&id);
                    bench.session.document.changed_files.remove(&id);
                    bench
                        .session
                        .info(format!("Found {} again.", info.path.display()));
                    bench.show_project_recording(id);
                }
                Err(error) => bench.session.error(error.to_string()),
            },
            Event::Exported(result) => match result {
                Ok(summary) => bench.session.info(summary),
                Err(error) => bench.session.error(error.to_string()),
            },
            _ => {}
        }
    }

    pub fn project_loaded(
        &mut self,
        bench: &mut Workbench,
        document: Document,
        report: &OpenReport,
    ) {
        self.install_document(bench, document);
        for notice in report.notices() {
            let text = format!("{}.", notice.text);
            if notice.serious {
                bench.session.error(text);
            } else {
                bench.session.info(text);
            }
        }
        let first = bench
            .session
            .document
            .project
            .recordings
            .iter()
            .find(|r| !bench.session.document.missing.contains(&r.id))
            .map(|r| r.id);
        if let Some(id) = first {
            bench.show_project_recording(id);
        }
    }
}

impl Workbench<'_> {
    pub(super) fn accept_path(&mut self, purpose: PromptFor, path: PathBuf) {
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
                self.session.info(format!(
                    "Training will make a head on the embedder {}; Find more like this can compare by it.",
                    path.display()
                ));
                self.prefs.embedder = Some(path.clone());
                self.session.request(Request::UseEmbedder(path));
            }
            PromptFor::Relink(id) => {
                let Some(expected) = self.session.document.project.recording(id).cloned() else {
                    return;
                };
                self.session
                    .spawn_job("relinking a recording", Cleanup::Nothing, move || {
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
        self.session
            .spawn_job("opening a project", Cleanup::Nothing, move || {
                let result = crate::session::open(&path, untitled);
                let mark = if result.is_ok() && !untitled {
                    crate::session::lock::OpenMark::take(&path, "the Syrinx app")
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

    /// Opens a folder: its recordings join the project with their same-stem tables.
    pub fn open_folder(&mut self, dir: PathBuf) {
        self.session
            .spawn_job("reading a folder", Cleanup::Nothing, move || {
                let result = crate::workflow::folders::read_folder(&dir);
                Event::FolderRead(dir, Box::new(result))
            });
    }

    /// Reads a table and opens the import preview.
    pub fn import_table(&mut self, path: PathBuf) {
        self.session
            .spawn_job("reading a table", Cleanup::Nothing, move || {
                let result = read_table(&path);
                Event::TableRead(path, Box::new(result))
            });
    }

    pub fn start_export(&mut self, dialog: &ExportDialog) {
        let project = self.session.document.project.clone();
        let scope: Option<Vec<ProjectRecordingId>> = if dialog.all_recordings {
            None
        } else {
            Some(
                self.workspace
                    .active_recording()
                    .map(|r| r.project_id)
                    .into_iter()
                    .collect(),
            )
        };
        let (format, clips, padding) = (dialog.format, dialog.clips, dialog.padding_secs);
        let folder = PathBuf::from(dialog.folder.trim());
        self.session
            .spawn_job("exporting", Cleanup::Nothing, move || {
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
                    Ok(outcome) if outcome.failed.is_empty() => {
                        Ok(outcome.summary(format, &folder))
                    }
                    Ok(outcome) => Err(WorkFailed::Partly(outcome.summary(format, &folder))),
                    Err(error) => Err(error.into()),
                })
            });
    }

    /// Starts the native dialog for the open prompt or export window.
    pub fn browse(&mut self, purpose: crate::gui::files::PathPurpose) {
        let dialog = Arc::clone(&self.session.file_dialog);
        let folder = self.prefs.last_folder.clone();
        self.session
            .spawn_job("the file dialog", Cleanup::Dialog, move || {
                Event::PathPicked(dialog.pick_path(purpose, folder.as_deref()))
            });
    }

    fn folder_read(&mut self, dir: &Path, contents: &FolderContents) {
        let addition = crate::session::plan_addition(
            &mut self.session.document.project,
            contents,
            &crate::session::AddOptions::default(),
        );
        for error in &addition.errors {
            self.session.error(error.clone());
        }
        for table in &addition.tables {
            if table.imported == 0 && table.rows > 0 {
                self.session
                    .info(format!("{}: no rows could be placed", table.path.display()));
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
            crate::gui::workbench::remember_labels(&mut self.session.document);
        }
        self.prefs.last_folder = Some(dir.to_path_buf());
        self.session
            .info(format!("{}: {}", dir.display(), addition.describe()));
        if let Some(id) = addition.first() {
            self.show_project_recording(id);
        }
    }
}
