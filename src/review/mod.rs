//! Review: what verdicts on a run's detections lead to: false positives turned into Negative
//! selections (with provenance), also from a reviewed table; the missed calls' columns; what
//! the verdicts say about the threshold; and the event-level evaluation of a run. The runs
//! themselves, their verdicts and queue live in the project ([`crate::project::runs`]); what to
//! label next is [`label_next`].

pub mod label_next;

use std::collections::BTreeMap;

use crate::annotation::{ProjectRecordingId, Selection, SelectionId, SelectionKind};
use crate::project::runs::{DetectionRef, DetectionRun, Verdict};
use crate::project::{Project, Split};

/// Extra columns a selection made from review carries (exported with it to Raven and CSV).
pub const SOURCE_COLUMN: &str = "Source";
pub const MODEL_COLUMN: &str = "Model";
pub const SCORE_COLUMN: &str = "Score";
pub const ITERATION_COLUMN: &str = "Iteration";
pub const SOURCE_FILE_COLUMN: &str = "Source File";
pub const SOURCE_TIME_COLUMN: &str = "Source Time (s)";
/// The `Source` of a negative made from a false positive.
pub const FALSE_POSITIVE_SOURCE: &str = "false positive";
/// The `Source` of a positive drawn during review (a call the model missed).
pub const MISSED_CALL_SOURCE: &str = "missed call";
/// The `Source` of a positive made from a detection that is another class than its run's.
pub const RECLASSIFIED_SOURCE: &str = "reclassified";
/// The class a reclassified detection was detected as (its run's label).
pub const DETECTED_AS_COLUMN: &str = "Detected As";

/// The label a false positive's negative gets unless the reviewer picks one: it says what the
/// sound is not, so that counts and exports keep it apart from the target (`not syrinx warbler`).
#[must_use]
pub fn false_positive_label(target: &str) -> String {
    format!("not {target}")
}

/// How false positives become negatives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NegativeOptions {
    /// The label of the new negatives; `None`: [`false_positive_label`] of the run's label.
    pub label: Option<String>,
    /// Also turn false positives in test-split recordings into negatives. Off by default: test
    /// recordings are never trained on, so there they would only change what the test counts;
    /// their verdicts stay in the run for evaluation.
    pub include_test: bool,
}

impl NegativeOptions {
    /// The label for false positives of `target`: the one asked for, else `not <target>`.
    fn label_for(&self, target: &str) -> String {
        self.label
            .clone()
            .filter(|l| !l.trim().is_empty())
            .unwrap_or_else(|| false_positive_label(target))
    }
}

/// A false positive, wherever it was marked (Review, or a reviewed table).
struct FalsePositive<'a> {
    recording: &'a crate::project::ProjectRecording,
    start_secs: f64,
    end_secs: f64,
    /// `None`: the recording's whole band.
    band_hz: Option<(f64, f64)>,
    score: Option<f64>,
    model: Option<&'a str>,
    iteration: Option<u32>,
}

impl FalsePositive<'_> {
    /// The Negative selection made of it: cut to the recording, over its band (clamped to the
    /// recording's; the whole band when there is none), with its provenance as columns.
    fn negative(&self, id: SelectionId, label: String) -> Selection {
        let nyquist_hz = self.recording.nyquist_hz();
        let (low_hz, high_hz) = self
            .band_hz
            .map(|(low, high)| (low.clamp(0.0, nyquist_hz), high.clamp(0.0, nyquist_hz)))
            .filter(|(low, high)| low < high)
            .unwrap_or((0.0, nyquist_hz));
        let mut extra = BTreeMap::from([
            (SOURCE_COLUMN.to_owned(), FALSE_POSITIVE_SOURCE.to_owned()),
            (SOURCE_FILE_COLUMN.to_owned(), self.recording.name()),
            (
                SOURCE_TIME_COLUMN.to_owned(),
                format!("{:.3}", self.start_secs),
            ),
        ]);
        if let Some(score) = self.score {
            extra.insert(SCORE_COLUMN.to_owned(), format!("{score:.4}"));
        }
        if let Some(model) = self.model {
            extra.insert(MODEL_COLUMN.to_owned(), model.to_owned());
        }
        if let Some(iteration) = self.iteration {
            extra.insert(ITERATION_COLUMN.to_owned(), iteration.to_string());
        }
        Selection {
            id,
            recording: self.recording.id,
            start_secs: self.start_secs,
            end_secs: self.end_secs.min(self.recording.duration_secs),
            low_hz,
            high_hz,
            label,
            kind: SelectionKind::Negative,
            extra,
        }
    }
}

