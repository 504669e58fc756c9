//! The Train window's parts: the model input (proposed or fixed), the dataset summary, the
//! augmentation preview, the settings and the live loss and accuracy curves.

use std::path::PathBuf;

use eframe::egui;
use egui_plot::{Line, Plot, PlotPoints};

use crate::model::artifact::EpochMetrics;

use super::{EpochValue, TrainAction, TrainingWindow, network_choices, network_name};

impl TrainingWindow {
    pub(super) fn contents_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<TrainAction>) {
        // The run's controls and progress stay at the top, whatever is scrolled below.
        ui.horizontal(|ui| {
            if self.is_running() {
                if ui.button("Cancel training").clicked() {
                    self.cancel();
                }
            } else {
                let problem = self.classes.problem();
                let button = ui
                    .add_enabled(problem.is_none(), egui::Button::new("Start training"))
                    .on_hover_text("Train a recogniser on this project's selections and clips");
                if let Some(problem) = problem {
                    button.on_disabled_hover_text(problem.to_string());
                } else if button.clicked() {
                    actions.push(TrainAction::Start);
                }
            }
            if let Some(job) = &self.job {
                ui.label(&job.stage);
            } else if self.cancelled {
                ui.label(if self.result.is_some() {
                    "Cancelled; the project is unchanged. Below: the last finished run."
                } else {
                    "Cancelled; the project is unchanged."
                });
            }
        });
        if let Some((fraction, eta)) = self.progress() {
            let text = match eta {
                Some(secs) => format!("{:.0} % · about {secs:.0} s left", fraction * 100.0),
                None => format!("{:.0} %", fraction * 100.0),
            };
            ui.add(egui::ProgressBar::new(fraction).text(text));
        }
        if !self.epochs.is_empty() {
            self.curves_ui(ui);
        }
        match &self.result {
            Some(Ok(result)) => {
                let result = result.clone();
                if self.thumbnails.is_empty() {
                    self.thumbnails = result
                        .scored
                        .iter()
                        .filter(|s| result.is_misclassified(s))
                        .enumerate()
                        .filter_map(|(i, s)| {
                            let input = s.input.as_ref()?;
                            let image = crate::gui::model_view::input_image(
                                input,
                                self.preview_normalization,
                            );
                            Some(ui.ctx().load_texture(
                                format!("misclassified {i}"),
                                image,
                                egui::TextureOptions::NEAREST,
                            ))
                        })
                        .collect();
                }
                Self::result_ui(ui, &result, &self.thumbnails, actions);
            }
            Some(Err(reason)) => {
                ui.colored_label(ui.visuals().error_fg_color, reason.to_string());
            }
            None => {}
        }
        ui.separator();
        egui::CollapsingHeader::new("Recogniser")
            .default_open(self.use_embedder || self.embedder.is_some())
            .show(ui, |ui| {
                ui.add_enabled_ui(!self.is_running(), |ui| self.recogniser_ui(ui, actions));
            });
        if self.classes.labels.len() >= 2 {
            egui::CollapsingHeader::new("Classes")
                .default_open(true)
                .show(ui, |ui| {
                    ui.add_enabled_ui(!self.is_running(), |ui| self.classes_ui(ui));
                });
        }
        egui::CollapsingHeader::new("Model input")
            .default_open(true)
            .show(ui, |ui| {
                ui.add_enabled_ui(!self.is_running(), |ui| self.input_ui(ui, actions));
            });
        egui::CollapsingHeader::new("Dataset")
            .default_open(true)
            .show(ui, |ui| self.overview_ui(ui));
        egui::CollapsingHeader::new("Augmentation preview")
            .default_open(false)
            .show(ui, |ui| self.preview_ui(ui, actions));
        egui::CollapsingHeader::new("Settings")
            .default_open(true)
            .show(ui, |ui| {
                ui.add_enabled_ui(!self.is_running(), |ui| self.settings_ui(ui));
            });
    }

    /// The model input: proposed from the data (with why) or the project's own; the front end.
    pub(super) fn input_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<TrainAction>) {
        ui.horizontal(|ui| {
            if ui
                .radio(self.proposing, "Proposed from the data")
                .on_hover_text(
                    "Sample rate, band, window and FFT chosen from the recordings and the \
                     positives' boxes; follows the project as you annotate",
                )
                .clicked()
                && !self.proposing
            {
                actions.push(TrainAction::UseProposal(true));
            }
            if ui
                .radio(!self.proposing, "The project's own")
                .on_hover_text(
                    "Keep a fixed input (starting from the proposal); edit it below or with \
                     \"Use the workbench's settings\"",
                )
                .clicked()
                && self.proposing
            {
                actions.push(TrainAction::UseProposal(false));
            }
        });
        let spec = &self.input;
        let (bands, frames) = spec.shape();
        ui.label(format!(
            "{} Hz · {:.2} s window · {:.0}–{:.0} Hz · {bands} × {frames}",
            spec.sample_rate_hz,
            spec.window_secs(),
            spec.spectrogram.min_hz,
            spec.spectrogram.effective_max_hz(spec.sample_rate_hz)
        ));
        // What the context setting does, as the plan training will run resolved it.
        if let Some(Ok(plan)) = self.plan() {
            let planned = &plan.input.spec;
            let context = planned.context_frames;
            if context > 0 {
                let frame_secs = planned.spectrogram.hop_secs(planned.sample_rate_hz);
                ui.label(format!(
                    "with {context} frames ({:.2} s) of context each side: detection scores \
                     densely, hops in whole multiples of {:.3} s",
                    f64::from(context) * frame_secs,
                    plan.settings.network.dense_hop_frames() as f64 * frame_secs
                ));
            }
        }
        if self.proposing
            && let Some(proposal) = &self.proposal
        {
            egui::CollapsingHeader::new("Why these choices")
                .default_open(false)
                .show(ui, |ui| {
                    for reason in &proposal.reasons {
                        ui.label(reason);
                    }
                });
        }
        if let Some(proposal) = &self.proposal {
            for warning in &proposal.warnings {
                ui.colored_label(ui.visuals().warn_fg_color, warning);
            }
        }
        ui.horizontal(|ui| {
            ui.label("Window length (s)").on_hover_text(
                "The stretch of audio the model classifies; saved in the project and the model",
            );
            let response = ui
                .add(
                    egui::DragValue::new(&mut self.window_secs)
                        .range(0.02..=30.0)
                        .speed(0.05)
                        .max_decimals(2),
                )
                .on_hover_text(
                    "Seconds of audio per window (calls shorter than this sit inside it); \
                     changing it makes the input the project's own",
                );
            if response.changed() {
                actions.push(TrainAction::SetWindowSecs(self.window_secs));
            }
            if ui
                .button("Use the workbench's settings")
                .on_hover_text(
                    "Train on the window size, overlap, window function, scale and frequency range \
                     set in the Spectrogram panel (saved in the project and the model)",
                )
                .clicked()
            {
                actions.push(TrainAction::UseWorkbenchSpectrogram);
            }
        });
        let spec = &self.input;
        ui.horizontal(|ui| {
            let label = ui.label("Front end").on_hover_text(
                "How the spectrogram is levelled before the network sees it: PCEN and \
                 background subtraction ignore recording level and steady noise",
            );
            let current = spec.normalization;
            egui::ComboBox::from_id_salt("front end")
                .selected_text(current.name())
                .show_ui(ui, |ui| {
                    for choice in crate::dsp::InputNormalization::defaults() {
                        if ui
                            .selectable_label(current.name() == choice.name(), choice.name())
                            .on_hover_text(choice.describe())
                            .clicked()
                            && current.name() != choice.name()
                        {
                            actions.push(TrainAction::SetFrontEnd(choice));
                        }
                    }
                })
                .response
                .labelled_by(label.id);
        });
    }

    /// One recogniser for every positive, or one output per ticked label.
    pub(super) fn classes_ui(&mut self, ui: &mut egui::Ui) {
        let choice = &mut self.classes;
        ui.horizontal(|ui| {
            ui.radio_value(
                &mut choice.multi_class,
                false,
                "One recogniser (every positive is the call)",
            )
            .on_hover_text("A single-class model: positives of every label are one class");
            ui.radio_value(
                &mut choice.multi_class,
                true,
                "One output per label (multi-class)",
            )
            .on_hover_text(
                "One network with one score per ticked label; overlapping calls of two \
                     labels count for both; detection gives one run per class",
            );
        });
        if !choice.multi_class {
            return;
        }
        ui.horizontal_wrapped(|ui| {
            for (label, count) in &choice.labels {
                let mut ticked = choice.ticked.contains(label);
                let text = format!("{label} ({count})");
                let response = ui.checkbox(&mut ticked, text).on_hover_text(format!(
                    "{count} positive selection(s); labels with fewer than {} are not ticked \
                     at first",
                    crate::train::MIN_CLASS_EXAMPLES
                ));
                if response.changed() {
                    if ticked {
                        choice.ticked.insert(label.clone());
                    } else {
                        choice.ticked.remove(label);
                    }
                }
            }
        });
        ui.checkbox(&mut choice.noise_class, "An explicit noise / other class")
            .on_hover_text(
                "The network also learns the negatives (drawn Negatives and background) as a \
                 class of their own, as HawkEars and BirdNET do; it is never detected",
            );
        ui.small(
            "Negatives, unlabelled time in fully annotated recordings and positives of unticked \
             labels are \"none of these\". Each class gets its own threshold, picked on \
             validation.",
        );
        if let Some(problem) = choice.problem() {
            ui.colored_label(ui.visuals().warn_fg_color, problem.to_string());
        }
    }

    pub(super) fn overview_ui(&self, ui: &mut egui::Ui) {
        // The plan `syrinx train --show-input` prints for the same project and choices.
        match self.plan() {
            Some(Ok(plan)) => {
                egui::CollapsingHeader::new("Training plan")
                    .id_salt("training plan")
                    .show(ui, |ui| {
                        for line in plan.describe() {
                            ui.label(line);
                        }
                    });
            }
            Some(Err(problem)) => {
                ui.colored_label(ui.visuals().warn_fg_color, problem.to_string());
            }
            None => {}
        }
        match &self.overview {
            None => {
                ui.label("Counting windows…");
            }
            Some(Err(reason)) => {
                ui.colored_label(ui.visuals().error_fg_color, reason.to_string());
            }
            Some(Ok(overview)) => {
                ui.label(&overview.plan);
                egui::Grid::new("dataset summary")
                    .striped(true)
                    .show(ui, |ui| {
                        for header in ["split", "kind", "label", "windows"] {
                            ui.strong(header);
                        }
                        ui.end_row();
                        for row in &overview.rows {
                            ui.label(&row.split);
                            ui.label(&row.kind);
                            ui.label(&row.label);
                            ui.label(row.windows.to_string());
                            ui.end_row();
                        }
                    });
                ui.collapsing("Per recording", |ui| {
                    egui::Grid::new("dataset groups")
                        .striped(true)
                        .show(ui, |ui| {
                            for header in ["recording / group", "split", "positive", "negative"] {
                                ui.strong(header);
                            }
                            ui.end_row();
                            for (group, split, positives, negatives) in &overview.groups {
                                ui.label(group);
                                ui.label(split.name());
                                ui.label(positives.to_string());
                                ui.label(negatives.to_string());
                                ui.end_row();
                            }
                        });
                });
                for warning in &overview.warnings {
                    ui.colored_label(ui.visuals().warn_fg_color, warning);
                }
            }
        }
    }

    pub(super) fn preview_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<TrainAction>) {
        ui.horizontal(|ui| {
            let label = if self.preview.is_some() { "New random crops" } else { "Preview inputs" };
            if ui
                .add_enabled(self.preview_job.is_none(), egui::Button::new(label))
                .on_hover_text("What the network will be shown: random training windows, cropped and augmented as in training")
                .clicked()
            {
                actions.push(TrainAction::Preview);
            }
            if self.preview_job.is_some() {
                ui.spinner();
            }
        });
        match &self.preview {
            Some(Err(reason)) => {
                ui.colored_label(ui.visuals().error_fg_color, reason.to_string());
            }
            Some(Ok(tiles)) => {
                if self.preview_textures.is_empty() {
                    self.preview_textures = tiles
                        .iter()
                        .enumerate()
                        .map(|(i, (caption, input))| {
                            let image = crate::gui::model_view::input_image(
                                input,
                                self.preview_normalization,
                            );
                            let texture = ui.ctx().load_texture(
                                format!("preview {i}"),
                                image,
                                egui::TextureOptions::NEAREST,
                            );
                            (caption.clone(), texture)
                        })
                        .collect();
                }
                egui::Grid::new("input preview").show(ui, |ui| {
                    for (i, (caption, texture)) in self.preview_textures.iter().enumerate() {
                        ui.vertical(|ui| {
                            ui.image((texture.id(), egui::vec2(160.0, 96.0)));
                            ui.small(caption);
                        });
                        if i % 5 == 4 {
                            ui.end_row();
                        }
                    }
                });
            }
            None => {}
        }
    }

    pub(super) fn settings_ui(&mut self, ui: &mut egui::Ui) {
        let s = &mut self.settings;
        egui::Grid::new("train settings").show(ui, |ui| {
            let label = ui.label("Network");
            egui::ComboBox::from_id_salt("network size")
                .selected_text(network_name(&s.network))
                .show_ui(ui, |ui| {
                    for (name, network) in network_choices() {
                        let selected = s.network == network;
                        if ui.selectable_label(selected, name).clicked() {
                            s.network = network;
                        }
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text(
                    "Small trains fastest; wide learns more from big data sets; reference is \
                     the workshop network (slowest)",
                );
            ui.end_row();
            ui.label("Epochs (most)");
            ui.add(egui::DragValue::new(&mut s.epochs).range(1..=500))
                .on_hover_text("Passes over the training windows at most (early stopping may end sooner)");
            ui.end_row();
            ui.label("Batch size");
            ui.add(egui::DragValue::new(&mut s.batch_size).range(1..=512))
                .on_hover_text("Windows per training step: larger is steadier and needs more memory");
            ui.end_row();
            ui.label("Learning rate");
            ui.add(
                egui::DragValue::new(&mut s.learning_rate)
                    .range(1e-5..=1e-1)
                    .speed(1e-4)
                    .max_decimals(5),
            )
            .on_hover_text("Adam's step size: lower it if the loss jumps about");
            ui.end_row();
            ui.label("Early stopping patience (epochs)")
                .on_hover_text("Stop when validation loss has not improved for this many epochs; 0 never stops early");
            ui.add(egui::DragValue::new(&mut s.patience).range(0..=100))
                .on_hover_text("Epochs without a better validation loss before training stops");
            ui.end_row();
            ui.label("Ensemble (networks)").on_hover_text(
                "Train this many networks with consecutive seeds and average their scores: \
                 steadier detections, N times the training and detection time",
            );
            ui.add(egui::DragValue::new(&mut s.ensemble).range(1..=8))
                .on_hover_text("1 = a single network");
            ui.end_row();
            ui.label("Seed")
                .on_hover_text("Same seed, same split, crops and weights: the same model");
            ui.add(egui::DragValue::new(&mut s.seed))
                .on_hover_text("Same seed, same split, crops and weights: the same model");
            ui.end_row();
        });
        ui.checkbox(
            &mut s.context,
            "context around each window (detection scores densely)",
        )
        .on_hover_text(
            "The network sees a little of the recording either side of each window, so \
             detection runs it once over each recording and scores every window from shared \
             features (several times faster at a dense hop). Off: each window on its own, as \
             before. Fixed-range and PCEN front ends only",
        );
        ui.checkbox(
            &mut s.pick_threshold,
            "pick the threshold with the best validation F1",
        )
        .on_hover_text(
            "F1 of calls found on the fully annotated validation recordings (of windows when \
             there are none); otherwise 0.5. The test split is never used to choose it",
        );
        ui.label("Augmentation");
        let a = &mut s.augmentation;
        ui.checkbox(&mut a.random_crop, "random crop offset every epoch")
            .on_hover_text("Each epoch places every selection at a new place in its window");
        ui.horizontal(|ui| {
            ui.label("Background from folder").on_hover_text(
                "Recordings of rain, wind or site noise to mix in; empty: training negatives",
            );
            let mut text = s
                .noise_dir
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            if ui
                .add(
                    egui::TextEdit::singleline(&mut text)
                        .hint_text("optional folder of noise recordings"),
                )
                .on_hover_text(
                    "Recordings of rain, wind or site noise to mix into training windows",
                )
                .changed()
            {
                let trimmed = text.trim();
                s.noise_dir = (!trimmed.is_empty()).then(|| PathBuf::from(trimmed));
            }
        });
        let defaults = crate::dataset::Augmentation::default();
        let mut gain = a.gain_db.1 > a.gain_db.0;
        if ui
            .checkbox(
                &mut gain,
                format!(
                    "random gain ({:+.0} to {:+.0} dB)",
                    defaults.gain_db.0, defaults.gain_db.1
                ),
            )
            .on_hover_text(
                "Calls louder or (mostly) fainter than recorded, as at sites further from the \
                 singers, so level alone does not decide",
            )
            .changed()
        {
            a.gain_db = if gain { defaults.gain_db } else { (0.0, 0.0) };
        }
        let mut mix = a.mix_probability > 0.0;
        if ui
            .checkbox(
                &mut mix,
                format!(
                    "mix in background ({:.0} to {:.0} dB SNR)",
                    defaults.mix_snr_db.0, defaults.mix_snr_db.1
                ),
            )
            .on_hover_text(
                "Adds background from negatives (or the noise folder) to half of the windows, \
                 some louder than the call, as at noisier sites",
            )
            .changed()
        {
            a.mix_probability = if mix { defaults.mix_probability } else { 0.0 };
            a.mix_snr_db = defaults.mix_snr_db;
        }
        let mut shift = a.frequency_shift_bands > 0;
        if ui
            .checkbox(&mut shift, "small frequency shifts")
            .on_hover_text(
                "Moves the image up or down a band or two: calls a little higher or lower",
            )
            .changed()
        {
            a.frequency_shift_bands = if shift {
                defaults.frequency_shift_bands
            } else {
                0
            };
        }
        let mut masks = a.time_mask_frames > 0;
        if ui
            .checkbox(&mut masks, "time and frequency masking")
            .on_hover_text("Blanks a random stretch of time and band of frequencies (SpecAugment)")
            .changed()
        {
            (a.time_mask_frames, a.frequency_mask_bands) = if masks { (12, 8) } else { (0, 0) };
        }
    }

    pub(super) fn curves_ui(&self, ui: &mut egui::Ui) {
        let series = |f: &dyn Fn(&EpochMetrics) -> Option<f64>| -> PlotPoints<'static> {
            self.epochs
                .iter()
                .filter_map(|m| f(m).map(|v| [m.epoch as f64, v]))
                .collect::<Vec<_>>()
                .into()
        };
        let c = crate::gui::legend::SERIES_COLORS;
        ui.columns(2, |columns| {
            let loss = [("train loss", c[0]), ("validation loss", c[1])];
            crate::gui::legend::legend_row_ui(&mut columns[0], &loss);
            Plot::new("loss curves")
                .height(170.0)
                .x_axis_label("epoch")
                .include_y(0.0)
                .show(&mut columns[0], |plot| {
                    plot.line(
                        Line::new(loss[0].0, series(&|m| Some(m.train_loss))).color(loss[0].1),
                    );
                    plot.line(
                        Line::new(
                            loss[1].0,
                            series(&|m| m.validation.as_ref().map(|v| v.loss)),
                        )
                        .color(loss[1].1),
                    );
                });
            let rates = [
                ("train accuracy", c[0]),
                ("validation accuracy", c[1]),
                ("validation precision", c[2]),
                ("validation recall", c[3]),
            ];
            crate::gui::legend::legend_row_ui(&mut columns[1], &rates);
            Plot::new("accuracy curves")
                .height(170.0)
                .x_axis_label("epoch")
                .include_y(0.0)
                .include_y(1.0)
                .show(&mut columns[1], |plot| {
                    let values: [&EpochValue; 4] = [
                        &|m| Some(m.train_accuracy),
                        &|m| m.validation.as_ref().map(|v| v.accuracy),
                        &|m| m.validation.as_ref().map(|v| v.precision),
                        &|m| m.validation.as_ref().map(|v| v.recall),
                    ];
                    for ((name, color), value) in rates.iter().zip(values) {
                        plot.line(Line::new(*name, series(value)).color(*color));
                    }
                });
        });
    }
}
