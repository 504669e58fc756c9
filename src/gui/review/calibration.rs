//! Scores as probabilities, in Review: a stratified sample to judge (a queue of only it), the
//! calibration fitted from the run's verdicts drawn as a curve with its interval and the
//! precision of each score band, the threshold reaching the precision wanted with its expected
//! share of the calls, the calibration kept with the run (exports give each detection its
//! `Probability`), and the calls per recording, site and date with intervals and the activity
//! per hour of day and per date. The fit, the intervals and the recordings' start times (read
//! from their headers) are worked out on a background job; the panel draws the last result.

use std::sync::Arc;

use eframe::egui;
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints, Points};

use crate::annotation::{FileRef, TableRow};
use crate::calibrate::{
    BandPrecision, Calibration, Estimate, Judged, ThresholdChoice, band_precision, score_bands,
    stratified_sample,
};
use crate::project::runs::{DetectionRef, DetectionRun, Verdict};
use crate::project::{Project, ProjectRecording};
use crate::report::Activity;
use crate::report::counts::{GroupCalls, GroupKind, MeasuredRecall, calls_by_group};
use crate::util::jobs::{Job, Waker};

use super::{ReviewAction, ReviewState};

/// Score bands of the sample and of the precision shown per band.
pub const SAMPLE_BANDS: usize = 6;
/// Detections drawn from each band.
pub const SAMPLE_PER_BAND: usize = 5;
/// The sample's seed (the same run and threshold give the same sample).
pub const SAMPLE_SEED: u64 = 1;

/// What a view was computed from: run, detections, true and false positives, threshold bits,
/// target precision bits, the kept calibration's verdicts.
pub(super) type CalibrationStamp = (u32, usize, usize, usize, u32, u64, usize);

/// What the panel shows of a run's calibration and calls.
#[derive(Debug, Clone)]
pub struct CalibrationView {
    /// The fit from the run's verdicts, or why there is none.
    pub fit: Result<Calibration, String>,
    pub bands: Vec<BandPrecision>,
    /// The lowest threshold reaching the precision wanted, by the fit (else by the kept
    /// calibration: one applied from another run has no verdicts of this run to fit).
    pub choice: Option<ThresholdChoice>,
    /// Calls among all the run's detections.
    pub calls: Option<Estimate>,
    /// Sites whose verdicts allow a calibration of their own, each with the threshold reaching
    /// the precision wanted there (their recordings are counted with it).
    pub sites: Vec<(String, Calibration, Option<ThresholdChoice>)>,
    /// Calls per recording, site and date (with the kept calibration, else the fit).
    pub groups: Vec<GroupCalls>,
    pub recall: Option<MeasuredRecall>,
    pub activity: Activity,
}

/// What the job needs: the run's detections as rows (start times read on the job), its
/// verdicts, the calibration to count with and the precision wanted.
struct CalibrationInput {
    /// (file name, path) and the rows of each recording.
    recordings: Vec<(String, std::path::PathBuf, Vec<TableRow>)>,
    /// Each verdict with its recording's site.
    judged: Vec<(String, Judged)>,
    kept: Option<Calibration>,
    target_precision: f64,
    recall: Option<MeasuredRecall>,
}

impl CalibrationInput {
    fn of(
        project: &Project,
        run: &DetectionRun,
        target_precision: f64,
        tolerance_secs: f64,
    ) -> Self {
        let recordings = run
            .recordings
            .iter()
            .filter_map(|part| {
                let recording = project.recording(part.recording)?;
                let file = FileRef {
                    name: recording.name(),
                    path: Some(recording.path.display().to_string()),
                    start: None,
                };
                let band = run.band_hz.unwrap_or((0.0, recording.nyquist_hz()));
                let rows = part
                    .detections
                    .iter()
                    .map(|d| {
                        crate::export::detection_row(
                            &d.detection,
                            &file,
                            band,
                            &run.label,
                            d.verdict,
                        )
                    })
                    .collect();
                Some((recording.name(), recording.path.clone(), rows))
            })
            .collect();
        let recall =
            crate::evaluate::iterations::run_figures(project, run, tolerance_secs, |_| true).map(
                |(_, m)| MeasuredRecall {
                    found: m.true_positives,
                    references: m.true_positives + m.false_negatives,
                },
            );
        Self {
            recordings,
            judged: judged_of(project, run),
            kept: run.calibration.clone(),
            target_precision,
            recall,
        }
    }