/// Negative selections to add for a run's false positives.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NegativesPlan {
    /// New Negative selections (fresh ids), one per false positive not added before.
    pub selections: Vec<Selection>,
    /// The detection each selection came from.
    pub sources: Vec<DetectionRef>,
    /// Test-split recordings whose false positives are kept for evaluation only (or, with
    /// `include_test`, that negatives come from).
    pub test_recordings: Vec<String>,
    /// False positives in test-split recordings left out (kept for evaluation only).
    pub test_false_positives: usize,
}

impl NegativesPlan {
    /// `(selection, the detection it came from)`, for [`DetectionRun::mark_negatives`].
    pub fn made(&self) -> impl Iterator<Item = (SelectionId, DetectionRef)> + '_ {
        self.selections
            .iter()
            .map(|s| s.id)
            .zip(self.sources.iter().copied())
    }
}

/// Makes a Negative selection for every `FalsePositive` verdict of `run` that has none yet:
/// the detection's time, the model's calls' band when the run knows it (else the recording's
/// whole band), labelled as `options` says, and carrying its provenance (source, model, score,
/// iteration, file and time) as columns. Test-split recordings are left out unless
/// `options.include_test`.
#[must_use]
pub fn plan_false_positive_negatives(
    project: &Project,
    run: &DetectionRun,
    options: &NegativeOptions,
) -> NegativesPlan {
    let mut plan = NegativesPlan::default();
    let label = options.label_for(&run.label);
    // Consecutive fresh ids (the panel calls this every frame: no copy of the selections).
    let first_id = project.selections.next_free_id().0;
    for (recording_idx, part) in run.recordings.iter().enumerate() {
        let Some(recording) = project.recording(part.recording) else {
            continue;
        };
        let is_test = recording.split == Split::Test;
        for (detection_idx, d) in part.detections.iter().enumerate() {
            let already = d
                .negative
                .is_some_and(|id| project.selections.get(id).is_some());
            if d.verdict != Some(Verdict::FalsePositive) || already {
                continue;
            }
            if is_test && !plan.test_recordings.contains(&recording.name()) {
                plan.test_recordings.push(recording.name());
            }
            if is_test && !options.include_test {
                plan.test_false_positives += 1;
                continue;
            }
            let false_positive = FalsePositive {
                recording,
                start_secs: d.detection.start_secs,
                end_secs: d.detection.end_secs,
                band_hz: d.detection.band_or(run.band_hz),
                score: Some(f64::from(d.detection.max_score)),
                model: Some(&run.model_id),
                iteration: Some(run.iteration),
            };
            let id = SelectionId(first_id + plan.selections.len() as u64);
            plan.selections
                .push(false_positive.negative(id, label.clone()));
            plan.sources.push(DetectionRef {
                recording_idx,
                detection_idx,
            });
        }
    }
    plan
}

/// The classes a detection of `run` can be said to be instead: the project's positive labels
/// (of its label set and of its Positive selections) other than the run's, in name order.
#[must_use]
pub fn other_classes(project: &Project, run: &DetectionRun) -> Vec<String> {
    let mut labels: Vec<String> = project
        .labels
        .iter()
        .filter(|l| l.kind == SelectionKind::Positive)
        .map(|l| l.name.clone())
        .chain(project.positive_label_counts().into_iter().map(|(l, _)| l))
        .filter(|l| *l != run.label && !l.trim().is_empty())
        .collect();
    labels.sort();
    labels.dedup();
    labels
}

