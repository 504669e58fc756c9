//! What a training iteration changed, without a full review: two runs over the same recordings
//! compared detection by detection (kept, gained, lost; matched by the event rule, as
//! `syrinx compare` matches tables), the verdicts the earlier run's review already gave the
//! lost ones, and each model's event figures on its fully annotated test recordings. The
//! Iterations table and the Review tab's "Compare with" show these; `syrinx compare` is the
//! same matcher over exported tables.

use std::collections::BTreeSet;
use std::path::Path;

use crate::annotation::SelectionKind;
use crate::metrics::EventMetrics;
use crate::model::ModelInfo;
use crate::model::artifact::DatasetManifest;
use crate::project::runs::{DetectionRef, DetectionRun, Verdict};
use crate::project::{Project, ProjectRecording};

use super::ScoredSpan;

/// What `after` changed against `before` over the recordings both scored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunChange {
    pub before_run: u32,
    pub after_run: u32,
    /// Recordings both runs scored.
    pub recordings: usize,
    /// Detections of both: `(in before, in after)`.
    pub kept: Vec<(DetectionRef, DetectionRef)>,
    /// Detections only `after` makes (refs into `after`).
    pub gained: Vec<DetectionRef>,
    /// Detections only `before` made (refs into `before`).
    pub lost: Vec<DetectionRef>,
}

/// How many detections of a list have each verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerdictTally {
    pub true_positives: usize,
    pub false_positives: usize,
    pub unsure: usize,
    pub unreviewed: usize,
}

impl VerdictTally {
    /// The verdicts of `refs` in `run`.
    #[must_use]
    pub fn of(run: &DetectionRun, refs: impl IntoIterator<Item = DetectionRef>) -> Self {
        let mut tally = Self::default();
        for at in refs {
            match run.get(at).and_then(|d| d.verdict) {
                Some(Verdict::TruePositive) => tally.true_positives += 1,
                Some(Verdict::FalsePositive) => tally.false_positives += 1,
                Some(Verdict::Unsure) => tally.unsure += 1,
                None => tally.unreviewed += 1,
            }
        }
        tally
    }

    /// "2 false positives, 1 call, 3 not reviewed" (the non-zero parts; empty when none).
    #[must_use]
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let mut part = |n: usize, one: &str, many: &str| {
            if n > 0 {
                parts.push(format!("{n} {}", if n == 1 { one } else { many }));
            }
        };
        part(self.false_positives, "false positive", "false positives");
        part(self.true_positives, "call", "calls");
        part(self.unsure, "unsure", "unsure");
        part(self.unreviewed, "not reviewed", "not reviewed");
        parts.join(", ")
    }
}

impl RunChange {
    /// The lost detections' verdicts in the earlier run: false positives lost are the gain of
    /// an iteration, calls lost its cost.
    #[must_use]
    pub fn lost_verdicts(&self, before: &DetectionRun) -> VerdictTally {
        VerdictTally::of(before, self.lost.iter().copied())
    }

    /// The gained detections' verdicts (in the later run; none until reviewed).
    #[must_use]
    pub fn gained_verdicts(&self, after: &DetectionRun) -> VerdictTally {
        VerdictTally::of(after, self.gained.iter().copied())
    }

    /// The kept detections still unreviewed in `after` whose match in `before` has a verdict,
    /// with that verdict: what carrying the earlier review over would set.
    #[must_use]
    pub fn verdicts_to_carry(
        &self,
        before: &DetectionRun,
        after: &DetectionRun,
    ) -> Vec<(DetectionRef, Verdict)> {
        self.kept
            .iter()
            .filter(|(_, a)| after.get(*a).is_some_and(|d| d.verdict.is_none()))
            .filter_map(|(b, a)| Some((*a, before.get(*b)?.verdict?)))
            .collect()
    }

    /// "30 kept, 1 gained, 4 lost (2 false positives, 2 calls)".
    #[must_use]
    pub fn describe(&self, before: &DetectionRun) -> String {
        let lost = self.lost_verdicts(before).describe();
        format!(
            "{} kept, {} gained, {} lost{}",
            self.kept.len(),
            self.gained.len(),
            self.lost.len(),
            if lost.is_empty() {
                String::new()
            } else {
                format!(" ({lost})")
            }
        )
    }
}