    fn compute(mut self) -> CalibrationView {
        // The recorders' start times (GUANO, AudioMoth comments, names) date each detection.
        for (_, path, rows) in &mut self.recordings {
            let start = crate::audio::recording_start_of(path).map(|s| s.local_time);
            for row in rows.iter_mut() {
                if let Some(file) = &mut row.file {
                    file.start = start;
                }
            }
        }
        let rows: Vec<TableRow> = self.recordings.into_iter().flat_map(|r| r.2).collect();
        let scores: Vec<f32> = rows
            .iter()
            .filter_map(|r| r.score)
            .map(|s| s as f32)
            .collect();
        let judged: Vec<Judged> = self.judged.iter().map(|(_, j)| *j).collect();
        let fit = Calibration::fit(&judged).map_err(|e| e.to_string());
        let bands = band_precision(&score_bands(&scores, SAMPLE_BANDS), &judged);
        let site_fits = crate::calibrate::fit_sites(&self.judged);
        let sites = site_fits
            .iter()
            .map(|(site, c)| {
                let site_scores: Vec<f32> = rows
                    .iter()
                    .filter(|r| r.site() == *site)
                    .filter_map(|r| r.score)
                    .map(|s| s as f32)
                    .collect();
                let choice = c.threshold_among(&site_scores, self.target_precision);
                (site.clone(), c.clone(), choice)
            })
            .collect();
        let choice = fit
            .as_ref()
            .ok()
            .or(self.kept.as_ref())
            .and_then(|c| c.threshold_among(&scores, self.target_precision));
        let counting = self.kept.as_ref().or(fit.as_ref().ok());
        let calls = counting.map(|c| c.expected_calls(&scores));
        let groups = counting
            .map(|c| calls_by_group(&rows, c, &site_fits, self.recall))
            .unwrap_or_default();
        let mut activity_rows = rows;
        if let Some(c) = counting {
            for row in &mut activity_rows {
                if let Some(score) = row.score {
                    row.values.insert(
                        crate::calibrate::PROBABILITY_COLUMN.to_owned(),
                        c.probability(score as f32).to_string(),
                    );
                }
            }
        }
        CalibrationView {
            fit,
            bands,
            choice,
            calls,
            sites,
            groups,
            recall: self.recall,
            activity: crate::report::activity(&activity_rows),
        }
    }
}

/// The run's detections judged true or false positive, with their scores and their
/// recordings' sites.
fn judged_of(project: &Project, run: &DetectionRun) -> Vec<(String, Judged)> {
    run.recordings
        .iter()
        .flat_map(|r| {
            let site = project
                .recording(r.recording)
                .map_or_else(|| crate::audio::NO_SITE.to_owned(), ProjectRecording::site);
            r.detections.iter().map(move |d| (site.clone(), d))
        })
        .filter_map(|(site, d)| {
            let is_call = match d.verdict? {
                Verdict::TruePositive => true,
                Verdict::FalsePositive => false,
                Verdict::Unsure => return None,
            };
            Some((
                site,
                Judged {
                    score: d.detection.max_score,
                    is_call,
                },
            ))
        })
        .collect()
}

/// The stratified sample of `run`'s detections (see `calibrate::stratified_sample`), lowest
/// score first.
#[must_use]
pub fn sample_queue(run: &DetectionRun) -> Vec<DetectionRef> {
    let refs = run.queue(crate::project::runs::ReviewOrder::Time);
    let scores: Vec<f32> = refs
        .iter()
        .map(|at| run.get(*at).map_or(0.0, |d| d.detection.max_score))
        .collect();
    stratified_sample(&scores, SAMPLE_BANDS, SAMPLE_PER_BAND, SAMPLE_SEED)
        .into_iter()
        .map(|i| refs[i])
        .collect()
}

fn stamp_of(run: &DetectionRun, target_precision: f64) -> CalibrationStamp {
    let c = run.counts();
    (
        run.id,
        c.detections,
        c.true_positives,
        c.false_positives,
        run.merge.threshold.to_bits(),
        target_precision.to_bits(),
        run.calibration.as_ref().map_or(0, |k| k.verdicts + 1),
    )
}

impl ReviewState {
    /// Starts the job working out the view when the run, its verdicts or the precision wanted
    /// changed; takes its result when it is done.
    pub(super) fn refresh_calibration(
        &mut self,
        project: &Project,
        run: &DetectionRun,
        waker: &Waker,
    ) {
        if let Some(job) = &mut self.calibration_job
            && let Some(result) = job.poll()
        {
            self.calibration_job = None;
            match result {
                Ok((stamp, view)) => self.calibration_view = Some((stamp, view)),
                // A job that failed leaves the last view and says why once.
                Err(error) => self.calibration_error = Some(error.to_string()),
            }
        }
        let stamp = stamp_of(run, self.target_precision);
        let current = self
            .calibration_view
            .as_ref()
            .is_some_and(|(s, _)| *s == stamp);
        if current || self.calibration_asked == Some(stamp) {
            return;
        }
        let input = CalibrationInput::of(project, run, self.target_precision, self.tolerance_secs);
        self.calibration_asked = Some(stamp);
        self.calibration_error = None;
        // A newer request replaces one still working (its result is dropped).
        self.calibration_job = Job::spawn("calibration", Arc::clone(waker), move |_| {
            Ok((stamp, input.compute()))
        })
        .ok();
    }

