//! What to label next (active learning): the windows of a detection run where its model is
//! least sure of itself — scores nearest the threshold — on recordings whose labels teach
//! (survey recordings: not fully annotated, outside the test split), away from anything already
//! labelled or detected (the review queue asks about detections), and spread over recordings
//! and time so that one noisy stretch cannot fill the queue. An answer becomes a selection with
//! its provenance: *a call* a Positive one, *no call* a Negative one (`not <target>`), which the
//! next training learns from.
//!
//! Runs keep one score per window (an ensemble's mean), so uncertainty is closeness to the
//! threshold; the spread of an ensemble's members is not stored.

use std::collections::BTreeMap;

use crate::annotation::{
    FileRef, ProjectRecordingId, Selection, SelectionId, SelectionKind, TableRow,
};
use crate::project::runs::{DetectionRun, RecordingDetections};
use crate::project::{Project, Split};
use crate::review::{
    ITERATION_COLUMN, MODEL_COLUMN, SCORE_COLUMN, SOURCE_COLUMN, false_positive_label,
};

/// The `Source` of a selection made by answering the label-next queue.
pub const LABEL_NEXT_SOURCE: &str = "label next";

/// Each window already queued from a recording divides the claim of that recording's next one
/// by this much (1 would ignore recordings; large values deal the queue out in turns).
const SPREAD_FACTOR: f32 = 1.5;

/// How the queue is made.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelNextOptions {
    /// Windows to queue.
    pub count: usize,
    /// Two queued windows of one recording start at least this far apart (`None`: the model's
    /// window length, so no two queued windows overlap).
    pub min_separation_secs: Option<f64>,
    /// Queue windows from test-split recordings too (off: test recordings are never trained
    /// on, so labels there would not teach).
    pub include_test: bool,
}

impl Default for LabelNextOptions {
    fn default() -> Self {
        Self {
            count: 30,
            min_separation_secs: None,
            include_test: false,
        }
    }
}

/// A window the model is unsure about.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UncertainWindow {
    pub recording: ProjectRecordingId,
    pub start_secs: f64,
    pub end_secs: f64,
    pub score: f32,
    /// 1 at the threshold, falling linearly to 0 at a score of 0 or 1.
    pub uncertainty: f32,
}

/// The queue and what it came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelNextQueue {
    /// Most useful first.
    pub windows: Vec<UncertainWindow>,
    /// The run's threshold the uncertainty is measured from.
    pub threshold: f32,
    /// Recordings searched.
    pub recordings: usize,
    /// Unlabelled windows considered.
    pub candidates: usize,
    /// Recordings left out, each naming its file and why.
    pub problems: Vec<String>,
}

/// How unsure a score is at `threshold`: 1 at the threshold, 0 at 0 or 1.
#[must_use]
pub fn uncertainty(score: f32, threshold: f32) -> f32 {
    let threshold = threshold.clamp(1e-6, 1.0 - 1e-6);
    let distance = if score >= threshold {
        (score - threshold) / (1.0 - threshold)
    } else {
        (threshold - score) / threshold
    };
    (1.0 - distance).clamp(0.0, 1.0)
}

/// The windows of `run` most worth labelling next (see the module's text). Recordings whose
/// scores cannot be read are named in `problems`; the rest are searched.
#[must_use]
pub fn label_next(
    project: &Project,
    run: &DetectionRun,
    options: &LabelNextOptions,
) -> LabelNextQueue {
    let threshold = run.merge.threshold;
    let mut queue = LabelNextQueue {
        threshold,
        ..LabelNextQueue::default()
    };
    // Per recording: its candidates, most uncertain first.
    let mut per_recording: Vec<Vec<UncertainWindow>> = Vec::new();
    for part in &run.recordings {
        let Some(recording) = project.recording(part.recording) else {
            continue;
        };
        if recording.fully_annotated || (recording.split == Split::Test && !options.include_test) {
            continue;
        }
        let scores = match part.scores.get() {
            Ok(scores) => scores,
            Err(error) => {
                queue
                    .problems
                    .push(format!("{}: {error}", recording.path.display()));
                continue;
            }
        };
        queue.recordings += 1;
        let known = labelled_spans(project, part);
        let mut candidates: Vec<UncertainWindow> = scores
            .start_secs
            .iter()
            .zip(&scores.scores)
            .map(|(&start_secs, &score)| UncertainWindow {
                recording: part.recording,
                start_secs,
                end_secs: (start_secs + scores.window_secs).min(recording.duration_secs),
                score,
                uncertainty: uncertainty(score, threshold),
            })
            .filter(|w| w.score.is_finite() && !overlaps_any(&known, w.start_secs, w.end_secs))
            .collect();
        queue.candidates += candidates.len();
        candidates.sort_by(|a, b| {
            b.uncertainty
                .total_cmp(&a.uncertainty)
                .then(a.start_secs.total_cmp(&b.start_secs))
        });
        // Only the windows the queue could take from this recording are kept (a season's run
        // holds tens of millions of windows).
        let separation_secs = options.min_separation_secs.unwrap_or(scores.window_secs);
        per_recording.push(spaced(candidates, options.count, separation_secs));
    }
    queue.windows = spread(&per_recording, options.count);
    queue
}

