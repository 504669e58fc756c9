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
        let Some(rows) = &self.history else {
            ui.weak("reading models…");
            return;
        };
        // What reviewing each model's runs added (false positives, missed calls, answers to
        // What to label next): the next row's F1 shows how much that helped.
        let added = crate::review::label_next::added_by_iteration(project);
        egui::Grid::new("iteration history")
            .striped(true)
            .num_columns(7)
            .show(ui, |ui| {
                for header in [
                    "#",
                    "model",
                    "val F1",
                    "test F1",
                    "negatives",
                    "review",
                    "added",
                ] {
                    ui.strong(header).on_hover_text(
                        "F1 of calls (as syrinx evaluate counts them) on the fully annotated \
                         recordings of the split; \"w\": of windows, where none is annotated",
                    );
                }
                ui.end_row();
                for row in rows {
                    ui.label(row.iteration.to_string());
                    let name = row
                        .dir
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    match &row.info {
                        Ok(info) => {
                            ui.label(name).on_hover_text(format!(
                                "{}\ncreated {}\nthreshold {:.3}",
                                row.dir.display(),
                                info.created,
                                info.threshold
                            ));
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
                        Err(error) => {
                            ui.label(name).on_hover_text(error.to_string());
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
        if ui
            .small_button("Retrain")
            .on_hover_text("Train the next iteration with the same settings")
            .clicked()
        {
            actions.push(ReviewAction::Retrain);
        }
    }
}