/// The Positive selection of `label` made from detection `at` of `run` ("this is species B,
/// not A"): the detection's time, the band of the project's `label` positives (else the run's
/// band, else the recording's whole band), with its provenance as columns (source, the class
/// it was detected as, model, score, iteration, file and time). `None` when the detection or
/// its recording is gone. Applied with [`crate::project::ProjectChange::Reclassified`], which
/// makes the detection a false positive of its run, with no negative made for it: in a
/// multi-class model the new positive already says "not A".
#[must_use]
pub fn plan_reclassified(
    project: &Project,
    run: &DetectionRun,
    at: DetectionRef,
    label: &str,
) -> Option<Selection> {
    let detection = &run.get(at)?.detection;
    let recording = project.recording(run.recording_of(at)?)?;
    let mut extra = BTreeMap::from([
        (MODEL_COLUMN.to_owned(), run.model_id.clone()),
        (ITERATION_COLUMN.to_owned(), run.iteration.to_string()),
    ]);
    extra.extend(reclassified_columns(
        &run.label,
        Some(f64::from(detection.max_score)),
        recording,
        detection.start_secs,
    ));
    Some(Selection {
        id: project.selections.next_free_id(),
        recording: recording.id,
        start_secs: detection.start_secs,
        end_secs: detection.end_secs.min(recording.duration_secs),
        extra,
        ..reclassified_box(project, recording, label, run.band_hz)
    })
}

/// A Positive `label` selection's band and label on `recording`, for a detection that is
/// `label`: the band of the project's `label` positives (else `fallback_hz`, else the
/// recording's whole band), clamped to the recording's.
fn reclassified_box(
    project: &Project,
    recording: &crate::project::ProjectRecording,
    label: &str,
    fallback_hz: Option<(f64, f64)>,
) -> Selection {
    let nyquist_hz = recording.nyquist_hz();
    let label_band = project
        .selections
        .items()
        .iter()
        .filter(|s| s.kind == SelectionKind::Positive && s.label == label)
        .fold(None, |band: Option<(f64, f64)>, s| {
            Some(band.map_or((s.low_hz, s.high_hz), |(low, high)| {
                (low.min(s.low_hz), high.max(s.high_hz))
            }))
        });
    let (low_hz, high_hz) = label_band
        .or(fallback_hz)
        .map(|(low, high)| (low.clamp(0.0, nyquist_hz), high.clamp(0.0, nyquist_hz)))
        .filter(|(low, high)| low < high)
        .unwrap_or((0.0, nyquist_hz));
    Selection {
        id: SelectionId(0),
        recording: recording.id,
        start_secs: 0.0,
        end_secs: 0.0,
        low_hz,
        high_hz,
        label: label.to_owned(),
        kind: SelectionKind::Positive,
        extra: BTreeMap::new(),
    }
}

/// The provenance of a reclassified detection: source, the class it was detected as, its
/// score, file and time.
fn reclassified_columns(
    detected_as: &str,
    score: Option<f64>,
    recording: &crate::project::ProjectRecording,
    start_secs: f64,
) -> BTreeMap<String, String> {
    let mut extra = BTreeMap::from([
        (SOURCE_COLUMN.to_owned(), RECLASSIFIED_SOURCE.to_owned()),
        (DETECTED_AS_COLUMN.to_owned(), detected_as.to_owned()),
        (SOURCE_FILE_COLUMN.to_owned(), recording.name()),
        (SOURCE_TIME_COLUMN.to_owned(), format!("{start_secs:.3}")),
    ]);
    if let Some(score) = score {
        extra.insert(SCORE_COLUMN.to_owned(), format!("{score:.4}"));
    }
    extra
}

/// The class a reviewed table's verdict names instead of the row's own (`rise`, `is rise`),
/// when it is one of `labels` (case ignored) and not `row_label`.
fn named_class<'a>(verdict: &str, row_label: &str, labels: &'a [String]) -> Option<&'a String> {
    let text = verdict.trim();
    let text = text
        .strip_prefix("is ")
        .or_else(|| text.strip_prefix("Is "))
        .unwrap_or(text)
        .trim();
    labels
        .iter()
        .find(|l| l.eq_ignore_ascii_case(text) && !l.eq_ignore_ascii_case(row_label))
}

/// Reads a verdict as tables hold it: `FalsePositive` (as Syrinx writes it), `false_positive`,
/// `false positive`, `fp`; the same for true positives and `unsure`. Case is ignored.
#[must_use]
pub fn parse_verdict(text: &str) -> Option<Verdict> {
    let squeezed: String = text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    match squeezed.as_str() {
        "falsepositive" | "fp" | "false" | "no" => Some(Verdict::FalsePositive),
        "truepositive" | "tp" | "true" | "yes" => Some(Verdict::TruePositive),
        "unsure" | "u" | "maybe" => Some(Verdict::Unsure),
        _ => None,
    }
}

