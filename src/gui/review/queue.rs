//! The Review panel's queue (the current detection, verdict buttons, the list) and the
//! false positives to add as negatives.

use eframe::egui;

use crate::project::Project;
use crate::project::runs::{DetectionRun, ReviewOrder, Verdict};
use crate::util::timefmt::format_time_secs;

use super::{ReviewAction, ReviewState};

impl ReviewState {
    pub(super) fn queue_ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Project,
        run: &DetectionRun,
        actions: &mut Vec<ReviewAction>,
    ) {
        ui.horizontal_wrapped(|ui| {
            ui.label("Order");
            let mut order = self.order;
            egui::ComboBox::from_id_salt("review order")
                .selected_text(order.name())
                .show_ui(ui, |ui| {
                    for choice in [
                        ReviewOrder::ScoreHighFirst,
                        ReviewOrder::ScoreLowFirst,
                        ReviewOrder::Time,
                        ReviewOrder::Random { seed: 1 },
                    ] {
                        let selected =
                            std::mem::discriminant(&order) == std::mem::discriminant(&choice);
                        if ui.selectable_label(selected, choice.name()).clicked() {
                            order = choice;
                        }
                    }
                })
                .response
                .on_hover_text("The order detections come up for review");
            if let ReviewOrder::Random { seed } = &mut order {
                ui.add(egui::DragValue::new(seed).prefix("seed "))
                    .on_hover_text("The same seed gives the same random sample");
            }
            if order != self.order {
                actions.push(ReviewAction::SetOrder(order));
            }
        });
        let counts = run.counts();
        ui.label(format!(
            "Reviewed {} of {} · TP {} · FP {} · unsure {}",
            counts.reviewed(),
            counts.detections,
            counts.true_positives,
            counts.false_positives,
            counts.unsure
        ));
        let Some(at) = self.current() else {
            ui.weak("No detections at this threshold.");
            return;
        };
        let Some(d) = run.get(at) else {
            return;
        };
        let name = run
            .recording_of(at)
            .and_then(|id| project.recording(id))
            .map_or_else(String::new, crate::project::ProjectRecording::name);
        ui.horizontal_wrapped(|ui| {
            ui.strong(format!("{} / {}", self.position + 1, self.queue.len()));
            let length_secs = run
                .recording_of(at)
                .and_then(|id| project.recording(id))
                .map_or(d.detection.end_secs, |r| r.duration_secs);
            ui.label(format!(
                "{name} {}–{} · score {:.2} (mean {:.2})",
                format_time_secs(d.detection.start_secs, length_secs),
                format_time_secs(d.detection.end_secs, length_secs),
                d.detection.max_score,
                d.detection.mean_score
            ));
        });
        ui.horizontal_wrapped(|ui| {
            ui.label("Verdict:");
            ui.strong(d.verdict.map_or("not reviewed", Verdict::name));
            // A detection said to be another class shows which.
            if let Some(other) = d
                .negative
                .and_then(|id| project.selections.get(id))
                .filter(|s| s.kind == crate::annotation::SelectionKind::Positive)
            {
                ui.label(format!("· it is {}", other.label));
            }
        });
        ui.horizontal_wrapped(|ui| {
            let buttons = [
                (
                    "True positive",
                    "Up arrow or T",
                    Some(Verdict::TruePositive),
                ),
                (
                    "False positive",
                    "Down arrow or F",
                    Some(Verdict::FalsePositive),
                ),
                ("Unsure", "U", Some(Verdict::Unsure)),
            ];
            for (text, keys, verdict) in buttons {
                if ui
                    .selectable_label(d.verdict == verdict, text)
                    .on_hover_text(keys)
                    .clicked()
                {
                    actions.push(ReviewAction::Verdict(verdict));
                }
            }
        });
        let others = crate::review::other_classes(project, run);
        if !others.is_empty() {
            ui.horizontal_wrapped(|ui| {
                if ui
                    .selectable_label(self.picking_class, "Another class…")
                    .on_hover_text(
                        "C: the detection is another species or call type; then a digit picks \
                         it (a positive of that class, a false positive here)",
                    )
                    .clicked()
                {
                    actions.push(ReviewAction::PickClass);
                }
                if self.picking_class {
                    for (i, label) in others.iter().enumerate() {
                        let text = if i < 9 {
                            format!("{} {label}", i + 1)
                        } else {
                            label.clone()
                        };
                        if ui
                            .button(text)
                            .on_hover_text(format!(
                                "It is {label}, not {}: adds a Positive '{label}' selection \
                                 with its provenance; the detection becomes a false positive",
                                run.label
                            ))
                            .clicked()
                        {
                            actions.push(ReviewAction::Reclassify(label.clone()));
                        }
                    }
                }
            });
        }
        ui.horizontal_wrapped(|ui| {
            if ui.button("Previous").on_hover_text("Left arrow").clicked() {
                actions.push(ReviewAction::Previous);
            }
            if ui.button("Next").on_hover_text("Right arrow").clicked() {
                actions.push(ReviewAction::Next);
            }
            if ui
                .button("Play")
                .on_hover_text("Space: the detection with a second either side")
                .clicked()
            {
                actions.push(ReviewAction::Play);
            }
            if ui
                .add_enabled(self.can_undo_verdict, egui::Button::new("Undo verdict"))
                .on_hover_text("Z")
                .clicked()
            {
                actions.push(ReviewAction::UndoVerdict);
            }
            if ui
                .button("Next unreviewed")
                .on_hover_text("Skip to the next detection without a verdict")
                .clicked()
                && let Some(n) = (self.position + 1..self.queue.len())
                    .chain(0..self.position)
                    .find(|&i| run.get(self.queue[i]).is_some_and(|d| d.verdict.is_none()))
            {
                actions.push(ReviewAction::Goto(n));
            }
        });
        ui.weak("Draw a box to add a call the model missed (it becomes a positive).");
    }

    pub(super) fn negatives_ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Project,
        run: &DetectionRun,
        actions: &mut Vec<ReviewAction>,
    ) {
        let plan =
            crate::review::plan_false_positive_negatives(project, run, &self.negative_options);
        let n = plan.selections.len();
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Label them");
            let default_label = crate::review::false_positive_label(&run.label);
            let mut text = self.negative_options.label.clone().unwrap_or_default();
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut text)
                        .hint_text(default_label.as_str())
                        .desired_width(140.0),
                )
                .labelled_by(label.id)
                .on_hover_text(
                    "What the new negatives are: counted and exported under this label, apart                      from the target",
                );
            if field.changed() {
                self.negative_options.label = (!text.trim().is_empty()).then_some(text);
            }
            let negative_labels: Vec<&str> = project
                .labels
                .iter()
                .filter(|l| l.kind == crate::annotation::SelectionKind::Negative)
                .map(|l| l.name.as_str())
                .collect();
            if !negative_labels.is_empty() {
                egui::ComboBox::from_id_salt("negative label")
                    .selected_text("pick…")
                    .width(60.0)
                    .show_ui(ui, |ui| {
                        if ui.selectable_label(false, default_label.as_str()).clicked() {
                            self.negative_options.label = None;
                        }
                        for name in negative_labels {
                            if ui.selectable_label(false, name).clicked() {
                                self.negative_options.label = Some(name.to_owned());
                            }
                        }
                    });
            }
        });
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(
                    n > 0,
                    egui::Button::new(format!("Add false positives to negatives ({n})")),
                )
                .on_hover_text(
                    "N: every false positive becomes a Negative selection over the model's band \
                     that remembers its model, score and iteration (undo with Ctrl+Z)",
                )
                .clicked()
            {
                actions.push(ReviewAction::AddFalsePositives);
            }
        });
        ui.checkbox(
            &mut self.write_clips,
            format!(
                "also write WAV clips to neg_iteration_{:02}/",
                run.iteration.max(1)
            ),
        )
        .on_hover_text(
            "Each new negative is also cut out as a clip in a folder beside the project",
        );
        if !plan.test_recordings.is_empty() {
            let recordings = plan.test_recordings.join(", ");
            if self.negative_options.include_test {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "Some come from test recordings ({recordings}): test recordings are never \
                         trained on, so there they only change what the test counts."
                    ),
                );
            } else {
                ui.weak(format!(
                    "{} false positive(s) in test recordings ({recordings}) are kept for \
                     evaluation only: the model never trains on test recordings. To teach it, \
                     review recordings outside the test split (the demo's survey).",
                    plan.test_false_positives
                ));
            }
            ui.checkbox(
                &mut self.negative_options.include_test,
                "add the test recordings' false positives as negatives too",
            )
            .on_hover_text(
                "They are not trained on either way; as negatives they become part of the test's \
                 truth",
            );
        }
        if ui
            .button("Retrain")
            .on_hover_text("Train the next iteration with the same settings")
            .clicked()
        {
            actions.push(ReviewAction::Retrain);
        }
    }
}
