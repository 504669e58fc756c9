//! What the reviewed run changed against an earlier model's run over the same recordings
//! (`evaluate::iterations`): the counts, the lost detections with the verdicts the earlier
//! review gave them, the earlier verdicts carried to the kept detections, and a queue of only
//! the gained ones to review. The lost ones are drawn on the spectrogram, dashed.

use eframe::egui;

use crate::evaluate::iterations::{RunChange, compare_runs, counterpart};
use crate::gui::spectrogram_view::{DetectionView, IterationChange};
use crate::gui::workbench::Workbench;
use crate::project::runs::{DetectionRef, DetectionRun};
use crate::project::{Project, ProjectChange};
use crate::util::timefmt::format_time_secs;

use super::{ReviewAction, ReviewState};

/// What a comparison was computed from: (earlier run, its detections and reviewed ones, later
/// run, its detections and reviewed ones, both thresholds' bits).
pub(super) type ChangeStamp = (u32, usize, usize, u32, usize, usize, u32, u32);

/// Lost detections listed in the panel (the rest are on the spectrogram).
const LOST_LISTED: usize = 12;

fn stamp_of(before: &DetectionRun, after: &DetectionRun) -> ChangeStamp {
    let (b, a) = (before.counts(), after.counts());
    (
        before.id,
        b.detections,
        b.reviewed(),
        after.id,
        a.detections,
        a.reviewed(),
        before.merge.threshold.to_bits(),
        after.merge.threshold.to_bits(),
    )
}