/// [`RunChange`] of `after` against `before`: on each recording both scored, the detections
/// paired by the event rule (overlap, or centres within `tolerance_secs`; each earlier
/// detection once, best-scoring later ones first), as [`super::diff_runs`] pairs them.
#[must_use]
pub fn compare_runs(before: &DetectionRun, after: &DetectionRun, tolerance_secs: f64) -> RunChange {
    let mut change = RunChange {
        before_run: before.id,
        after_run: after.id,
        ..RunChange::default()
    };
    for (after_idx, a) in after.recordings.iter().enumerate() {
        let Some(before_idx) = before
            .recordings
            .iter()
            .position(|b| b.recording == a.recording)
        else {
            continue;
        };
        change.recordings += 1;
        let spans = |part: &crate::project::runs::RecordingDetections| -> Vec<ScoredSpan> {
            part.detections
                .iter()
                .map(|d| ScoredSpan::from(&d.detection))
                .collect()
        };
        let diff = super::diff_runs(
            &spans(&before.recordings[before_idx]),
            &spans(a),
            tolerance_secs,
        );
        let at_before = |detection_idx| DetectionRef {
            recording_idx: before_idx,
            detection_idx,
        };
        let at_after = |detection_idx| DetectionRef {
            recording_idx: after_idx,
            detection_idx,
        };
        change
            .kept
            .extend(diff.kept.iter().map(|(b, a)| (at_before(*b), at_after(*a))));
        change
            .gained
            .extend(diff.gained.iter().map(|a| at_after(*a)));
        change.lost.extend(diff.lost.iter().map(|b| at_before(*b)));
    }
    change
}

/// The earlier run to compare `after` with: among `candidates` with its label, the one
/// sharing most scored recordings with it (the newest of equals); `None` when none shares one.
#[must_use]
pub fn counterpart<'a>(
    after: &DetectionRun,
    candidates: impl IntoIterator<Item = &'a DetectionRun>,
) -> Option<&'a DetectionRun> {
    let mine: BTreeSet<_> = after.recordings.iter().map(|r| r.recording).collect();
    candidates
        .into_iter()
        .filter(|r| r.id != after.id && r.label == after.label)
        .map(|r| {
            let shared = r
                .recordings
                .iter()
                .filter(|p| mine.contains(&p.recording))
                .count();
            (shared, r.id, r)
        })
        .filter(|(shared, _, _)| *shared > 0)
        .max_by_key(|(shared, id, _)| (*shared, *id))
        .map(|(_, _, r)| r)
}

/// Whether `recording` was in a model's test split: its group (its name unless grouped) is a
/// test group of the model's dataset manifest; a model without a manifest entry for it goes
/// by the recording's own split.
#[must_use]
pub fn is_test_recording(manifest: &DatasetManifest, recording: &ProjectRecording) -> bool {
    let group = recording.group.clone().unwrap_or_else(|| recording.name());
    match manifest.groups.iter().find(|g| g.0 == group) {
        Some(g) => g.1 == crate::project::Split::Test.name(),
        None => recording.split == crate::project::Split::Test,
    }
}

/// Event figures of `run`'s detections at its threshold on the recordings it scored that are
/// fully annotated and pass `keep`, against their Positive selections (the matcher of
/// `syrinx evaluate`); `None` when no such recording was scored. From the detections the run
/// holds: no score file is read.
#[must_use]
pub fn run_figures(
    project: &Project,
    run: &DetectionRun,
    tolerance_secs: f64,
    keep: impl Fn(&ProjectRecording) -> bool,
) -> Option<(usize, EventMetrics)> {
    let mut total = EventMetrics {
        threshold: run.merge.threshold,
        ..EventMetrics::default()
    };
    let mut audio_secs = 0.0;
    let mut recordings = 0;
    for part in &run.recordings {
        let Some(recording) = project
            .recording(part.recording)
            .filter(|r| r.fully_annotated && keep(r))
        else {
            continue;
        };
        let references: Vec<(f64, f64)> = project
            .selections
            .of_recording(part.recording)
            .filter(|s| s.kind == SelectionKind::Positive && s.label == run.label)
            .map(|s| (s.start_secs, s.end_secs))
            .collect();
        let spans: Vec<ScoredSpan> = part
            .detections
            .iter()
            .map(|d| ScoredSpan::from(&d.detection))
            .collect();
        total.add_counts(&super::evaluate(
            &spans,
            &references,
            tolerance_secs,
            f32::NEG_INFINITY,
            recording.duration_secs,
        ));
        audio_secs += recording.duration_secs;
        recordings += 1;
    }
    (recordings > 0).then(|| (recordings, super::rates(total, audio_secs)))
}

