//! Opening and closing recordings: files and folders given to the app, the demo, the file
//! dialog; a file is read in the background and joins the project when it arrives.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::annotation::ProjectRecordingId;
use crate::audio::AudioReader;
use crate::project::ProjectChange;
use crate::spectrogram::RecordingId;
use crate::spectrogram::viewport::Viewport;

use super::{Cleanup, Event, OpenRecording, OpenedFile, SyrinxApp, WorkFailed, projects};

impl SyrinxApp {
    /// Opens what the user named: a project (`.syrinx`), folders (audio paired with tables of
    /// the same stem) or recordings (added to the project). Recordings open in the background;
    /// the first becomes the active one when it arrives.
    pub fn open_paths(&mut self, paths: Vec<PathBuf>) {
        let (projects, rest): (Vec<PathBuf>, Vec<PathBuf>) = paths
            .into_iter()
            .partition(|p| projects::is_project_path(p));
        if let Some(project) = projects.into_iter().next() {
            self.open_project(project);
        }
        let (folders, files): (Vec<PathBuf>, Vec<PathBuf>) =
            rest.into_iter().partition(|p| p.is_dir());
        for folder in folders {
            self.open_folder(folder);
        }
        if let Some(first) = files.first() {
            self.ui.focus_next = Some(first.clone());
        }
        for path in files {
            let project_id = self
                .session
                .document
                .project
                .recording_at(&path)
                .map(|r| r.id);
            self.open_audio(path, project_id);
        }
    }

    /// Starts opening one recording (just shows it if it is open already).
    pub(super) fn open_audio(&mut self, path: PathBuf, project_id: Option<ProjectRecordingId>) {
        if let Some(open) = self.ui.recordings.iter().find(|r| r.path == path) {
            self.ui.active = Some(open.id);
            return;
        }
        if self.ui.opening.contains(&path) {
            return;
        }
        self.ui.opening.push(path.clone());
        self.ui
            .first_screen_pending
            .push((path.clone(), Instant::now()));
        let order = self.ui.next_order;
        self.ui.next_order += 1;
        let cleanup = Cleanup::Opening(path.clone());
        self.spawn_job("opening a recording", cleanup, move || {
            let result = AudioReader::open(&path).map(|reader| OpenedFile {
                fingerprint: project_id
                    .is_none()
                    .then(|| crate::project::fingerprint(&path)),
                reader,
            });
            Event::Opened {
                path,
                order,
                project_id,
                result: Box::new(result),
            }
        });
    }

    /// Writes the demo (first time only) and opens its project.
    pub fn open_demo(&mut self) {
        self.prefs.demo_offered = true;
        let Some(dir) = self.session.demo_dir.clone() else {
            self.error("no folder is available for the demo data".to_owned());
            return;
        };
        self.info(format!(
            "preparing the demo recordings in {}…",
            dir.display()
        ));
        self.spawn_job("preparing the demo", Cleanup::Nothing, move || {
            let project = dir.join(crate::demo::DEMO_PROJECT_FILE);
            let result = if project.exists() {
                Ok(project)
            } else {
                crate::demo::write_demo(&dir)
                    .map(|_| project)
                    .map_err(WorkFailed::from)
            };
            Event::DemoReady(result)
        });
    }

    /// Opens the platform's file dialog without blocking the window.
    pub fn pick_files(&mut self) {
        if self.ui.dialog_open {
            return;
        }
        self.ui.dialog_open = true;
        let dialog = Arc::clone(&self.session.file_dialog);
        let folder = self.prefs.last_folder.clone();
        self.spawn_job("the file dialog", Cleanup::Dialog, move || {
            Event::Picked(dialog.pick_audio_files(folder.as_deref()))
        });
    }

    pub fn close_recording(&mut self, id: RecordingId) {
        if self.ui.playing_recording == Some(id) {
            self.ui.player.stop();
            self.ui.playing_recording = None;
        }
        self.ui.engine.remove_recording(id);
        self.ui.recordings.retain(|r| r.id != id);
        self.ui.textures.clear();
        if self.ui.active == Some(id) {
            self.ui.active = self.ui.recordings.first().map(|r| r.id);
        }
        self.ui.overview = None;
        self.ui.measurement = None;
    }

