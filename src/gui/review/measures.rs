//! The Review panel's measures: the threshold and what the verdicts say about it, the
//! event-level evaluation on fully annotated recordings, and the iterations compared.

use eframe::egui;
use egui_plot::{Bar, BarChart, Line, Plot, PlotPoints};

use crate::evaluate::runs::evaluate_run;
use crate::project::Project;
use crate::project::runs::DetectionRun;
use crate::review::ThresholdEvidence;

use super::{ReviewAction, ReviewState};

impl ReviewState {
    pub(super) fn threshold_ui(
        &mut self,
        ui: &mut egui::Ui,
        run: &DetectionRun,
        actions: &mut Vec<ReviewAction>,
    ) {
        let evidence = ThresholdEvidence::of(run);
        if evidence.true_positive_scores.is_empty() && evidence.false_positive_scores.is_empty() {
            ui.weak("Mark some detections true or false positive first.");
            return;
        }
        let bins = 20;
        let (tp, fp) = evidence.histograms(bins);
        let width = 1.0 / bins as f64;
        let bars = |counts: &[usize], offset: f64| -> Vec<Bar> {
            counts
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    Bar::new((i as f64 + 0.25 + offset) * width, *c as f64).width(width * 0.45)
                })
                .collect()
        };
        let (tp_color, fp_color) = (
            crate::gui::theme::TRUE_POSITIVE_BARS,
            crate::gui::theme::FALSE_POSITIVE_BARS,
        );
        crate::gui::legend::legend_row_ui(
            ui,
            &[("true positives", tp_color), ("false positives", fp_color)],
        );
        Plot::new("verdict histogram")
            .height(110.0)
            .allow_scroll(false)
            .allow_drag(false)
            .x_axis_label("score")
            .show(ui, |plot| {
                plot.bar_chart(BarChart::new("true positives", bars(&tp, 0.0)).color(tp_color));
                plot.bar_chart(BarChart::new("false positives", bars(&fp, 0.5)).color(fp_color));
            });
        let points: PlotPoints = evidence
            .precision_curve
            .iter()
            .map(|(t, p, _)| [f64::from(*t), *p])
            .collect();
        Plot::new("precision vs threshold")
            .height(100.0)
            .include_y(0.0)
            .include_y(1.0)
            .allow_scroll(false)
            .allow_drag(false)
            .x_axis_label("threshold")
            .y_axis_label("precision")
            .show(ui, |plot| {
                plot.line(Line::new("precision", points));
            });
        ui.horizontal_wrapped(|ui| {
            ui.label("Precision wanted");
            ui.add(egui::Slider::new(&mut self.target_precision, 0.5..=1.0).fixed_decimals(2))
                .on_hover_text(
                    "Share of detections above the threshold that should be true positives",
                );
        });
        match evidence.threshold_for_precision(self.target_precision) {
            Some(t) => {
                ui.horizontal_wrapped(|ui| {
                    ui.label(format!("Lowest threshold reaching it: {t:.3}"));
                    if ui
                        .button("Use it")
                        .on_hover_text("Set the run's threshold to this value")
                        .clicked()
                    {
                        actions.push(ReviewAction::SetThreshold(t));
                    }
                });
            }
            None => {
                ui.weak("No threshold reaches that precision on the reviewed detections.");
            }
        }
        if ui
            .button(format!("Save {:.3} in the model", run.merge.threshold))
            .on_hover_text("Detection will use it by default from now on")
            .clicked()
        {
            actions.push(ReviewAction::SaveThreshold(run.merge.threshold));
        }
        ui.weak(
            "Verdicts are only on detections above the run's threshold when they were made: \
             lowering it adds detections nobody has reviewed.",
        );
    }

    pub(super) fn evaluation_ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Project,
        run: &DetectionRun,
    ) {
        ui.horizontal_wrapped(|ui| {
            ui.label("Tolerance (s)");
            ui.add(
                egui::DragValue::new(&mut self.tolerance_secs)
                    .range(0.0..=30.0)
                    .speed(0.1),
            )
            .on_hover_text(
                "A detection matches a reference call it overlaps or whose centre is this close",
            );
        });
        // Marking a recording fully annotated changes what there is to compare with.
        let fully_annotated = project
            .recordings
            .iter()
            .filter(|r| r.fully_annotated)
            .count();
        let stamp = (
            run.id,
            run.merge.threshold.to_bits(),
            run.recordings.len(),
            fully_annotated,
            project.selections.version(),
            self.tolerance_secs.to_bits(),
        );
        if self.evaluation.as_ref().is_none_or(|(s, _)| *s != stamp) {
            let evaluation = evaluate_run(project, run, self.tolerance_secs);
            self.evaluation = Some((stamp, evaluation));
        }
        let Some((_, evaluation)) = &self.evaluation else {
            return;
        };
        let evaluation = match evaluation {
            Ok(evaluation) => evaluation,
            Err(error) => {
                ui.colored_label(ui.visuals().error_fg_color, error.to_string());
                return;
            }
        };
        let Some(evaluation) = evaluation else {
            ui.weak(
                "None of the scored recordings is marked fully annotated: mark one (and its \
                 calls as positives) to measure precision and recall here.",
            );
            return;
        };
        let m = &evaluation.at_threshold;
        ui.label(format!(
            "{} fully annotated recording(s), {} reference call(s), {:.0} min",
            evaluation.recordings,
            evaluation.references,
            evaluation.audio_secs / 60.0
        ));
        ui.label(format!(
            "At {:.2}: precision {:.2} · recall {:.2} · F1 {:.2} · {} FP ({:.1} per hour) · {} missed",
            m.threshold,
            m.precision,
            m.recall,
            m.f1,
            m.false_positives,
            m.false_positives_per_hour,
            m.false_negatives
        ));
        let curve: PlotPoints = evaluation
            .curve
            .iter()
            .map(|m| [m.recall, m.precision])
            .collect();
        Plot::new("event pr curve")
            .height(120.0)
            .include_x(0.0)
            .include_x(1.0)
            .include_y(0.0)
            .include_y(1.0)
            .allow_scroll(false)
            .allow_drag(false)
            .x_axis_label("recall")
            .y_axis_label("precision")
            .show(ui, |plot| {
                plot.line(Line::new("thresholds 0.05–0.95", curve));
            });
    }

    pub(super) fn history_ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Project,
        actions: &mut Vec<ReviewAction>,
    ) {
        if project.models.is_empty() {
            ui.weak("No models trained for this project yet (Model › Train…).");
            return;
        }
        if self.history.is_none() {
            ui.weak("reading models…");
            return;
        }
        // What reviewing each model's runs added (false positives, missed calls, answers to
        // What to label next): the next row's F1 shows how much that helped.
        let added = crate::review::label_next::added_by_iteration(project);
        let figures = self.iteration_figures(project).to_vec();
        let Some(rows) = &self.history else {
            return;
        };
        // Wider than the panel: scrolls sideways, the gain column first after the model.
        egui::ScrollArea::horizontal()
            .id_salt("iteration history scroll")
            .show(ui, |ui| {
                Self::history_grid(ui, project, rows, &figures, &added);
            });
        ui.weak(
            "A model's gain shows as lost false positives: detections the previous model made \
             that the review marked false and this one no longer makes.",
        );
        if ui
            .small_button("Retrain")
            .on_hover_text("Train the next iteration with the same settings")
            .clicked()
        {
            actions.push(ReviewAction::Retrain);
        }
    }
}