/// One model's row of the Iterations table, beyond what training measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IterationFigures {
    /// On the fully annotated recordings of the model's test split its runs scored: (run,
    /// recordings, figures), from the run covering most of them.
    pub test: Option<(u32, usize, EventMetrics)>,
    /// The model's newest run against the previous model's run over the most shared recordings.
    pub change: Option<RunChange>,
}

/// [`IterationFigures`] of each model of `models` (in iteration order, each with its
/// description when it could be read): a model's runs are those made with its folder.
#[must_use]
pub fn iteration_figures(
    project: &Project,
    models: &[(&Path, Option<&ModelInfo>)],
    tolerance_secs: f64,
) -> Vec<IterationFigures> {
    // A model's answer is its runs at its own threshold (runs at another one, made to draw a
    // calibration sample or to look further, are compared only when there is no other).
    let runs_of = |(dir, info): &(&Path, Option<&ModelInfo>)| -> Vec<&DetectionRun> {
        let all: Vec<&DetectionRun> = project
            .detection_runs
            .iter()
            .filter(|r| r.model_dir == *dir)
            .collect();
        let own: Vec<&DetectionRun> = all
            .iter()
            .copied()
            .filter(|r| info.is_none_or(|i| (r.merge.threshold - i.threshold).abs() < 1e-6))
            .collect();
        if own.is_empty() { all } else { own }
    };
    models
        .iter()
        .enumerate()
        .map(|(i, model)| {
            let runs = runs_of(model);
            let info = model.1;
            let test = info.and_then(|info| {
                runs.iter()
                    .filter_map(|run| {
                        let (n, m) = run_figures(project, run, tolerance_secs, |r| {
                            is_test_recording(&info.manifest, r)
                        })?;
                        Some((run.id, n, m))
                    })
                    .max_by_key(|(id, n, _)| (*n, *id))
            });
            let previous = i
                .checked_sub(1)
                .map(|p| runs_of(&models[p]))
                .unwrap_or_default();
            let change = runs.iter().rev().find_map(|after| {
                let before = counterpart(after, previous.iter().copied())?;
                Some(compare_runs(before, after, tolerance_secs))
            });
            IterationFigures { test, change }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::annotation::{ProjectRecordingId, Selection};
    use crate::project::fixtures::{recording, run};

    /// Ten one-second windows scoring high where `calls` says (a detection each).
    fn scores(calls: &[usize]) -> Vec<f32> {
        (0..10)
            .map(|i| if calls.contains(&i) { 0.9 } else { 0.1 })
            .collect()
    }

    fn model_run(id: u32, model: &str, recording: u32, calls: &[usize]) -> DetectionRun {
        let mut r = run(id, recording, scores(calls));
        r.model_dir = PathBuf::from(model);
        r.model_id = model.to_owned();
        r
    }

    fn at(detection_idx: usize) -> DetectionRef {
        DetectionRef {
            recording_idx: 0,
            detection_idx,
        }
    }

    #[test]
    fn a_later_run_keeps_gains_and_loses_detections_with_the_earlier_verdicts() {
        let mut before = model_run(1, "/m1", 0, &[2, 6]);
        before.set_verdict(at(0), Some(Verdict::TruePositive));
        before.set_verdict(at(1), Some(Verdict::FalsePositive));
        let after = model_run(2, "/m2", 0, &[2, 8]);
        let change = compare_runs(&before, &after, 0.5);
        assert_eq!(change.recordings, 1);
        assert_eq!(change.kept, vec![(at(0), at(0))]);
        assert_eq!(change.gained, vec![at(1)], "the call at 8 s is new");
        assert_eq!(
            change.lost,
            vec![at(1)],
            "the false positive at 6 s is gone"
        );
        let lost = change.lost_verdicts(&before);
        assert_eq!((lost.false_positives, lost.true_positives), (1, 0));
        assert_eq!(change.gained_verdicts(&after).unreviewed, 1);
        assert_eq!(
            change.verdicts_to_carry(&before, &after),
            vec![(at(0), Verdict::TruePositive)]
        );
        assert_eq!(
            change.describe(&before),
            "1 kept, 1 gained, 1 lost (1 false positive)"
        );
    }

    #[test]
    fn a_verdict_already_given_in_the_later_run_is_not_carried_over() {
        let mut before = model_run(1, "/m1", 0, &[2]);
        before.set_verdict(at(0), Some(Verdict::FalsePositive));
        let mut after = model_run(2, "/m2", 0, &[2]);
        after.set_verdict(at(0), Some(Verdict::TruePositive));
        let change = compare_runs(&before, &after, 0.5);
        assert!(change.verdicts_to_carry(&before, &after).is_empty());
    }

    #[test]
    fn runs_over_other_recordings_share_nothing() {
        let before = model_run(1, "/m1", 0, &[2, 6]);
        let after = model_run(2, "/m2", 1, &[2]);
        let change = compare_runs(&before, &after, 0.5);
        assert_eq!(change.recordings, 0);
        assert!(change.kept.is_empty() && change.gained.is_empty() && change.lost.is_empty());
        assert!(counterpart(&after, [&before]).is_none());
    }

    #[test]
    fn the_counterpart_is_the_run_of_the_same_label_sharing_most_recordings() {
        let after = {
            let mut r = model_run(5, "/m2", 0, &[2]);
            r.add_scores(
                ProjectRecordingId(1),
                crate::detect::WindowScores {
                    window_secs: 1.0,
                    start_secs: (0..10).map(f64::from).collect(),
                    scores: scores(&[3]),
                    envelope: None,
                },
            );
            r
        };
        let one = model_run(1, "/m1", 0, &[2]);
        let mut both = after.clone();
        both.id = 2;
        let mut other_label = after.clone();
        other_label.id = 3;
        other_label.label = "other".to_owned();
        let newer_one = model_run(4, "/m1", 1, &[2]);
        let found = counterpart(&after, [&one, &both, &other_label, &newer_one]);
        assert_eq!(found.map(|r| r.id), Some(2));
        let found = counterpart(&after, [&one, &newer_one]);
        assert_eq!(found.map(|r| r.id), Some(4), "the newest of equals");
    }

    fn positive(id: u64, recording: u32, start_secs: f64) -> Selection {
        Selection {
            id: crate::annotation::SelectionId(id),
            recording: ProjectRecordingId(recording),
            start_secs,
            end_secs: start_secs + 1.0,
            low_hz: 0.0,
            high_hz: 5000.0,
            label: "call".to_owned(),
            kind: SelectionKind::Positive,
            extra: std::collections::BTreeMap::new(),
        }
    }

    #[test]
    fn run_figures_count_calls_on_fully_annotated_recordings_only() {
        let mut project = Project::default();
        let mut annotated = recording(0, "/data/SITE5_a.wav");
        annotated.fully_annotated = true;
        project.recordings.push(annotated);
        project.recordings.push(recording(1, "/data/SITE7_b.wav"));
        project
            .selections
            .apply(&crate::annotation::Edit::Insert(vec![
                positive(1, 0, 2.0),
                positive(2, 0, 8.0),
                positive(3, 1, 4.0),
            ]));
        let mut r = model_run(1, "/m1", 0, &[2, 6]);
        r.add_scores(
            ProjectRecordingId(1),
            crate::detect::WindowScores {
                window_secs: 1.0,
                start_secs: (0..10).map(f64::from).collect(),
                scores: scores(&[1]),
                envelope: None,
            },
        );
        let (recordings, m) = run_figures(&project, &r, 0.5, |_| true).expect("one annotated");
        assert_eq!(
            recordings, 1,
            "the unannotated recording says nothing of misses"
        );
        assert_eq!(
            (m.true_positives, m.false_positives, m.false_negatives),
            (1, 1, 1)
        );
        assert!((m.false_positives_per_hour - 60.0).abs() < 1e-9);
        assert!(run_figures(&project, &r, 0.5, |rec| rec.name().starts_with("SITE6")).is_none());
    }

    #[test]
    fn test_recordings_are_those_the_manifest_put_in_the_test_split() {
        let manifest = DatasetManifest {
            groups: vec![
                ("SITE5".to_owned(), "test".to_owned(), 1, 1),
                ("b".to_owned(), "train".to_owned(), 1, 1),
            ],
            ..DatasetManifest::default()
        };
        let mut grouped = recording(0, "/data/x.wav");
        grouped.group = Some("SITE5".to_owned());
        assert!(is_test_recording(&manifest, &grouped));
        let trained = recording(1, "/data/b.wav");
        assert!(!is_test_recording(&manifest, &trained));
        let mut pinned = recording(2, "/data/new.wav");
        assert!(!is_test_recording(&manifest, &pinned));
        pinned.split = crate::project::Split::Test;
        assert!(
            is_test_recording(&manifest, &pinned),
            "not in the manifest: its own split"
        );
    }

    #[test]
    fn a_models_runs_at_its_own_threshold_are_its_answer() {
        let device = crate::model::ComputeDevice::Cpu.device().expect("cpu");
        let info = |threshold| {
            let mut info = crate::model::ModelArtifact::untrained(
                crate::model::NetworkConfig::default(),
                crate::dsp::ModelInputSpec::default(),
                &device,
            )
            .info;
            info.threshold = threshold;
            info
        };
        let (first, second) = (info(0.5), info(0.5));
        let mut project = Project::default();
        project.recordings.push(recording(0, "/data/a.wav"));
        project.add_run(model_run(1, "/m1", 0, &[2, 6]));
        project.add_run(model_run(2, "/m2", 0, &[2]));
        // Model 1 again, newer, lower: a sample for calibration, not model 1's answer.
        let mut low = model_run(3, "/m1", 0, &[2, 4, 6, 8]);
        low.merge.threshold = 0.2;
        project.add_run(low);
        let models = [
            (Path::new("/m1"), Some(&first)),
            (Path::new("/m2"), Some(&second)),
        ];
        let figures = iteration_figures(&project, &models, 0.5);
        let change = figures[1].change.as_ref().expect("compared");
        assert_eq!(change.before_run, 1, "not the newer run at 0.2");
        assert_eq!((change.gained.len(), change.lost.len()), (0, 1));
        // Without a description every run counts: the newest sharing most.
        let blind = iteration_figures(
            &project,
            &[(Path::new("/m1"), None), (Path::new("/m2"), None)],
            0.5,
        );
        assert_eq!(blind[1].change.as_ref().map(|c| c.before_run), Some(3));
    }

    #[test]
    fn each_model_is_compared_with_the_previous_ones_run() {
        let mut project = Project::default();
        project.recordings.push(recording(0, "/data/a.wav"));
        let mut first = model_run(1, "/m1", 0, &[2, 6]);
        first.set_verdict(at(1), Some(Verdict::FalsePositive));
        project.add_run(first);
        project.add_run(model_run(2, "/m2", 0, &[2]));
        let models = [(Path::new("/m1"), None), (Path::new("/m2"), None)];
        let figures = iteration_figures(&project, &models, 0.5);
        assert_eq!(figures.len(), 2);
        assert!(
            figures[0].change.is_none(),
            "the first model has no previous one"
        );
        let change = figures[1].change.as_ref().expect("compared with model 1");
        assert_eq!((change.before_run, change.after_run), (1, 2));
        let before = project.run(1).expect("run 1");
        assert_eq!(change.lost_verdicts(before).false_positives, 1);
    }
}