/// Time already labelled or asked about in a recording: its selections (either kind), the run's
/// detections (the review queue asks about those; a window overlapping one mostly holds part of
/// its call) and reviewed detections a threshold change set aside.
fn labelled_spans(project: &Project, part: &RecordingDetections) -> Vec<(f64, f64)> {
    let mut spans: Vec<(f64, f64)> = project
        .selections
        .of_recording(part.recording)
        .map(|s| (s.start_secs, s.end_secs))
        .chain(
            part.detections
                .iter()
                .chain(part.set_aside.iter().filter(|d| d.verdict.is_some()))
                .map(|d| (d.detection.start_secs, d.detection.end_secs)),
        )
        .collect();
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    spans
}

fn overlaps_any(spans: &[(f64, f64)], start_secs: f64, end_secs: f64) -> bool {
    spans
        .iter()
        .take_while(|(s, _)| *s < end_secs)
        .any(|(_, e)| *e > start_secs)
}

/// The first `count` of `sorted` (most useful first) that start at least `separation_secs`
/// from every one kept before them: what [`spread`] takes from one recording, in its order.
fn spaced(
    sorted: Vec<UncertainWindow>,
    count: usize,
    separation_secs: f64,
) -> Vec<UncertainWindow> {
    let mut kept: Vec<UncertainWindow> = Vec::new();
    for w in sorted {
        if kept.len() >= count {
            break;
        }
        if separation_secs <= 0.0
            || kept
                .iter()
                .all(|k| (k.start_secs - w.start_secs).abs() >= separation_secs)
        {
            kept.push(w);
        }
    }
    kept
}

/// Picks `count` windows from each recording's list (already [`spaced`], most useful first):
/// each step takes the next window with the best claim, its uncertainty divided by
/// [`SPREAD_FACTOR`] for every window already taken from its recording. Ties go to the earlier
/// recording.
fn spread(per_recording: &[Vec<UncertainWindow>], count: usize) -> Vec<UncertainWindow> {
    let mut next = vec![0_usize; per_recording.len()];
    let total: usize = per_recording.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(count.min(total));
    while out.len() < count {
        let mut best: Option<(f32, usize)> = None;
        for (r, candidates) in per_recording.iter().enumerate() {
            let Some(w) = candidates.get(next[r]) else {
                continue;
            };
            let picks = i32::try_from(next[r]).unwrap_or(i32::MAX);
            let claim = w.uncertainty / SPREAD_FACTOR.powi(picks);
            if best.is_none_or(|(b, _)| claim > b) {
                best = Some((claim, r));
            }
        }
        let Some((_, r)) = best else {
            break;
        };
        out.push(per_recording[r][next[r]]);
        next[r] += 1;
    }
    out
}

/// What the reviewer says about a queued window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Answer {
    /// The target calls in it: a Positive selection.
    Call,
    /// It holds no target call: a Negative selection (`not <target>`).
    NoCall,
}

impl Answer {
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Call => "a call",
            Self::NoCall => "no call",
        }
    }

    /// Reads an answer as a table holds it: `call`, `yes`, `positive`, `TruePositive`, … or
    /// `no call`, `no`, `negative`, `FalsePositive`, … (case and spaces ignored).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let squeezed: String = text
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        match squeezed.as_str() {
            "call" | "yes" | "y" | "positive" | "pos" | "p" => Some(Self::Call),
            "nocall" | "no" | "n" | "negative" | "neg" => Some(Self::NoCall),
            _ => match crate::review::parse_verdict(text) {
                Some(crate::project::runs::Verdict::TruePositive) => Some(Self::Call),
                Some(crate::project::runs::Verdict::FalsePositive) => Some(Self::NoCall),
                _ => None,
            },
        }
    }
}