impl ReviewState {
    /// The Iterations table itself: one row per model.
    fn history_grid(
        ui: &mut egui::Ui,
        project: &Project,
        rows: &[super::IterationRow],
        figures: &[crate::evaluate::iterations::IterationFigures],
        added: &std::collections::BTreeMap<u32, std::collections::BTreeMap<String, usize>>,
    ) {
        egui::Grid::new("iteration history")
            .striped(true)
            .num_columns(9)
            .show(ui, |ui| {
                let headers = [
                    ("#", "The training iteration (models/model_NN)"),
                    ("model", "The model's folder"),
                    (
                        "vs previous",
                        "The model's run against the previous model's over the same \
                         recordings: detections gained (+) and lost (−); hover for the verdicts \
                         the earlier review gave the lost ones. Lost false positives are the \
                         iteration's gain, found without reviewing the new run",
                    ),
                    (
                        "test calls",
                        "Precision · recall · false positives per hour of the model's run over \
                         its fully annotated test recordings, at the run's threshold",
                    ),
                    (
                        "val F1",
                        "F1 of calls (as syrinx evaluate counts them) on the fully annotated \
                         validation recordings at training; \"w\": of windows, where none is \
                         annotated",
                    ),
                    (
                        "test F1",
                        "F1 of calls on the fully annotated test recordings at training",
                    ),
                    ("negatives", "Negative windows it was trained on"),
                    ("review", "Verdicts given to the model's runs"),
                    ("added", "Selections made from the model's runs"),
                ];
                for (header, why) in headers {
                    ui.strong(header).on_hover_text(why);
                }
                ui.end_row();
                for (row, figures) in rows.iter().zip(figures.iter().chain(std::iter::repeat(
                    &crate::evaluate::iterations::IterationFigures::default(),
                ))) {
                    ui.label(row.iteration.to_string());
                    let name = row
                        .dir
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    match &row.info {
                        Ok(info) => ui.label(name).on_hover_text(format!(
                            "{}\ncreated {}\nthreshold {:.3}",
                            row.dir.display(),
                            info.created,
                            info.threshold
                        )),
                        Err(error) => ui.label(name).on_hover_text(error.to_string()),
                    };
                    Self::change_cell(ui, project, figures);
                    Self::test_figures_cell(ui, project, figures);
                    match &row.info {
                        Ok(info) => {
                            // Calls first; windows (marked) only where no call was counted.
                            let f1 = |events: &Option<crate::evaluate::EventMetrics>,
                                      windows: &Option<crate::metrics::SplitMetrics>| {
                                match (events, windows) {
                                    (Some(e), _) => format!("{:.2}", e.f1),
                                    (None, Some(w)) => format!("{:.2} w", w.f1),
                                    (None, None) => "–".to_owned(),
                                }
                            };
                            ui.label(f1(&info.validation_events, &info.validation));
                            ui.label(f1(&info.test_events, &info.test));
                            let negatives: usize = info.manifest.groups.iter().map(|g| g.3).sum();
                            ui.label(negatives.to_string())
                                .on_hover_text("negative windows it was trained on");
                        }
                        Err(_) => {
                            ui.colored_label(ui.visuals().error_fg_color, "unreadable");
                            ui.label("");
                            ui.label("");
                        }
                    }
                    let mut tp = 0;
                    let mut fp = 0;
                    let mut total = 0;
                    for run in project
                        .detection_runs
                        .iter()
                        .filter(|r| r.model_dir == row.dir)
                    {
                        let c = run.counts();
                        tp += c.true_positives;
                        fp += c.false_positives;
                        total += c.detections;
                    }
                    if total == 0 {
                        ui.weak("not run");
                    } else {
                        ui.label(format!("{tp} TP · {fp} FP of {total}"));
                    }
                    match added.get(&u32::try_from(row.iteration).unwrap_or(u32::MAX)) {
                        Some(sources) => {
                            let total: usize = sources.values().sum();
                            let parts: Vec<String> =
                                sources.iter().map(|(s, n)| format!("{n} {s}")).collect();
                            ui.label(total.to_string()).on_hover_text(format!(
                                "selections made from this model's runs: {}",
                                parts.join(", ")
                            ));
                        }
                        None => {
                            ui.weak("–");
                        }
                    }
                    ui.end_row();
                }
            });
    }

