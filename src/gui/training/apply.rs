//! What the Train window does: opening it, starting a run on the current project, changing
//! the model input (one undo step), and showing a misclassified window where it is.

use eframe::egui;

use super::{TrainAction, TrainingWindow};
use crate::dataset::WindowOrigin;
use crate::gui::workbench::{Request, Workbench};

impl TrainingWindow {
    /// Opens the Train window and refreshes its dataset summary.
    pub fn open_window(&mut self, bench: &mut Workbench) {
        self.open = true;
        self.unfold = true;
        if !self.is_running() {
            self.refresh_dataset(bench);
        }
    }

    /// The project stops proposing its model input and keeps `input` from now on.
    fn fix_model_input(&mut self, bench: &mut Workbench, input: crate::dsp::ModelInputSpec) {
        self.set_model_input(
            bench,
            crate::project::ModelInputChoice {
                input,
                propose: Some(false),
            },
        );
    }

    /// Changes the model input as one undo step.
    fn set_model_input(&mut self, bench: &mut Workbench, choice: crate::project::ModelInputChoice) {
        if let Some(change) = bench.session.document.project.model_input_change(choice) {
            bench
                .session
                .document
                .change_project("change the model input", change);
        }
        self.refresh_dataset(bench);
    }

    /// Starts training the current project (the model goes to `models/model_NN` beside it).
    pub fn train_project(&mut self, bench: &mut Workbench) {
        let missing = missing_recordings(bench);
        self.start(
            &bench.session.document.project,
            bench.session.document.path.clone(),
            &missing,
            bench.session.data_dir.clone(),
            std::sync::Arc::clone(&bench.session.waker),
        );
    }

    /// Trains the next iteration with the window's current settings (Review's Retrain).
    pub fn retrain(&mut self, bench: &mut Workbench) {
        if self.is_running() {
            bench
                .session
                .info("Training is running already.".to_owned());
            self.open = true;
            return;
        }
        self.open_window(bench);
        self.train_project(bench);
    }

    /// Recounts the Train window's dataset (after the project or its model input changed).
    fn refresh_dataset(&mut self, bench: &mut Workbench) {
        let missing = missing_recordings(bench);
        self.refresh_overview(
            &bench.session.document.project,
            &missing,
            std::sync::Arc::clone(&bench.session.waker),
        );
    }

    /// Takes what the training job sent; returns the model just saved, if one was.
    pub fn poll_run(&mut self, bench: &mut Workbench) -> Option<std::path::PathBuf> {
        match self.poll() {
            Some(Ok(dir)) => {
                // The project remembers its models in order: model n is iteration n. A job's
                // result, not an edit, so not an undo step (undo would renumber iterations).
                if !bench.session.document.project.models.contains(&dir) {
                    bench.session.document.project.models.push(dir.clone());
                    bench.session.document.touch();
                }
                bench.session.info(format!(
                    "Model saved (iteration {}): {}",
                    bench.session.document.project.iteration_of(&dir),
                    dir.display()
                ));
                return Some(dir);
            }
            Some(Err(reason)) if self.cancelled => bench.session.info(reason.to_string()),
            Some(Err(reason)) => bench.session.error(reason.to_string()),
            None => {}
        }
        None
    }