    /// The view of `run` when it is up to date.
    fn calibration_of(&self, run: &DetectionRun) -> Option<&CalibrationView> {
        let (stamp, view) = self.calibration_view.as_ref()?;
        (stamp.0 == run.id).then_some(view)
    }

    pub(super) fn calibration_ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Project,
        run: &DetectionRun,
        actions: &mut Vec<ReviewAction>,
    ) {
        ui.label(format!(
            "Judge a stratified sample — {SAMPLE_PER_BAND} detections from each of \
             {SAMPLE_BANDS} score bands — and the verdicts say what each score means."
        ));
        ui.horizontal_wrapped(|ui| {
            let sample = sample_queue(run);
            let judged = sample
                .iter()
                .filter(|at| run.get(**at).is_some_and(|d| d.verdict.is_some()))
                .count();
            let mut only = self.sample_only;
            if ui
                .checkbox(
                    &mut only,
                    format!(
                        "Review only the sample ({judged} of {} judged)",
                        sample.len()
                    ),
                )
                .on_hover_text(format!(
                    "The queue holds the sample only (seed {SAMPLE_SEED}): T and F as usual"
                ))
                .changed()
            {
                actions.push(ReviewAction::SampleOnly(only));
            }
        });
        if let Some(error) = &self.calibration_error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        let Some(view) = self.calibration_of(run) else {
            ui.weak("working out the calibration…");
            return;
        };
        let (calibration, fitted) = match (&view.fit, &run.calibration) {
            (Ok(c), _) => (c, Some(c)),
            // Applied from another run of the model: shown, used, not fitted here.
            (Err(why), Some(kept)) => {
                ui.weak(why);
                (kept, None)
            }
            (Err(why), None) => {
                ui.weak(why);
                Self::kept_ui(ui, project, run, None, actions);
                return;
            }
        };
        calibration_plot(ui, calibration, &view.bands);
        ui.label(format!(
            "{} from {} verdict(s), {} of them calls.",
            if fitted.is_some() {
                "Fitted"
            } else {
                "The run's calibration, fitted"
            },
            calibration.verdicts,
            calibration.calls
        ));
        // The view is borrowed from `self`: the slider's value is stored after it is drawn.
        let mut target = self.target_precision;
        ui.horizontal_wrapped(|ui| {
            ui.label("Precision wanted");
            ui.add(egui::Slider::new(&mut target, 0.5..=0.99).fixed_decimals(2))
                .on_hover_text("Share of detections above the threshold that should be calls");
        });
        match view.choice {
            Some(choice) => {
                ui.horizontal_wrapped(|ui| {
                    ui.label(format!(
                        "Threshold {:.3}: precision {:.2}, keeps {:.0} % of the calls among \
                         these detections ({} detections)",
                        choice.threshold,
                        choice.precision,
                        choice.kept_share * 100.0,
                        choice.detections
                    ));
                    if ui
                        .button("Use it")
                        .on_hover_text("Set the run's threshold to this value")
                        .clicked()
                    {
                        actions.push(ReviewAction::SetThreshold(choice.threshold));
                    }
                });
            }
            None => {
                ui.weak("No threshold reaches that precision among these detections.");
            }
        }
        if !view.sites.is_empty() {
            ui.label("Sites judged enough to be calibrated on their own verdicts:");
            for (site, c, choice) in &view.sites {
                ui.label(format!(
                    "{site} ({} verdicts): {}",
                    c.verdicts,
                    choice.map_or_else(
                        || "no threshold reaches the precision there".to_owned(),
                        |t| format!(
                            "threshold {:.3} there, precision {:.2}, {} detections",
                            t.threshold, t.precision, t.detections
                        )
                    )
                ))
                .on_hover_text("Its recordings' calls are counted with it");
            }
        }
        Self::kept_ui(ui, project, run, fitted, actions);
        self.target_precision = target;
    }

    /// Whether the run keeps a calibration, and the buttons to keep this one or take it off.
    fn kept_ui(
        ui: &mut egui::Ui,
        project: &Project,
        run: &DetectionRun,
        fitted: Option<&Calibration>,
        actions: &mut Vec<ReviewAction>,
    ) {
        ui.horizontal_wrapped(|ui| {
            match &run.calibration {
                Some(kept) if Some(kept) == fitted => {
                    ui.label("Kept with the run: exports give each detection its Probability.");
                }
                Some(kept) => {
                    ui.label(format!(
                        "The run keeps a calibration fitted from {} verdicts (another run's, or \
                         this one's before its latest verdicts).",
                        kept.verdicts
                    ));
                }
                None => {
                    ui.weak("Not kept with the run yet.");
                }
            }
            if let Some(fitted) = fitted
                && run.calibration.as_ref() != Some(fitted)
                && ui
                    .button("Keep with the run")
                    .on_hover_text(
                        "Exports and the counts below use it; Probability column in every table",
                    )
                    .clicked()
            {
                actions.push(ReviewAction::KeepCalibration(Some(fitted.clone())));
            }
            if run.calibration.is_some() && ui.small_button("Take off").clicked() {
                actions.push(ReviewAction::KeepCalibration(None));
            }
        });
        // A calibration fitted on one run (a survey's judged sample) applies to the same
        // model's other runs (the rest of the season), as `syrinx detect --calibration` does.
        let others: Vec<&DetectionRun> = project
            .detection_runs
            .iter()
            .filter(|r| r.id != run.id && r.model_id == run.model_id && r.label == run.label)
            .filter(|r| r.calibration.is_some() && r.calibration != run.calibration)
            .collect();
        for other in others {
            if ui
                .small_button(format!("Use the calibration of {}", other.name()))
                .on_hover_text("The same model's scores mean the same in every run")
                .clicked()
            {
                actions.push(ReviewAction::KeepCalibration(other.calibration.clone()));
            }
        }
    }

    /// Calls per recording, site and date, and the activity charts.
    pub(super) fn calls_ui(&mut self, ui: &mut egui::Ui, run: &DetectionRun) {
        let Some(view) = self.calibration_of(run) else {
            ui.weak("working out the counts…");
            return;
        };
        match (&view.calls, run.calibration.is_some()) {
            (Some(calls), kept) => {
                ui.label(format!(
                    "{} detection(s); calls among them {calls} ({})",
                    run.counts().detections,
                    if kept {
                        "the run's calibration"
                    } else {
                        "the verdicts' fit, not kept yet"
                    }
                ));
            }
            (None, _) => {
                ui.weak(
                    "Counts of calls need a calibration: judge the sample under Scores as \
                     probabilities.",
                );
            }
        }
        if let Some(recall) = view.recall {
            ui.label(format!(
                "Recall on the fully annotated recordings: {} of {} calls found; calls in the \
                 audio divide by it.",
                recall.found, recall.references
            ));
        }
        if !view.groups.is_empty() {
            groups_list(ui, &view.groups);
        }
        activity_plots(ui, &view.activity);
    }
}