/// What a reviewed detection table gives: negatives for its false positives, and the rows that
/// could not be placed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableNegatives {
    /// New selections: Negatives of false positives, and Positives of the rows whose verdict
    /// names another class.
    pub selections: Vec<Selection>,
    /// Of `selections`, the Positives of another class.
    pub reclassified: usize,
    /// Rows already in the project as selections (left out).
    pub already: usize,
    /// Test-split rows kept for evaluation only (see [`NegativeOptions::include_test`]).
    pub test_false_positives: usize,
    /// `line: why` of rows left out.
    pub problems: Vec<String>,
}

/// The command line's Review ▸ Add false positives to negatives: every row of a detection table
/// (as `syrinx detect` writes it) whose verdict column says false positive becomes a Negative
/// selection over the row's time and band, labelled as `options` says (default `not <row
/// label>`) and carrying the same provenance columns; a row whose verdict names another of the
/// project's positive labels (`rise`, `is rise`: "species B, not A") becomes a Positive
/// selection of it, as Review's "Another class" makes. Rows go to the recording they name,
/// else to `default`.
#[must_use]
pub fn plan_table_false_positives(
    project: &Project,
    rows: &[crate::annotation::TableRow],
    default: Option<ProjectRecordingId>,
    model: Option<&str>,
    options: &NegativeOptions,
) -> TableNegatives {
    let mut out = TableNegatives::default();
    let first_id = project.selections.next_free_id().0;
    let labels: Vec<String> = project
        .labels
        .iter()
        .filter(|l| l.kind == SelectionKind::Positive)
        .map(|l| l.name.clone())
        .chain(project.positive_label_counts().into_iter().map(|(l, _)| l))
        .collect();
    for row in rows {
        let verdict = row.verdict.as_deref().unwrap_or("");
        let other = named_class(verdict, &row.label, &labels);
        if other.is_none() && parse_verdict(verdict) != Some(Verdict::FalsePositive) {
            continue;
        }
        let Some(target) = project.import_target(row, default) else {
            out.problems.push(format!(
                "line {}: its recording is not in the project{}",
                row.line,
                row.file
                    .as_ref()
                    .map_or_else(String::new, |f| format!(" ({})", f.name))
            ));
            continue;
        };
        let Some(recording) = project.recording(target.recording) else {
            continue;
        };
        if let Some(label) = other {
            // "Species B, not A": a positive of B (test recordings too: it corrects their
            // truth, and they are never trained on).
            let end_secs = row.end_secs.min(recording.duration_secs);
            let already = project.selections.of_recording(recording.id).any(|s| {
                s.kind == SelectionKind::Positive
                    && s.label == *label
                    && (s.start_secs - row.start_secs).abs() < 1e-3
                    && (s.end_secs - end_secs).abs() < 1e-3
            });
            if already {
                out.already += 1;
            } else if row.start_secs < end_secs {
                let mut extra =
                    reclassified_columns(&row.label, row.score, recording, row.start_secs);
                if let Some(model) = model {
                    extra.insert(MODEL_COLUMN.to_owned(), model.to_owned());
                }
                let band = row.low_hz.zip(row.high_hz);
                out.selections.push(Selection {
                    id: SelectionId(first_id + out.selections.len() as u64),
                    start_secs: row.start_secs,
                    end_secs,
                    extra,
                    ..reclassified_box(project, recording, label, band)
                });
                out.reclassified += 1;
            } else {
                out.problems.push(format!(
                    "line {}: it starts after the recording ends",
                    row.line
                ));
            }
            continue;
        }
        if recording.split == Split::Test && !options.include_test {
            out.test_false_positives += 1;
            continue;
        }
        let end_secs = row.end_secs.min(recording.duration_secs);
        let already = project.selections.of_recording(recording.id).any(|s| {
            s.kind == SelectionKind::Negative
                && s.extra.get(SOURCE_COLUMN).map(String::as_str) == Some(FALSE_POSITIVE_SOURCE)
                && (s.start_secs - row.start_secs).abs() < 1e-3
                && (s.end_secs - end_secs).abs() < 1e-3
        });
        if already {
            out.already += 1;
            continue;
        }
        if row.start_secs >= end_secs {
            out.problems.push(format!(
                "line {}: it starts after the recording ends",
                row.line
            ));
            continue;
        }
        let false_positive = FalsePositive {
            recording,
            start_secs: row.start_secs,
            end_secs,
            band_hz: Some((
                row.low_hz.unwrap_or(0.0),
                row.high_hz.unwrap_or(f64::INFINITY),
            )),
            score: row.score,
            model,
            iteration: None,
        };
        let id = SelectionId(first_id + out.selections.len() as u64);
        out.selections
            .push(false_positive.negative(id, options.label_for(&row.label)));
    }
    out
}