    /// The Iterations table's figures (`evaluate::iterations`), computed again when runs,
    /// verdicts, selections or the models changed: from the runs' detections in memory, no
    /// file is read.
    fn iteration_figures(
        &mut self,
        project: &Project,
    ) -> &[crate::evaluate::iterations::IterationFigures] {
        use std::hash::{Hash, Hasher};
        let Some(rows) = &self.history else {
            return &[];
        };
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        for run in &project.detection_runs {
            let c = run.counts();
            (run.id, run.merge.threshold.to_bits(), run.recordings.len()).hash(&mut hasher);
            (c.detections, c.true_positives, c.false_positives, c.unsure).hash(&mut hasher);
        }
        for r in &project.recordings {
            (r.id, r.fully_annotated).hash(&mut hasher);
        }
        project.selections.version().hash(&mut hasher);
        self.tolerance_secs.to_bits().hash(&mut hasher);
        rows.iter()
            .for_each(|r| (&r.dir, r.info.is_ok()).hash(&mut hasher));
        let stamp = hasher.finish();
        if self
            .iteration_figures
            .as_ref()
            .is_none_or(|(s, _)| *s != stamp)
        {
            let models: Vec<(&std::path::Path, Option<&crate::model::ModelInfo>)> = rows
                .iter()
                .map(|r| (r.dir.as_path(), r.info.as_ref().ok()))
                .collect();
            let figures = crate::evaluate::iterations::iteration_figures(
                project,
                &models,
                self.tolerance_secs,
            );
            self.iteration_figures = Some((stamp, figures));
        }
        self.iteration_figures
            .as_ref()
            .map_or(&[], |(_, figures)| figures.as_slice())
    }