impl ReviewState {
    /// The run `run` is compared with: the one picked, else the earlier model's run sharing
    /// most recordings with it (runs of the same model are not iterations of it).
    pub(super) fn compared_run<'a>(
        &self,
        project: &'a Project,
        run: &DetectionRun,
    ) -> Option<&'a DetectionRun> {
        if let Some(id) = self.compare_with {
            return project.run(id).filter(|r| r.id != run.id);
        }
        counterpart(
            run,
            project
                .detection_runs
                .iter()
                .filter(|r| r.id < run.id && r.model_id != run.model_id),
        )
    }

    /// The change of `run` against its compared run, computed again only when either changed.
    pub(super) fn change_of(&mut self, project: &Project, run: &DetectionRun) -> Option<RunChange> {
        let before = self.compared_run(project, run)?;
        let stamp = stamp_of(before, run);
        if let Some((s, change)) = &self.change
            && *s == stamp
        {
            return Some(change.clone());
        }
        let change = compare_runs(before, run, self.tolerance_secs);
        self.change = Some((stamp, change.clone()));
        Some(change)
    }

    /// The comparison last computed, when neither run changed since (what the spectrogram
    /// draws: it does not compute one itself).
    pub(super) fn fresh_change(&self, project: &Project, run: &DetectionRun) -> Option<&RunChange> {
        let (stamp, change) = self.change.as_ref()?;
        let before = self.compared_run(project, run)?;
        (*stamp == stamp_of(before, run)).then_some(change)
    }

    /// The gained detections, best score first: the queue of "Review only the differences".
    pub(super) fn differences_queue(
        &mut self,
        project: &Project,
        run: &DetectionRun,
    ) -> Vec<DetectionRef> {
        let Some(change) = self.change_of(project, run) else {
            return Vec::new();
        };
        let mut gained = change.gained;
        let score = |at: &DetectionRef| run.get(*at).map_or(0.0, |d| d.detection.max_score);
        gained.sort_by(|a, b| score(b).total_cmp(&score(a)).then(a.cmp(b)));
        gained
    }

    pub(super) fn changes_ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Project,
        run: &DetectionRun,
        actions: &mut Vec<ReviewAction>,
    ) {
        let before = self.compared_run(project, run);
        ui.horizontal_wrapped(|ui| {
            ui.label("Against");
            let text = before.map_or_else(|| "no earlier run".to_owned(), DetectionRun::name);
            egui::ComboBox::from_id_salt("compare with")
                .selected_text(text)
                .show_ui(ui, |ui| {
                    for r in project
                        .detection_runs
                        .iter()
                        .rev()
                        .filter(|r| r.id != run.id && r.label == run.label)
                    {
                        if ui
                            .selectable_label(before.is_some_and(|b| b.id == r.id), r.name())
                            .clicked()
                        {
                            actions.push(ReviewAction::CompareWith(Some(r.id)));
                        }
                    }
                })
                .response
                .on_hover_text(
                    "An earlier run over the same recordings (by default the previous \
                     model's): what this run kept, gained and lost",
                );
        });
        let (Some(before), Some(change)) = (before, self.change_of(project, run)) else {
            ui.weak("No earlier model's run shares a recording with this run.");
            return;
        };
        if change.recordings == 0 {
            ui.weak("The two runs share no recording.");
            return;
        }
        ui.label(format!(
            "{} shared recording(s): {}",
            change.recordings,
            change.describe(before)
        ))
        .on_hover_text(
            "Matched by the event rule (overlap, or centres within the tolerance of the \
             evaluation below). Lost false positives are what the iteration fixed; lost calls \
             what it broke; gained detections are all there is left to review.",
        );
        let gained = change.gained_verdicts(run);
        ui.horizontal_wrapped(|ui| {
            let mut only = self.differences_only;
            if ui
                .checkbox(
                    &mut only,
                    format!("Review only the {} gained", change.gained.len()),
                )
                .on_hover_text(format!(
                    "The queue holds only the detections this run gained ({} reviewed so far)",
                    change.gained.len() - gained.unreviewed
                ))
                .changed()
            {
                actions.push(ReviewAction::DifferencesOnly(only));
            }
            let carry = change.verdicts_to_carry(before, run).len();
            if carry > 0
                && ui
                    .button(format!("Take {carry} verdict(s) from the earlier run"))
                    .on_hover_text(
                        "Kept detections still unreviewed here get the verdict their match \
                         had in the earlier run (one undo step)",
                    )
                    .clicked()
            {
                actions.push(ReviewAction::CarryVerdicts);
            }
        });
        if change.lost.is_empty() {
            return;
        }
        ui.label("Lost (dashed on the spectrogram):");
        egui::Grid::new("lost detections")
            .striped(true)
            .show(ui, |ui| {
                for (n, at) in change.lost.iter().take(LOST_LISTED).enumerate() {
                    let (Some(d), Some(recording)) = (
                        before.get(*at),
                        before
                            .recording_of(*at)
                            .and_then(|id| project.recording(id)),
                    ) else {
                        continue;
                    };
                    ui.label(recording.name());
                    ui.label(format_time_secs(
                        d.detection.start_secs,
                        recording.duration_secs,
                    ));
                    ui.label(format!("{:.2}", d.detection.max_score));
                    ui.label(d.verdict.map_or("not reviewed", |v| v.name()));
                    if ui.small_button("Show").clicked() {
                        actions.push(ReviewAction::ShowLost(n));
                    }
                    ui.end_row();
                }
            });
        if change.lost.len() > LOST_LISTED {
            ui.weak(format!("and {} more", change.lost.len() - LOST_LISTED));
        }
    }

    /// The compared run's lost detections on `recording` between the times, drawn dashed.
    pub(super) fn lost_views(
        &self,
        project: &Project,
        recording: crate::annotation::ProjectRecordingId,
        start_secs: f64,
        end_secs: f64,
    ) -> Vec<DetectionView> {
        let Some(run) = self.run(project) else {
            return Vec::new();
        };
        let (Some(change), Some(before)) = (
            self.fresh_change(project, run),
            self.compared_run(project, run),
        ) else {
            return Vec::new();
        };
        change
            .lost
            .iter()
            .filter(|at| before.recording_of(**at) == Some(recording))
            .filter_map(|at| before.get(*at))
            .filter(|d| d.detection.end_secs >= start_secs && d.detection.start_secs <= end_secs)
            .map(|d| DetectionView {
                start_secs: d.detection.start_secs,
                end_secs: d.detection.end_secs,
                band_hz: d.detection.band_or(before.band_hz),
                score: d.detection.max_score,
                verdict: d.verdict,
                current: false,
                class: None,
                change: Some(IterationChange::Lost),
            })
            .collect()
    }

    /// Shows the `n`-th lost detection (it belongs to the earlier run, so it is not in the
    /// queue): its recording opened at it.
    pub(super) fn show_lost(&mut self, bench: &mut Workbench, n: usize) {
        let project = &bench.session.document.project;
        let Some(run) = self.run(project) else {
            return;
        };
        let Some(before) = self.compared_run(project, run) else {
            return;
        };
        let Some(change) = self.change.as_ref().map(|(_, c)| c) else {
            return;
        };
        let Some(at) = change.lost.get(n).copied() else {
            return;
        };
        let (Some(d), Some(recording)) = (before.get(at), before.recording_of(at)) else {
            return;
        };
        let (start, end) = (d.detection.start_secs, d.detection.end_secs);
        bench.show_span(recording, start, end);
    }

    /// Gives the kept detections still unreviewed the verdicts of their matches in the earlier
    /// run, as one undo step.
    pub(super) fn carry_verdicts(&mut self, bench: &mut Workbench) {
        let project = &bench.session.document.project;
        let Some(run) = self.run(project) else {
            return;
        };
        let Some(before) = self.compared_run(project, run) else {
            return;
        };
        let change = compare_runs(before, run, self.tolerance_secs);
        let verdicts: Vec<_> = change
            .verdicts_to_carry(before, run)
            .into_iter()
            .map(|(at, verdict)| (at, None, Some(verdict)))
            .collect();
        if verdicts.is_empty() {
            return;
        }
        let text = format!(
            "{} verdict(s) taken from {} (Ctrl+Z undoes).",
            verdicts.len(),
            before.name()
        );
        let run_id = run.id;
        bench.session.document.change_project(
            "take an earlier run's verdicts",
            ProjectChange::Verdicts { run_id, verdicts },
        );
        bench.session.info(text);
    }
}