/// A Positive selection for a call the model missed, drawn during review of `run`.
#[must_use]
pub fn missed_call_columns(run: &DetectionRun) -> BTreeMap<String, String> {
    BTreeMap::from([
        (SOURCE_COLUMN.to_owned(), MISSED_CALL_SOURCE.to_owned()),
        (MODEL_COLUMN.to_owned(), run.model_id.clone()),
        (ITERATION_COLUMN.to_owned(), run.iteration.to_string()),
    ])
}

/// Scores of reviewed detections and what they say about thresholds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ThresholdEvidence {
    pub true_positive_scores: Vec<f32>,
    pub false_positive_scores: Vec<f32>,
    /// `(threshold, precision, true positives kept)` from the verdicts, thresholds ascending.
    pub precision_curve: Vec<(f32, f64, usize)>,
}

impl ThresholdEvidence {
    /// From the run's `TruePositive` and `FalsePositive` verdicts (unsure ones are left out).
    #[must_use]
    pub fn of(run: &DetectionRun) -> Self {
        let mut evidence = Self::default();
        for d in run.recordings.iter().flat_map(|r| &r.detections) {
            match d.verdict {
                Some(Verdict::TruePositive) => {
                    evidence.true_positive_scores.push(d.detection.max_score);
                }
                Some(Verdict::FalsePositive) => {
                    evidence.false_positive_scores.push(d.detection.max_score);
                }
                _ => {}
            }
        }
        let mut thresholds: Vec<f32> = evidence
            .true_positive_scores
            .iter()
            .chain(&evidence.false_positive_scores)
            .copied()
            .collect();
        thresholds.sort_by(f32::total_cmp);
        thresholds.dedup();
        evidence.precision_curve = thresholds
            .into_iter()
            .map(|t| {
                let tp = evidence
                    .true_positive_scores
                    .iter()
                    .filter(|s| **s >= t)
                    .count();
                let fp = evidence
                    .false_positive_scores
                    .iter()
                    .filter(|s| **s >= t)
                    .count();
                (t, tp as f64 / (tp + fp).max(1) as f64, tp)
            })
            .collect();
        evidence
    }

    /// The lowest threshold whose precision (from the verdicts) reaches `target`: it keeps the
    /// most true positives at that precision. `None` when no threshold does.
    #[must_use]
    pub fn threshold_for_precision(&self, target: f64) -> Option<f32> {
        self.precision_curve
            .iter()
            .find(|(_, precision, tp)| *precision >= target && *tp > 0)
            .map(|(t, _, _)| *t)
    }

    /// Counts per score bin (`bins` equal bins over 0–1) for true and false positives.
    #[must_use]
    pub fn histograms(&self, bins: usize) -> (Vec<usize>, Vec<usize>) {
        let bins = bins.max(1);
        let count = |scores: &[f32]| {
            let mut counts = vec![0; bins];
            for s in scores {
                let bin = ((s.clamp(0.0, 1.0) * bins as f32) as usize).min(bins - 1);
                counts[bin] += 1;
            }
            counts
        };
        (
            count(&self.true_positive_scores),
            count(&self.false_positive_scores),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::detect::{Detection, MergeSettings, WindowScores};
    use crate::project::runs::{
        RecordingDetections, ReviewOrder, ReviewedDetection, carry_verdicts,
    };

    fn detection(start_secs: f64, end_secs: f64, score: f32) -> Detection {
        Detection {
            start_secs,
            end_secs,
            max_score: score,
            mean_score: score,
            windows: 1,
            band_hz: None,
        }
    }

    fn reviewed(start_secs: f64, end_secs: f64, verdict: Option<Verdict>) -> ReviewedDetection {
        ReviewedDetection {
            detection: detection(start_secs, end_secs, 0.9),
            verdict,
            negative: None,
        }
    }

    #[test]
    fn verdicts_follow_detections_that_cover_mostly_the_same_time() {
        let old = [
            reviewed(10.0, 12.5, Some(Verdict::TruePositive)),
            reviewed(20.0, 22.5, Some(Verdict::FalsePositive)),
            reviewed(30.0, 32.5, None),
        ];
        let new = vec![
            detection(10.5, 12.5, 0.8), // mostly the first → TP
            detection(19.0, 26.0, 0.7), // contains the second (shorter) wholly → FP
            detection(30.0, 32.5, 0.6), // unreviewed before → none
            detection(40.0, 42.5, 0.6), // new
        ];
        let (carried, left) = carry_verdicts(old.to_vec(), new);
        assert!(left.is_empty());
        let verdicts: Vec<_> = carried.iter().map(|d| d.verdict).collect();
        assert_eq!(
            verdicts,
            vec![
                Some(Verdict::TruePositive),
                Some(Verdict::FalsePositive),
                None,
                None
            ]
        );
        // Each old verdict goes to one new detection only; a sliver of overlap is not enough.
        let (split, _) = carry_verdicts(
            old[..1].to_vec(),
            vec![detection(10.0, 11.5, 0.9), detection(11.5, 12.5, 0.9)],
        );
        assert_eq!(split[0].verdict, Some(Verdict::TruePositive));
        assert_eq!(split[1].verdict, None);
        let (sliver, left) = carry_verdicts(old[..1].to_vec(), vec![detection(12.0, 16.0, 0.9)]);
        assert_eq!(sliver[0].verdict, None);
        // The verdict no detection took is handed back to be kept.
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].verdict, Some(Verdict::TruePositive));
    }

