//! The Train window's result: validation and test figures by event and by window, the calls
//! table, misclassified windows, and the model's threshold.

use eframe::egui;
use egui_plot::{Line, Plot, PlotPoints};

use crate::metrics::SplitMetrics;
use crate::project::Split;
use crate::train::ScoredWindow;

use super::{TrainAction, TrainResult, TrainingWindow};

impl TrainingWindow {
    pub(super) fn result_ui(
        ui: &mut egui::Ui,
        result: &TrainResult,
        thumbnails: &[egui::TextureHandle],
        actions: &mut Vec<TrainAction>,
    ) {
        ui.separator();
        // A multi-class model's thresholds are its classes' (in the table below).
        let threshold = if result.class_metrics.is_empty() {
            format!("threshold {:.2}", result.threshold)
        } else {
            "a threshold per class".to_owned()
        };
        ui.strong(format!(
            "Model saved: {} ({} epochs, best {}, {threshold}, {:.1} s, {:.0} windows/s)",
            result.model_dir.display(),
            result.epochs_run,
            result.best_epoch,
            result.train_secs,
            result.samples_per_sec
        ));
        if let Some((name, embed_secs)) = &result.embedder {
            ui.label(format!(
                "A head on the embedder {name}: trained in {:.2} s ({embed_secs:.1} s embedding \
                 recordings)",
                result.train_secs
            ));
        }
        for warning in &result.warnings {
            ui.colored_label(ui.visuals().warn_fg_color, warning);
        }
        if !result.class_metrics.is_empty() {
            Self::classes_result_ui(ui, result);
        }
        // Calls first: what detection and `syrinx evaluate` count. Windows below, labelled as
        // such, so that a window F1 of 1.00 is never read as "every call found".
        let calls_title = if result.class_metrics.is_empty() {
            "Calls (as Detect and syrinx evaluate count them)"
        } else {
            "Calls, all classes together (each class at its own threshold)"
        };
        ui.label(egui::RichText::new(calls_title).strong())
            .on_hover_text(
                "Detection run over the fully annotated recordings of each split and matched to \
                 their positives as `syrinx evaluate` does",
            );
        egui::Grid::new("event metrics")
            .striped(true)
            .show(ui, |ui| {
                for header in [
                    "split",
                    "calls",
                    "found",
                    "false pos.",
                    "missed",
                    "precision",
                    "recall",
                    "F1",
                ] {
                    ui.strong(header);
                }
                ui.end_row();
                let validation = if result.cross_validation.is_some() {
                    "validation (out of fold)"
                } else {
                    "validation"
                };
                for (name, events) in [
                    (validation, &result.validation_events),
                    ("test", &result.test_events),
                ] {
                    ui.label(name);
                    match events {
                        Some(m) => {
                            ui.label((m.true_positives + m.false_negatives).to_string());
                            ui.label(m.true_positives.to_string());
                            ui.label(m.false_positives.to_string());
                            ui.label(m.false_negatives.to_string());
                            for value in [m.precision, m.recall, m.f1] {
                                ui.label(format!("{value:.3}"));
                            }
                        }
                        None => {
                            ui.weak("no fully annotated recording");
                        }
                    }
                    ui.end_row();
                }
            });
        ui.small(
            "Counted on the fully annotated recordings of each split. Test recordings without \
             annotations (the demo's sites 5-6) are not in these rows: Detect over them, then \
             Review, or use syrinx evaluate against a truth table.",
        );
        if let Some(cv) = &result.cross_validation {
            ui.small(format!(
                "A small project: every recording trained, and blocked cross-validation chose \
                 the epochs and the threshold ({}). The folds chose {} epoch(s) and threshold \
                 {:.2}; the validation row counts each call once, scored by the fold that did \
                 not train on it; the final model then trained on everything.",
                cv.description, cv.chosen_epochs, result.threshold
            ));
        }
        if result.validation_events.is_none() {
            ui.small(
                "No fully annotated validation recording: the epoch and threshold were chosen on \
                 windows (mark recordings fully annotated to count calls)",
            );
        }
        ui.label(egui::RichText::new("Windows (what the network classifies; not calls)").strong());
        egui::Grid::new("final metrics")
            .striped(true)
            .show(ui, |ui| {
                for header in [
                    "split",
                    "windows",
                    "accuracy",
                    "precision",
                    "recall",
                    "F1",
                    "ROC-AUC",
                    "TP",
                    "FP",
                    "TN",
                    "FN",
                ] {
                    ui.strong(header);
                }
                ui.end_row();
                for (name, metrics) in [("validation", &result.validation), ("test", &result.test)]
                {
                    ui.label(name);
                    match metrics {
                        Some(m) => {
                            ui.label(m.windows.to_string());
                            for value in [m.accuracy, m.precision, m.recall, m.f1] {
                                ui.label(format!("{value:.3}"));
                            }
                            ui.label(
                                m.roc_auc
                                    .map_or_else(|| "–".to_owned(), |a| format!("{a:.3}")),
                            );
                            let c = m.confusion;
                            for count in [
                                c.true_positives,
                                c.false_positives,
                                c.true_negatives,
                                c.false_negatives,
                            ] {
                                ui.label(count.to_string());
                            }
                        }
                        None => {
                            ui.label("no windows");
                        }
                    }
                    ui.end_row();
                }
            });
        let validation: Vec<&ScoredWindow> = result
            .scored
            .iter()
            .filter(|s| s.window.split == Split::Validation)
            .collect();
        if !validation.is_empty() {
            let scores: Vec<f32> = validation.iter().map(|s| s.score).collect();
            let truth: Vec<bool> = validation.iter().map(|s| s.window.is_positive()).collect();
            let curve: PlotPoints<'static> = crate::metrics::pr_curve(&scores, &truth)
                .into_iter()
                .map(|(recall, precision, _)| [recall, precision])
                .collect::<Vec<_>>()
                .into();
            Plot::new("pr curve")
                .height(150.0)
                .x_axis_label("recall")
                .y_axis_label("precision")
                .include_x(0.0)
                .include_x(1.0)
                .include_y(0.0)
                .include_y(1.0)
                .show(ui, |plot| {
                    plot.line(Line::new("validation PR curve", curve));
                });
        }
        let wrong: Vec<&ScoredWindow> = result
            .scored
            .iter()
            .filter(|s| result.is_misclassified(s))
            .collect();
        ui.label(format!("Misclassified windows: {}", wrong.len()));
        let class_thresholds = result.class_thresholds();
        for (i, scored) in wrong.into_iter().enumerate() {
            let w = &scored.window;
            let mut text = format!(
                "{} · {} {:.2}–{:.2} s · {} '{}' · score {:.2}",
                w.split.name(),
                w.source,
                w.start_secs,
                w.end_secs,
                w.kind.name(),
                w.label,
                scored.score
            );
            if !class_thresholds.is_empty() {
                let named = scored
                    .predicted_class(&class_thresholds)
                    .and_then(|c| result.class_metrics.get(c))
                    .map_or(crate::metrics::NO_CLASS, |c| c.name.as_str());
                text.push_str(&format!(" · model says {named}"));
            }
            ui.horizontal(|ui| {
                if let Some(texture) = thumbnails.get(i) {
                    let response = ui.add(
                        egui::Image::new((texture.id(), egui::vec2(80.0, 48.0)))
                            .sense(egui::Sense::click()),
                    );
                    if response
                        .on_hover_text("What the model saw; click to show it")
                        .clicked()
                    {
                        actions.push(TrainAction::Show(Box::new(scored.clone())));
                    }
                }
                if ui
                    .link(text)
                    .on_hover_text("Show it in the recording")
                    .clicked()
                {
                    actions.push(TrainAction::Show(Box::new(scored.clone())));
                }
                if ui.small_button("Play").clicked() {
                    actions.push(TrainAction::Play(Box::new(scored.clone())));
                }
                if let crate::dataset::WindowOrigin::Selection { id, .. } = w.origin {
                    let other = match w.kind {
                        crate::annotation::SelectionKind::Positive => {
                            crate::annotation::SelectionKind::Negative
                        }
                        crate::annotation::SelectionKind::Negative => {
                            crate::annotation::SelectionKind::Positive
                        }
                    };
                    if ui
                        .small_button(format!("Make {}", other.name()))
                        .on_hover_text(
                            "The selection was labelled wrongly: change its kind (undoable)",
                        )
                        .clicked()
                    {
                        actions.push(TrainAction::SetKind(id, other));
                    }
                }
            });
        }
    }