    fn test_figures_cell(
        ui: &mut egui::Ui,
        project: &Project,
        figures: &crate::evaluate::iterations::IterationFigures,
    ) {
        match &figures.test {
            Some((run_id, recordings, m)) => {
                let run = project
                    .run(*run_id)
                    .map_or_else(String::new, crate::project::runs::DetectionRun::name);
                ui.label(format!(
                    "{:.2} · {:.2} · {:.1}/h",
                    m.precision, m.recall, m.false_positives_per_hour
                ))
                .on_hover_text(format!(
                    "{run}: {recordings} fully annotated test recording(s); {} found, {} false \
                     positive(s), {} missed at threshold {:.2}",
                    m.true_positives, m.false_positives, m.false_negatives, m.threshold
                ));
            }
            None => {
                ui.weak("–").on_hover_text(
                    "No run of this model over a fully annotated recording of its test split",
                );
            }
        }
    }

    fn change_cell(
        ui: &mut egui::Ui,
        project: &Project,
        figures: &crate::evaluate::iterations::IterationFigures,
    ) {
        let Some(change) = &figures.change else {
            ui.weak("–").on_hover_text(
                "No run of this model shares a recording with a run of the previous one",
            );
            return;
        };
        let (Some(before), Some(after)) = (
            project.run(change.before_run),
            project.run(change.after_run),
        ) else {
            ui.weak("–");
            return;
        };
        let lost = change.lost_verdicts(before);
        let mut text = format!("+{} −{}", change.gained.len(), change.lost.len());
        if lost.false_positives > 0 {
            text.push_str(&format!(" ({} FP gone)", lost.false_positives));
        }
        ui.label(text).on_hover_text(format!(
            "{} against {}, over {} recording(s): {}; gained: {}",
            after.name(),
            before.name(),
            change.recordings,
            change.describe(before),
            match change.gained_verdicts(after).describe() {
                d if d.is_empty() => "none".to_owned(),
                d => d,
            }
        ));
    }
}