    #[test]
    fn threshold_evidence_counts_verdicts_and_finds_the_precise_threshold() {
        let mut run = DetectionRun {
            id: 1,
            model_dir: PathBuf::new(),
            model_id: String::new(),
            iteration: 1,
            hop_secs: 0.5,
            merge: MergeSettings {
                threshold: 0.5,
                min_gap_secs: 0.0,
                min_duration_secs: 0.0,
                peaks: None,
            },
            label: "call".to_owned(),
            band_hz: None,
            scope: String::new(),
            recordings: Vec::new(),
            pending: Vec::new(),
            failed: Vec::new(),
            calibration: None,
        };
        let mut part = RecordingDetections {
            recording: ProjectRecordingId(0),
            scores: WindowScores::default().into(),
            detections: Vec::new(),
            set_aside: Vec::new(),
        };
        for (score, verdict) in [
            (0.95, Verdict::TruePositive),
            (0.9, Verdict::TruePositive),
            (0.8, Verdict::FalsePositive),
            (0.7, Verdict::TruePositive),
            (0.6, Verdict::FalsePositive),
            (0.55, Verdict::Unsure),
        ] {
            part.detections.push(ReviewedDetection {
                detection: detection(0.0, 1.0, score),
                verdict: Some(verdict),
                negative: None,
            });
        }
        run.recordings.push(part);
        let counts = run.counts();
        assert_eq!(
            (
                counts.true_positives,
                counts.false_positives,
                counts.unsure,
                counts.reviewed()
            ),
            (3, 2, 1, 6)
        );
        let evidence = ThresholdEvidence::of(&run);
        assert_eq!(evidence.true_positive_scores.len(), 3);
        // At 0.6 all five count: 3/5; at 0.7: 3/4; at 0.9: 2/2.
        let precision_at = |t: f32| {
            evidence
                .precision_curve
                .iter()
                .find(|(x, _, _)| (*x - t).abs() < 1e-6)
                .map(|(_, p, _)| *p)
        };
        assert_eq!(precision_at(0.6), Some(0.6));
        assert_eq!(precision_at(0.7), Some(0.75));
        assert_eq!(precision_at(0.9), Some(1.0));
        assert_eq!(evidence.threshold_for_precision(1.0), Some(0.9));
        assert_eq!(evidence.threshold_for_precision(0.7), Some(0.7));
        let (tp, fp) = evidence.histograms(10);
        assert_eq!(tp[9] + tp[7], 3);
        assert_eq!(fp[8] + fp[6], 2);
        // Queues: score orders and a repeatable random sample of every detection.
        let high = run.queue(ReviewOrder::ScoreHighFirst);
        assert_eq!(high[0].detection_idx, 0);
        let low = run.queue(ReviewOrder::ScoreLowFirst);
        assert_eq!(low[0].detection_idx, 5);
        let a = run.queue(ReviewOrder::Random { seed: 7 });
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, run.queue(ReviewOrder::Time));
        assert_eq!(a, run.queue(ReviewOrder::Random { seed: 7 }));
    }
}