/// A score as the calibration's axis labels it: more decimals near 0 and 1, where networks
/// put most of their scores.
fn score_label(logit: f64) -> String {
    let score = crate::calibrate::sigmoid(logit);
    let digits = if (0.01..=0.99).contains(&score) {
        2
    } else if (0.0001..=0.9999).contains(&score) {
        4
    } else {
        6
    };
    format!("{score:.digits$}")
}

/// Probability against score with its 95 % interval, and each band's share of calls. The
/// score axis is in logits (labelled as scores), as the fit is: a network's scores crowd near
/// 1, where a linear axis would squeeze the whole curve into its last pixels.
fn calibration_plot(ui: &mut egui::Ui, calibration: &Calibration, bands: &[BandPrecision]) {
    use crate::calibrate::score_logit;
    let (low, high) = match (bands.first(), bands.last()) {
        (Some(first), Some(last)) if last.high > first.low => {
            (score_logit(first.low), score_logit(last.high))
        }
        _ => (score_logit(0.01), score_logit(0.99)),
    };
    let steps = 120;
    let estimates: Vec<(f64, Estimate)> = (0..=steps)
        .map(|i| {
            let x = low + (high - low) * f64::from(i) / f64::from(steps);
            (
                x,
                calibration.probability_estimate(crate::calibrate::sigmoid(x) as f32),
            )
        })
        .collect();
    let line = |pick: fn(&Estimate) -> f64| -> PlotPoints {
        estimates.iter().map(|(x, e)| [*x, pick(e)]).collect()
    };
    let band_points: PlotPoints = bands
        .iter()
        .filter_map(|b| {
            let centre = f64::midpoint(score_logit(b.low), score_logit(b.high));
            Some([centre, b.precision()?])
        })
        .collect();
    Plot::new("calibration curve")
        .height(170.0)
        .include_y(0.0)
        .include_y(1.0)
        .allow_scroll(false)
        .allow_drag(false)
        .x_axis_label("score")
        .y_axis_label("P(call)")
        .x_axis_formatter(|mark, _| score_label(mark.value))
        .legend(Legend::default().position(egui_plot::Corner::RightBottom))
        .show(ui, |plot| {
            let interval = crate::gui::theme::CALIBRATION_INTERVAL;
            plot.line(Line::new("probability", line(|e| e.value)).width(2.0));
            plot.line(Line::new("95 % interval", line(|e| e.low)).color(interval));
            plot.line(Line::new("95 % interval", line(|e| e.high)).color(interval));
            plot.points(
                Points::new("share of calls per band", band_points)
                    .radius(4.0)
                    .color(crate::gui::theme::TRUE_POSITIVE_BARS),
            );
        });
}

