//! Opening and closing recordings: files and folders given to the app, the demo, the file
//! dialog; a file is read in the background and joins the project when it arrives. Showing a
//! project recording, a selection or a stretch of one (opening it first when needed).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::annotation::{ProjectRecordingId, SelectionId};
use crate::audio::AudioReader;
use crate::project::ProjectChange;
use crate::spectrogram::RecordingId;
use crate::spectrogram::viewport::Viewport;

use super::{Cleanup, Event, OpenRecording, OpenedFile, Request, WorkFailed, Workbench, Workspace};

impl Workspace {
    /// The open recording of a project recording.
    #[must_use]
    pub fn open_recording_of(&self, project_id: ProjectRecordingId) -> Option<&OpenRecording> {
        self.recordings.iter().find(|r| r.project_id == project_id)
    }

    #[must_use]
    pub fn active_recording(&self) -> Option<&OpenRecording> {
        let id = self.active?;
        self.recordings.iter().find(|r| r.id == id)
    }

    pub fn active_recording_mut(&mut self) -> Option<&mut OpenRecording> {
        let id = self.active?;
        self.recordings.iter_mut().find(|r| r.id == id)
    }
}

impl Workbench<'_> {
    /// Opens what the user named: a project (`.syrinx`), folders (audio paired with tables of
    /// the same stem) or recordings (added to the project). Recordings open in the background;
    /// the first becomes the active one when it arrives.
    pub fn open_paths(&mut self, paths: Vec<PathBuf>) {
        let (projects, rest): (Vec<PathBuf>, Vec<PathBuf>) = paths
            .into_iter()
            .partition(|p| crate::project::is_project_path(p));
        if let Some(project) = projects.into_iter().next() {
            self.session.request(Request::OpenProject(project));
        }
        let (folders, files): (Vec<PathBuf>, Vec<PathBuf>) =
            rest.into_iter().partition(|p| p.is_dir());
        for folder in folders {
            self.session.request(Request::OpenFolder(folder));
        }
        if let Some(first) = files.first() {
            self.workspace.focus_next = Some(first.clone());
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
    pub fn open_audio(&mut self, path: PathBuf, project_id: Option<ProjectRecordingId>) {
        if let Some(open) = self.workspace.recordings.iter().find(|r| r.path == path) {
            self.workspace.active = Some(open.id);
            return;
        }
        if self.workspace.opening.contains(&path) {
            return;
        }
        self.workspace.opening.push(path.clone());
        self.workspace
            .first_screen_pending
            .push((path.clone(), Instant::now()));
        let order = self.workspace.next_order;
        self.workspace.next_order += 1;
        let cleanup = Cleanup::Opening(path.clone());
        self.session
            .spawn_job("opening a recording", cleanup, move || {
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
        self.session
            .spawn_job("preparing the demo", Cleanup::Nothing, move || {
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
        if self.session.dialog_open {
            return;
        }
        self.session.dialog_open = true;
        let dialog = Arc::clone(&self.session.file_dialog);
        let folder = self.prefs.last_folder.clone();
        self.session
            .spawn_job("the file dialog", Cleanup::Dialog, move || {
                Event::Picked(dialog.pick_audio_files(folder.as_deref()))
            });
    }

    pub fn close_recording(&mut self, id: RecordingId) {
        if self.workspace.playing_recording == Some(id) {
            self.workspace.player.stop();
            self.workspace.playing_recording = None;
        }
        self.workspace.engine.remove_recording(id);
        self.workspace.recordings.retain(|r| r.id != id);
        self.workspace.textures.clear();
        if self.workspace.active == Some(id) {
            self.workspace.active = self.workspace.recordings.first().map(|r| r.id);
        }
        self.workspace.overview = None;
        self.workspace.measurement = None;
    }

    /// Closes every recording (a different project is opening).
    pub fn close_all_recordings(&mut self) {
        let ids: Vec<RecordingId> = self.workspace.recordings.iter().map(|r| r.id).collect();
        for id in ids {
            self.close_recording(id);
        }
        self.workspace.opening.clear();
        self.workspace.first_screen_pending.clear();
        self.workspace.focus_next = None;
    }

    /// Selections per recording (recounted only when the selections change).
    pub fn selection_counts(
        &mut self,
    ) -> Arc<std::collections::BTreeMap<ProjectRecordingId, usize>> {
        let key = (
            self.session.generation,
            self.session.document.project.selections.version(),
        );
        if self.workspace.counts.0 != key {
            let mut counts = std::collections::BTreeMap::new();
            for selection in self.session.document.project.selections.items() {
                *counts.entry(selection.recording).or_insert(0) += 1;
            }
            self.workspace.counts = (key, Arc::new(counts));
        }
        Arc::clone(&self.workspace.counts.1)
    }

    pub(crate) fn add_recording(
        &mut self,
        path: PathBuf,
        order: u64,
        project_id: Option<ProjectRecordingId>,
        opened: OpenedFile,
    ) -> Option<ProjectRecordingId> {
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
            .workspace
            .recordings
            .iter()
            .any(|r| r.project_id == project_id)
        {
            return None;
        }
        let id = RecordingId(self.workspace.next_id);
        self.workspace.next_id += 1;
        match reader.try_clone() {
            Ok(clone) => self.workspace.engine.add_recording(id, clone),
            Err(error) => {
                self.error(error.to_string());
                return None;
            }
        }
        self.prefs.remember_recent(&path);
        let viewport = Viewport::new(info.duration_secs(), self.prefs.initial_span_secs);
        // Recordings of one batch arrive in any order; keep the order they were asked for.
        let position = self
            .workspace
            .recordings
            .iter()
            .position(|r| r.order > order)
            .unwrap_or(self.workspace.recordings.len());
        self.workspace.recordings.insert(
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
        // The first recording asked for is shown when it arrives, even after another of its batch
        // (shown meanwhile so the window is not empty) came first.
        let asked_first =
            self.workspace.focus_next.as_ref() == Some(&self.workspace.recordings[position].path);
        if asked_first {
            self.workspace.focus_next = None;
        }
        if self.workspace.active.is_none() || asked_first {
            self.workspace.active = Some(id);
        }
        if let Some(selection) = self.workspace.pending_jump
            && self
                .session
                .document
                .project
                .selections
                .get(selection)
                .is_some_and(|s| s.recording == project_id)
        {
            self.workspace.pending_jump = None;
            self.jump_to_selection(selection);
        }
        self.show_pending_span(project_id);
        Some(project_id)
    }

    /// Shows a project recording, opening it first if needed (a missing one asks where it is).
    pub fn show_project_recording(&mut self, id: ProjectRecordingId) {
        if let Some(open) = self.workspace.open_recording_of(id) {
            self.workspace.active = Some(open.id);
            return;
        }
        if self.session.document.missing.contains(&id) {
            self.session.request(Request::Relink(id));
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
        self.workspace.focus_next = Some(path.clone());
        self.open_audio(path, Some(id));
    }

    /// Shows a stretch of a recording (opening it first if needed).
    pub fn show_span(&mut self, recording: ProjectRecordingId, start_secs: f64, end_secs: f64) {
        match self.workspace.open_recording_of(recording).map(|r| r.id) {
            Some(open) => {
                self.workspace.active = Some(open);
                if let Some(shown) = self.workspace.active_recording_mut() {
                    shown.viewport.reveal(start_secs, end_secs);
                    shown.cursor_secs = Some(start_secs);
                }
            }
            None => {
                self.workspace.pending_span = Some((recording, start_secs, end_secs));
                self.show_project_recording(recording);
            }
        }
    }

    /// After a recording opened: show the stretch that asked for it.
    fn show_pending_span(&mut self, project_id: ProjectRecordingId) {
        if let Some((recording, start_secs, end_secs)) = self.workspace.pending_span
            && recording == project_id
        {
            self.workspace.pending_span = None;
            self.show_span(recording, start_secs, end_secs);
        }
    }

    /// Shows a selection, selected: its recording (opened if needed), the view around it, the
    /// cursor at its start.
    pub fn jump_to_selection(&mut self, id: SelectionId) {
        let Some(selection) = self.session.document.project.selections.get(id).cloned() else {
            return;
        };
        match self
            .workspace
            .open_recording_of(selection.recording)
            .map(|r| r.id)
        {
            Some(open) => {
                self.workspace.active = Some(open);
                self.workspace.annotator.selected = std::collections::BTreeSet::from([id]);
                if let Some(recording) = self.workspace.active_recording_mut() {
                    recording
                        .viewport
                        .reveal(selection.start_secs, selection.end_secs);
                    recording.cursor_secs = Some(selection.start_secs);
                }
            }
            None => {
                self.workspace.pending_jump = Some(id);
                self.show_project_recording(selection.recording);
            }
        }
    }

    /// Fits the view (time and frequency) to a selection, with a margin.
    pub fn zoom_to_selection(&mut self, id: SelectionId) {
        let Some(selection) = self.session.document.project.selections.get(id).cloned() else {
            return;
        };
        self.jump_to_selection(id);
        let params = self.prefs.primary.params;
        let Some(recording) = self
            .workspace
            .active_recording_mut()
            .filter(|r| r.project_id == selection.recording)
        else {
            return;
        };
        let pad_secs = (0.25 * selection.duration_secs()).max(0.05);
        recording.viewport.show_span(
            selection.start_secs - pad_secs,
            selection.end_secs + pad_secs,
        );
        let axis = params.axis(recording.info.sample_rate_hz);
        let fraction = |hz: f64| (axis.row_at_hz(hz) + 0.5) / axis.rows as f64;
        let (low, high) = (fraction(selection.low_hz), fraction(selection.high_hz));
        let pad = 0.15 * (high - low).max(0.02);
        recording.viewport.show_fractions(low - pad, high + pad);
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;
    use std::time::Duration;

    use crate::audio::{AudioReader, WavEncoding, write_wav};
    use crate::gui::app::{AppOptions, SyrinxApp};
    use crate::gui::files::NoFileDialog;
    use crate::gui::workbench::OpenedFile;
    use crate::playback::CaptureOutput;

    fn tone(dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        let samples: Vec<f32> = (0..8_000).map(|i| (i as f32 * 0.05).sin() * 0.1).collect();
        write_wav(&path, &samples, 8_000, WavEncoding::Pcm16).expect("a wav is written");
        path
    }

    /// Recordings opened together decode on their own threads and arrive in any order; the
    /// first asked for is the one shown, also when another of its batch arrives before it (the
    /// window showed whichever came first, so a box drawn next landed on the wrong recording).
    #[test]
    fn the_first_recording_asked_for_is_shown_whichever_arrives_first() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let first = tone(dir.path(), "a.wav");
        let second = tone(dir.path(), "b.wav");
        let mut app = SyrinxApp::new(
            &eframe::egui::Context::default(),
            None,
            AppOptions {
                files: Vec::new(),
                demo_dir: None,
                open_demo_on_first_run: false,
                file_dialog: Arc::new(NoFileDialog),
                audio_output: Arc::new(CaptureOutput {
                    sample_rate_hz: 8_000,
                    captured: Arc::default(),
                }),
                tile_threads: 1,
                frame_stats: false,
                data_dir: None,
                autosave_interval: Duration::from_secs(3600),
            },
        );
        let mut bench = app.workbench();
        // What `open_paths([first, second])` asks, with the second's decoding done first.
        bench.workspace.focus_next = Some(first.clone());
        for (path, order) in [(second.clone(), 1), (first.clone(), 0)] {
            let opened = OpenedFile {
                reader: AudioReader::open(&path).expect("the wav opens"),
                fingerprint: Some(crate::project::fingerprint(&path)),
            };
            bench.add_recording(path, order, None, opened);
        }
        let open: Vec<&Path> = bench
            .workspace
            .recordings
            .iter()
            .map(|r| r.path.as_path())
            .collect();
        assert_eq!(open, [first.as_path(), second.as_path()]);
        assert_eq!(
            bench.workspace.active_recording().map(|r| r.path.clone()),
            Some(first)
        );
    }
}