    /// A multi-class model's classes: each one's threshold and calls found on validation and
    /// test, then the confusion matrices (rows: the truth; columns: what the model says).
    fn classes_result_ui(ui: &mut egui::Ui, result: &TrainResult) {
        ui.label(egui::RichText::new("Classes (each scored on its own calls)").strong())
            .on_hover_text(
                "Each class's detections on the fully annotated recordings, matched to that \
                 class's positives only, as its own detection run would be",
            );
        let calls = |m: Option<&crate::evaluate::EventMetrics>| {
            m.map_or_else(
                || "–".to_owned(),
                |m| {
                    format!(
                        "{}/{} · P {:.2} R {:.2} · F1 {:.3}",
                        m.true_positives,
                        m.true_positives + m.false_negatives,
                        m.precision,
                        m.recall,
                        m.f1
                    )
                },
            )
        };
        let windows =
            |m: Option<&SplitMetrics>| m.map_or_else(|| "–".to_owned(), |m| format!("{:.3}", m.f1));
        egui::Grid::new("class metrics")
            .striped(true)
            .show(ui, |ui| {
                for header in [
                    "class",
                    "threshold",
                    "validation calls",
                    "test calls",
                    "validation windows F1",
                    "test windows F1",
                ] {
                    ui.strong(header);
                }
                ui.end_row();
                for class in &result.class_metrics {
                    ui.label(&class.name);
                    ui.label(format!("{:.2}", class.threshold));
                    ui.label(calls(class.validation_events.as_ref()));
                    ui.label(calls(class.test_events.as_ref()));
                    ui.label(windows(class.validation.as_ref()));
                    ui.label(windows(class.test.as_ref()));
                    ui.end_row();
                }
            });
        for confusion in &result.confusions {
            ui.label(format!(
                "Confusion matrix, {} windows (rows: truth; columns: what the model says) · \
                 accuracy {:.3}",
                confusion.split,
                confusion.accuracy()
            ));
            egui::Grid::new(("class confusion", confusion.split.as_str()))
                .striped(true)
                .show(ui, |ui| {
                    ui.weak("truth \\ model");
                    for label in &confusion.labels {
                        ui.strong(label);
                    }
                    ui.end_row();
                    for (label, row) in confusion.labels.iter().zip(&confusion.counts) {
                        ui.strong(label);
                        for (column, count) in row.iter().enumerate() {
                            let text = egui::RichText::new(count.to_string());
                            let on_diagonal = confusion.labels.get(column) == Some(label);
                            if *count > 0 && !on_diagonal {
                                ui.colored_label(ui.visuals().warn_fg_color, text);
                            } else {
                                ui.label(text);
                            }
                        }
                        ui.end_row();
                    }
                });
        }
        ui.add_space(4.0);
    }
}