    /// Closes every recording (a different project is opening).
    pub(super) fn close_all_recordings(&mut self) {
        let ids: Vec<RecordingId> = self.ui.recordings.iter().map(|r| r.id).collect();
        for id in ids {
            self.close_recording(id);
        }
        self.ui.opening.clear();
        self.ui.first_screen_pending.clear();
        self.ui.focus_next = None;
    }

    /// Selections per recording (recounted only when the selections change).
    pub(super) fn selection_counts(
        &mut self,
    ) -> Arc<std::collections::BTreeMap<ProjectRecordingId, usize>> {
        let key = (
            self.session.generation,
            self.session.document.project.selections.version(),
        );
        if self.ui.counts.0 != key {
            let mut counts = std::collections::BTreeMap::new();
            for selection in self.session.document.project.selections.items() {
                *counts.entry(selection.recording).or_insert(0) += 1;
            }
            self.ui.counts = (key, Arc::new(counts));
        }
        Arc::clone(&self.ui.counts.1)
    }

    /// The open recording of a project recording.
    pub(super) fn open_recording_of(
        &self,
        project_id: ProjectRecordingId,
    ) -> Option<&OpenRecording> {
        self.ui
            .recordings
            .iter()
            .find(|r| r.project_id == project_id)
    }

    #[must_use]
    pub fn active_recording(&self) -> Option<&OpenRecording> {
        let id = self.ui.active?;
        self.ui.recordings.iter().find(|r| r.id == id)
    }

    pub(super) fn active_recording_mut(&mut self) -> Option<&mut OpenRecording> {
        let id = self.ui.active?;
        self.ui.recordings.iter_mut().find(|r| r.id == id)
    }

    pub(super) fn add_recording(
        &mut self,
        path: PathBuf,
        order: u64,
        project_id: Option<ProjectRecordingId>,
        opened: OpenedFile,
    ) {
        let OpenedFile {
            reader,
            fingerprint,
        } = opened;
        let info = reader.info().clone();
        for warning in &info.warnings {
            self.info(format!("{}: {warning}", path.display()));
        }
        let project_id = match project_id {
            Some(id) => id,
            None => {
                let (size, print) = match fingerprint {
                    Some(Ok(found)) => found,
                    Some(Err(error)) => {
                        self.error(format!("cannot read {}: {error}", path.display()));
                        (0, String::new())
                    }
                    None => (0, String::new()),
                };
                match self
                    .session
                    .document
                    .project
                    .addition_of(&info, size, print)
                {
                    Ok(existing) => existing,
                    Err(recording) => {
                        let id = recording.id;
                        let name = format!("add {}", recording.name());
                        self.session
                            .document
                            .change_project(&name, ProjectChange::RecordingsAdded(vec![recording]));
                        id
                    }
                }
            }
        };
        if self
            .ui
            .recordings
            .iter()
            .any(|r| r.project_id == project_id)
        {
            return;
        }
        let id = RecordingId(self.ui.next_id);
        self.ui.next_id += 1;
        match reader.try_clone() {
            Ok(clone) => self.ui.engine.add_recording(id, clone),
            Err(error) => {
                self.error(error.to_string());
                return;
            }
        }
        self.prefs.remember_recent(&path);
        let viewport = Viewport::new(info.duration_secs(), self.prefs.initial_span_secs);
        // Recordings of one batch arrive in any order; keep the order they were asked for.
        let position = self
            .ui
            .recordings
            .iter()
            .position(|r| r.order > order)
            .unwrap_or(self.ui.recordings.len());
        self.ui.recordings.insert(
            position,
            OpenRecording {
                order,
                id,
                project_id,
                path,
                info,
                reader,
                viewport,
                cursor_secs: None,
            },
        );
        if self.ui.active.is_none()
            || self.ui.focus_next.as_ref() == Some(&self.ui.recordings[position].path)
        {
            self.ui.active = Some(id);
            self.ui.focus_next = None;
        }
        if let Some(selection) = self.ui.pending_jump
            && self
                .session
                .document
                .project
                .selections
                .get(selection)
                .is_some_and(|s| s.recording == project_id)
        {
            self.ui.pending_jump = None;
            self.jump_to_selection(selection);
        }
        self.after_recording_opened(project_id);
        self.show_pending_span(project_id);
    }
}