    /// The Train window, and what it asked for.
    pub fn show(&mut self, bench: &mut Workbench, ctx: &egui::Context) {
        for action in self.window_ui(ctx) {
            match action {
                TrainAction::Start => self.train_project(bench),
                TrainAction::Play(scored) => {
                    self.show_scored_window(bench, &scored);
                    let end_secs = scored.start_secs + self.input.window_secs();
                    let shown = match &scored.window.origin {
                        WindowOrigin::Selection { recording, .. }
                        | WindowOrigin::Background { recording } => bench
                            .workspace
                            .active_recording()
                            .is_some_and(|r| r.project_id == *recording),
                        WindowOrigin::Clip { .. } => false,
                    };
                    if shown {
                        let filter = bench.prefs.playback_filter;
                        bench.workspace.player.stop();
                        bench.play_span(scored.start_secs, end_secs, filter);
                    } else {
                        bench.session.info(
                            "Opening the recording; press Play again when it is shown.".to_owned(),
                        );
                    }
                }
                TrainAction::SetKind(id, kind) => {
                    if let Some(selection) = bench.session.document.project.selections.get(id) {
                        let edit = crate::annotation::Edit::update(&[selection], |s| s.kind = kind);
                        bench
                            .session
                            .document
                            .edit(&format!("make {}", kind.name()), vec![edit]);
                        bench.session.info(format!(
                            "Selection {} is now {}; train again to use it.",
                            id.0,
                            kind.name()
                        ));
                    }
                }
                TrainAction::Preview => {
                    let missing = missing_recordings(bench);
                    self.request_preview(
                        &bench.session.document.project,
                        &missing,
                        std::sync::Arc::clone(&bench.session.waker),
                    );
                }
                TrainAction::SetWindowSecs(secs) => {
                    let mut input = self.input;
                    let samples = (secs * f64::from(input.sample_rate_hz)).round() as u32;
                    if samples != input.window_samples {
                        input.window_samples = samples;
                        self.fix_model_input(bench, input);
                    }
                }
                TrainAction::UseProposal(true) => {
                    self.set_model_input(
                        bench,
                        crate::project::ModelInputChoice {
                            propose: Some(true),
                            ..bench.session.document.project.model_input_choice()
                        },
                    );
                    bench
                        .session
                        .info("Training proposes the model input from the data.".to_owned());
                }
                TrainAction::UseProposal(false) => {
                    self.fix_model_input(bench, self.input);
                    bench
                        .session
                        .info("The project keeps this model input from now on.".to_owned());
                }
                TrainAction::SetFrontEnd(normalization) => {
                    let mut input = self.input;
                    input.normalization = normalization;
                    self.fix_model_input(bench, input);
                }
                TrainAction::UseWorkbenchSpectrogram => self.use_workbench_spectrogram(bench),
                TrainAction::ChooseEmbedder => {
                    let text = self
                        .embedder
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default();
                    bench.session.request(Request::AskPath(
                        crate::gui::dialogs::PromptFor::Embedder,
                        text,
                    ));
                }
                TrainAction::Show(scored) => self.show_scored_window(bench, &scored),
            }
        }
    }

    /// Shows a scored window: its selection, or its span of the recording, or its clip.
    fn show_scored_window(&mut self, bench: &mut Workbench, scored: &crate::train::ScoredWindow) {
        let end_secs = scored.start_secs + self.input.window_secs();
        match &scored.window.origin {
            WindowOrigin::Selection { id, .. } => bench.jump_to_selection(*id),
            WindowOrigin::Background { recording } => {
                bench.show_project_recording(*recording);
                if let Some(open) = bench.workspace.active_recording_mut()
                    && open.project_id == *recording
                {
                    open.viewport.reveal(scored.start_secs, end_secs);
                    open.cursor_secs = Some(scored.start_secs);
                }
            }
            WindowOrigin::Clip { path } => bench.open_paths(vec![path.clone()]),
        }
    }

    /// Makes the workbench's spectrogram settings the project's model input (mel bands become
    /// the input's rows; a linear axis is interpolated to the current number of rows).
    fn use_workbench_spectrogram(&mut self, bench: &mut Workbench) {
        let mut input = self.input;
        input.spectrogram = bench.prefs.primary.params;
        if let crate::dsp::FrequencyScale::Mel { bands, .. } = input.spectrogram.scale {
            input.bands = bands;
        }
        match input.validate() {
            Ok(()) if input == self.input => {
                bench.session.info(
                    "The model already uses the workbench's spectrogram settings.".to_owned(),
                );
            }
            Ok(()) => {
                self.fix_model_input(bench, input);
                let (bands, frames) = input.shape();
                bench.session.info(format!(
                    "The model input is now {bands} × {frames} from the workbench's settings."
                ));
            }
            Err(error) => bench
                .session
                .error(format!("These settings cannot make a model input: {error}")),
        }
    }
}

/// Recordings of the project whose files are missing (left out of datasets).
fn missing_recordings(bench: &Workbench) -> Vec<crate::annotation::ProjectRecordingId> {
    bench.session.document.missing.iter().copied().collect()
}