/// The calls of each recording, site and date: a line each (they wrap in a narrow panel).
fn groups_list(ui: &mut egui::Ui, groups: &[GroupCalls]) {
    let mut last = None;
    for g in groups {
        if last != Some(g.kind) {
            ui.strong(match g.kind {
                GroupKind::Recording => "Per recording",
                GroupKind::Site => "Per site",
                GroupKind::Date => "Per date",
            });
            last = Some(g.kind);
        }
        let mut text = format!(
            "{}: {} detection(s), calls {}",
            g.group, g.detections, g.calls
        );
        if let Some(in_audio) = g.calls_in_audio {
            text.push_str(&format!(", in the audio {in_audio}"));
        }
        ui.label(text);
    }
}

/// Detections (or calls, with a calibration) per hour of day and per date, a colour per site.
fn activity_plots(ui: &mut egui::Ui, activity: &Activity) {
    if activity.dated == 0 {
        ui.weak(
            "No detection has a time of day: the recordings' names carry no YYYYMMDD_HHMMSS \
             and their headers no start time.",
        );
        return;
    }
    let calls = activity.calls_by_hour.is_some();
    let what = if calls { "calls" } else { "detections" };
    ui.label(format!(
        "{what} per hour of day{}",
        if activity.undated > 0 {
            format!(
                " ({} detection(s) without a time left out)",
                activity.undated
            )
        } else {
            String::new()
        }
    ));
    Plot::new("activity by hour")
        .height(120.0)
        .allow_scroll(false)
        .allow_drag(false)
        .x_axis_label("hour")
        .legend(Legend::default())
        .show(ui, |plot| {
            site_bars(plot, activity, 24, |k, h| {
                activity
                    .calls_by_hour
                    .as_ref()
                    .map_or_else(|| activity.by_hour[k][h] as f64, |c| c[k][h])
            });
        });
    ui.label(format!("{what} per date"));
    let dates = activity.dates.clone();
    Plot::new("activity by date")
        .height(120.0)
        .allow_scroll(false)
        .allow_drag(false)
        .x_axis_formatter(move |mark, _| {
            let day = mark.value.round();
            if (mark.value - day).abs() > 1e-6 || day < 0.0 {
                return String::new();
            }
            dates
                .get(day as usize)
                .map_or_else(String::new, |d| d.format("%m-%d").to_string())
        })
        .legend(Legend::default())
        .show(ui, |plot| {
            site_bars(plot, activity, activity.dates.len(), |k, d| {
                activity
                    .calls_by_date
                    .as_ref()
                    .map_or_else(|| activity.by_date[k][d] as f64, |c| c[k][d])
            });
        });
}

/// One bar chart per site over `cells` cells (hours, dates), side by side within each cell,
/// a colour per site; `value(site, cell)` is the bar's height.
fn site_bars(
    plot: &mut egui_plot::PlotUi<'_>,
    activity: &Activity,
    cells: usize,
    value: impl Fn(usize, usize) -> f64,
) {
    let width = 0.8 / activity.sites.len().max(1) as f64;
    for (k, site) in activity.sites.iter().enumerate() {
        let bars = (0..cells)
            .map(|cell| {
                Bar::new(cell as f64 - 0.4 + (k as f64 + 0.5) * width, value(k, cell)).width(width)
            })
            .collect();
        let colour = crate::gui::theme::CLASSES[k % crate::gui::theme::CLASSES.len()];
        plot.bar_chart(BarChart::new(site.clone(), bars).color(colour));
    }
}