/// The selection an answer makes: the window's time over the model's calls' band (the
/// recording's whole band when the run has none), labelled with the run's label (a call) or
/// `not <label>` (no call), carrying `Source = label next`, the model, the score and the
/// iteration. Insert it as one undo step.
#[must_use]
pub fn answer_selection(
    project: &Project,
    run: &DetectionRun,
    window: &UncertainWindow,
    answer: Answer,
    id: SelectionId,
) -> Selection {
    let nyquist_hz = project
        .recording(window.recording)
        .map_or(f64::MAX, crate::project::ProjectRecording::nyquist_hz);
    let (low_hz, high_hz) = run
        .band_hz
        .map(|(low, high)| (low.clamp(0.0, nyquist_hz), high.clamp(0.0, nyquist_hz)))
        .filter(|(low, high)| low < high)
        .unwrap_or((0.0, nyquist_hz));
    let (kind, label) = match answer {
        Answer::Call => (SelectionKind::Positive, run.label.clone()),
        Answer::NoCall => (SelectionKind::Negative, false_positive_label(&run.label)),
    };
    Selection {
        id,
        recording: window.recording,
        start_secs: window.start_secs,
        end_secs: window.end_secs,
        low_hz,
        high_hz,
        label,
        kind,
        extra: BTreeMap::from([
            (SOURCE_COLUMN.to_owned(), LABEL_NEXT_SOURCE.to_owned()),
            (MODEL_COLUMN.to_owned(), run.model_id.clone()),
            (SCORE_COLUMN.to_owned(), format!("{:.4}", window.score)),
            (ITERATION_COLUMN.to_owned(), run.iteration.to_string()),
        ]),
    }
}

/// The column a reviewer fills in a label-next table (`call` or `no call`; a `Verdict`
/// column's `TruePositive`/`FalsePositive` are read too).
pub const ANSWER_COLUMN: &str = "Answer";

/// The queue as table rows (one Raven table for all recordings): each window's time, the
/// model's band, the run's label, its score and an empty `Answer` column to fill.
#[must_use]
pub fn queue_rows(project: &Project, run: &DetectionRun, queue: &LabelNextQueue) -> Vec<TableRow> {
    queue
        .windows
        .iter()
        .map(|w| {
            let selection = answer_selection(project, run, w, Answer::Call, SelectionId(0));
            let file = project.recording(w.recording).map(|r| FileRef {
                name: r.name(),
                path: Some(r.path.display().to_string()),
                start: None,
            });
            let mut row = TableRow::from_selection(&selection, file);
            row.kind = None;
            row.score = Some(f64::from(w.score));
            row.values = BTreeMap::from([(ANSWER_COLUMN.to_owned(), String::new())]);
            row
        })
        .collect()
}

/// What a filled label-next table gives.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableAnswers {
    /// New selections (fresh ids), one per answered row not added before.
    pub selections: Vec<Selection>,
    /// Rows with no answer yet.
    pub unanswered: usize,
    /// Answered rows already in the project (added by an earlier call).
    pub already: usize,
    /// `line N: why` of rows left out.
    pub problems: Vec<String>,
}

/// The selections a filled label-next table (as [`queue_rows`] writes it) makes, with the same
/// provenance as answers given in the app. Rows go to the recording they name, else to
/// `default`.
#[must_use]
pub fn plan_table_answers(
    project: &Project,
    run: &DetectionRun,
    rows: &[TableRow],
    default: Option<ProjectRecordingId>,
) -> TableAnswers {
    let mut out = TableAnswers::default();
    let first_id = project.selections.next_free_id().0;
    for row in rows {
        let text = row
            .values
            .get(ANSWER_COLUMN)
            .or(row.verdict.as_ref())
            .map_or("", |t| t.trim());
        if text.is_empty() {
            out.unanswered += 1;
            continue;
        }
        let Some(answer) = Answer::parse(text) else {
            out.problems.push(format!(
                "line {}: the answer \"{text}\" is neither \"call\" nor \"no call\"",
                row.line
            ));
            continue;
        };
        let Some(target) = project.import_target(row, default) else {
            out.problems.push(format!(
                "line {}: its recording is not in the project",
                row.line
            ));
            continue;
        };
        let end_secs = row.end_secs.min(target.duration_secs);
        if row.start_secs >= end_secs {
            out.problems.push(format!(
                "line {}: it starts after the recording ends",
                row.line
            ));
            continue;
        }
        let already = project.selections.of_recording(target.recording).any(|s| {
            s.extra.get(SOURCE_COLUMN).map(String::as_str) == Some(LABEL_NEXT_SOURCE)
                && (s.start_secs - row.start_secs).abs() < 1e-3
                && (s.end_secs - end_secs).abs() < 1e-3
        });
        if already {
            out.already += 1;
            continue;
        }
        let window = UncertainWindow {
            recording: target.recording,
            start_secs: row.start_secs,
            end_secs,
            score: row.score.unwrap_or(f64::NAN) as f32,
            uncertainty: 0.0,
        };
        let id = SelectionId(first_id + out.selections.len() as u64);
        let mut selection = answer_selection(project, run, &window, answer, id);
        if row.score.is_none() {
            selection.extra.remove(SCORE_COLUMN);
        }
        out.selections.push(selection);
    }
    out
}

