//! The app's side of training: opening the Train window, starting a run on the current project,
//! and showing a misclassified window where it is.

use eframe::egui;

use super::SyrinxApp;
use crate::dataset::WindowOrigin;
use crate::gui::training::TrainAction;

impl SyrinxApp {
    /// Opens the Train window and refreshes its dataset summary.
    pub fn open_training(&mut self) {
        self.ui.training.open = true;
        if !self.ui.training.is_running() {
            self.refresh_training_overview();
        }
    }

    /// The project stops proposing its model input and keeps `input` from now on.
    fn fix_model_input(&mut self, input: crate::dsp::ModelInputSpec) {
        self.set_model_input(crate::project::ModelInputChoice {
            input,
            propose: Some(false),
        });
    }

    /// Changes the model input as one undo step.
    fn set_model_input(&mut self, choice: crate::project::ModelInputChoice) {
        if let Some(change) = self.session.document.project.model_input_change(choice) {
            self.session
                .document
                .change_project("change the model input", change);
        }
        self.refresh_training_overview();
    }

    /// Starts training the current project (the model goes to `models/model_NN` beside it).
    pub fn start_training(&mut self) {
        let missing = self.missing_recordings();
        self.ui.training.start(
            &self.session.document.project,
            self.session.document.path.clone(),
            &missing,
            self.session.data_dir.clone(),
            std::sync::Arc::clone(&self.session.waker),
        );
    }

    /// Recordings of the project whose files are missing (left out of datasets).
    fn missing_recordings(&self) -> Vec<crate::annotation::ProjectRecordingId> {
        self.session.document.missing.iter().copied().collect()
    }

    /// Recounts the Train window's dataset (after the project or its model input changed).
    fn refresh_training_overview(&mut self) {
        let missing = self.missing_recordings();
        self.ui.training.refresh_overview(
            &self.session.document.project,
            &missing,
            std::sync::Arc::clone(&self.session.waker),
        );
    }

    pub(super) fn poll_training(&mut self) {
        match self.ui.training.poll() {
            Some(Ok(dir)) => {
                // The project remembers its models in order: model n is iteration n. A job's
                // result, not an edit, so not an undo step (undo would renumber iterations).
                if !self.session.document.project.models.contains(&dir) {
                    self.session.document.project.models.push(dir.clone());
                    self.session.document.touch();
                }
                self.ui.detect.model_text = dir.display().to_string();
                self.info(format!(
                    "Model saved (iteration {}): {}",
                    self.session.document.project.iteration_of(&dir),
                    dir.display()
                ));
            }
            Some(Err(reason)) if self.ui.training.cancelled => self.info(reason.to_string()),
            Some(Err(reason)) => self.error(reason.to_string()),
            None => {}
        }
    }

    pub(super) fn training_window(&mut self, ctx: &egui::Context) {
        if !self.ui.training.open {
            return;
        }
        for action in self.ui.training.window_ui(ctx) {
            match action {
                TrainAction::Start => self.start_training(),
                TrainAction::Play(scored) => {
                    self.show_scored_window(&scored);
                    let end_secs = scored.start_secs + self.ui.training.input.window_secs();
                    let shown = match &scored.window.origin {
                        WindowOrigin::Selection { recording, .. }
                        | WindowOrigin::Background { recording } => self
                            .active_recording()
                            .is_some_and(|r| r.project_id == *recording),
                        WindowOrigin::Clip { .. } => false,
                    };
                    if shown {
                        let filter = self.prefs.playback_filter;
                        self.ui.player.stop();
                        self.play_span(scored.start_secs, end_secs, filter);
                    } else {
                        self.info(
                            "Opening the recording; press Play again when it is shown.".to_owned(),
                        );
                    }
                }
                TrainAction::SetKind(id, kind) => {
                    if let Some(selection) = self.session.document.project.selections.get(id) {
                        let edit = crate::annotation::Edit::update(&[selection], |s| s.kind = kind);
                        self.session
                            .document
                            .edit(&format!("make {}", kind.name()), vec![edit]);
                        self.info(format!(
                            "Selection {} is now {}; train again to use it.",
                            id.0,
                            kind.name()
                        ));
                    }
                }
                TrainAction::Preview => {
                    let missing = self.missing_recordings();
                    self.ui.training.request_preview(
                        &self.session.document.project,
                        &missing,
                        std::sync::Arc::clone(&self.session.waker),
                    );
                }
                TrainAction::SetWindowSecs(secs) => {
                    let mut input = self.ui.training.input;
                    let samples = (secs * f64::from(input.sample_rate_hz)).round() as u32;
                    if samples != input.window_samples {
                        input.window_samples = samples;
                        self.fix_model_input(input);
                    }
                }
                TrainAction::UseProposal(true) => {
                    self.set_model_input(crate::project::ModelInputChoice {
                        propose: Some(true),
                        ..self.session.document.project.model_input_choice()
                    });
                    self.info("Training proposes the model input from the data.".to_owned());
                }
                TrainAction::UseProposal(false) => {
                    self.fix_model_input(self.ui.training.input);
                    self.info("The project keeps this model input from now on.".to_owned());
                }
                TrainAction::SetFrontEnd(normalization) => {
                    let mut input = self.ui.training.input;
                    input.normalization = normalization;
                    self.fix_model_input(input);
                }
                TrainAction::UseWorkbenchSpectrogram => self.use_workbench_spectrogram(),
                TrainAction::ChooseEmbedder => {
                    let text = self
                        .ui
                        .training
                        .embedder
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default();
                    self.ask_path(crate::gui::dialogs::PromptFor::Embedder, text);
                }
                TrainAction::Show(scored) => self.show_scored_window(&scored),
            }
        }
    }

    /// Shows a scored window: its selection, or its span of the recording, or its clip.
    fn show_scored_window(&mut self, scored: &crate::train::ScoredWindow) {
        let end_secs = scored.start_secs + self.ui.training.input.window_secs();
        match &scored.window.origin {
            WindowOrigin::Selection { id, .. } => self.jump_to_selection(*id),
            WindowOrigin::Background { recording } => {
                self.show_project_recording(*recording);
                if let Some(open) = self.active_recording_mut()
                    && open.project_id == *recording
                {
                    open.viewport.reveal(scored.start_secs, end_secs);
                    open.cursor_secs = Some(scored.start_secs);
                }
            }
            WindowOrigin::Clip { path } => self.open_paths(vec![path.clone()]),
        }
    }

    /// Makes the workbench's spectrogram settings the project's model input (mel bands become
    /// the input's rows; a linear axis is interpolated to the current number of rows).
    fn use_workbench_spectrogram(&mut self) {
        let mut input = self.ui.training.input;
        input.spectrogram = self.prefs.primary.params;
        if let crate::dsp::FrequencyScale::Mel { bands, .. } = input.spectrogram.scale {
            input.bands = bands;
        }
        match input.validate() {
            Ok(()) if input == self.ui.training.input => {
                self.info(
                    "The model already uses the workbench's spectrogram settings.".to_owned(),
                );
            }
            Ok(()) => {
                self.fix_model_input(input);
                let (bands, frames) = input.shape();
                self.info(format!(
                    "The model input is now {bands} × {frames} from the workbench's settings."
                ));
            }
            Err(error) => self.error(format!("These settings cannot make a model input: {error}")),
        }
    }
}