/// What review of each iteration's runs added to the project: selections whose `Iteration`
/// column names it, by `Source` (false positives, missed calls, label-next answers, …).
#[must_use]
pub fn added_by_iteration(project: &Project) -> BTreeMap<u32, BTreeMap<String, usize>> {
    let mut added: BTreeMap<u32, BTreeMap<String, usize>> = BTreeMap::new();
    for selection in project.selections.items() {
        let (Some(source), Some(iteration)) = (
            selection.extra.get(SOURCE_COLUMN),
            selection
                .extra
                .get(ITERATION_COLUMN)
                .and_then(|i| i.trim().parse::<u32>().ok()),
        ) else {
            continue;
        };
        *added
            .entry(iteration)
            .or_default()
            .entry(source.clone())
            .or_default() += 1;
    }
    added
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(recording: u32, start_secs: f64, uncertainty: f32) -> UncertainWindow {
        UncertainWindow {
            recording: ProjectRecordingId(recording),
            start_secs,
            end_secs: start_secs + 1.0,
            score: 0.5,
            uncertainty,
        }
    }

    #[test]
    fn uncertainty_peaks_at_the_threshold_and_falls_to_zero_at_either_end() {
        assert!((uncertainty(0.3, 0.3) - 1.0).abs() < 1e-6);
        assert!(uncertainty(0.0, 0.3).abs() < 1e-6);
        assert!(uncertainty(1.0, 0.3).abs() < 1e-6);
        // Half-way on either side is equally unsure, whatever the threshold.
        assert!((uncertainty(0.15, 0.3) - 0.5).abs() < 1e-6);
        assert!((uncertainty(0.65, 0.3) - 0.5).abs() < 1e-6);
        assert!(uncertainty(0.29, 0.3) > uncertainty(0.2, 0.3));
    }

    #[test]
    fn spreading_interleaves_recordings_but_still_prefers_uncertain_windows() {
        // Recording 1 has many very uncertain windows, recording 2 a few nearly as uncertain,
        // recording 3 only sure ones.
        let one: Vec<_> = (0..10)
            .map(|i| window(1, f64::from(i) * 2.0, 0.95))
            .collect();
        let two: Vec<_> = (0..3).map(|i| window(2, f64::from(i) * 2.0, 0.9)).collect();
        let three: Vec<_> = (0..3)
            .map(|i| window(3, f64::from(i) * 2.0, 0.05))
            .collect();
        let picked = spread(&[one, two, three], 6);
        let recordings: Vec<u32> = picked.iter().map(|w| w.recording.0).collect();
        assert_eq!(recordings, vec![1, 2, 1, 2, 1, 2]);
    }

    #[test]
    fn windows_too_close_to_a_queued_one_are_skipped() {
        let close: Vec<_> = [0.0, 0.25, 0.5, 1.0, 3.0]
            .into_iter()
            .map(|s| window(1, s, 0.9))
            .collect();
        let picked = spaced(close, 5, 1.0);
        let starts: Vec<f64> = picked.iter().map(|w| w.start_secs).collect();
        assert_eq!(starts, vec![0.0, 1.0, 3.0]);
    }

    #[test]
    fn a_recording_keeps_only_what_the_queue_could_take_from_it() {
        let sorted: Vec<_> = [5.0, 5.2, 9.0, 1.0, 0.5, 12.0]
            .into_iter()
            .map(|s| window(1, s, 0.9))
            .collect();
        let starts = |kept: Vec<UncertainWindow>| -> Vec<f64> {
            kept.iter().map(|w| w.start_secs).collect()
        };
        assert_eq!(starts(spaced(sorted.clone(), 3, 1.0)), vec![5.0, 9.0, 1.0]);
        assert_eq!(
            starts(spaced(sorted.clone(), 10, 1.0)),
            vec![5.0, 9.0, 1.0, 12.0]
        );
        assert_eq!(spaced(sorted, 10, 0.0).len(), 6);
    }

    #[test]
    fn answers_are_read_as_tables_and_people_write_them() {
        for text in ["call", "Yes", "positive", "TruePositive", "tp"] {
            assert_eq!(Answer::parse(text), Some(Answer::Call), "{text}");
        }
        for text in ["no call", "No", "negative", "false_positive", "FP"] {
            assert_eq!(Answer::parse(text), Some(Answer::NoCall), "{text}");
        }
        assert_eq!(Answer::parse("maybe"), None);
        assert_eq!(Answer::parse(""), None);
    }
}
