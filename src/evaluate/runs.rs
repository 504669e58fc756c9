//! A reviewed run against the project: event-level precision, recall and F1 of its detections
//! on the recordings marked fully annotated (the only ones whose missed calls are known), at
//! its threshold and over a range of thresholds (windows re-merged at each).

use crate::annotation::SelectionKind;
use crate::detect::{MergeSettings, WindowScores};
use crate::metrics::EventMetrics;
use crate::project::Project;
use crate::project::runs::DetectionRun;
use crate::project::score_files::ScoreFileError;

/// Event-level evaluation of a run against the Positive selections of the recordings it
/// scored that are marked fully annotated (the only ones whose missing calls are known).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunEvaluation {
    /// Recordings with references that were evaluated.
    pub recordings: usize,
    pub audio_secs: f64,
    pub references: usize,
    /// At the run's threshold.
    pub at_threshold: EventMetrics,
    /// Over thresholds 0.05, 0.10, … 0.95 (windows re-merged at each).
    pub curve: Vec<EventMetrics>,
}

/// A recording's scores, its reference events and its length.
type EvaluatedPart = (std::sync::Arc<WindowScores>, Vec<(f64, f64)>, f64);

/// Evaluates `run` (see [`RunEvaluation`]); `None` when no scored recording is fully annotated,
/// an error when the scores of one of them cannot be read.
pub fn evaluate_run(
    project: &Project,
    run: &DetectionRun,
    tolerance_secs: f64,
) -> Result<Option<RunEvaluation>, ScoreFileError> {
    // (scores, reference events, seconds of audio) of each fully annotated recording.
    let mut parts: Vec<EvaluatedPart> = Vec::new();
    for part in &run.recordings {
        let Some(recording) = project
            .recording(part.recording)
            .filter(|r| r.fully_annotated)
        else {
            continue;
        };
        let references = project
            .selections
            .of_recording(part.recording)
            .filter(|s| s.kind == SelectionKind::Positive)
            .map(|s| (s.start_secs, s.end_secs))
            .collect();
        parts.push((part.scores.get()?, references, recording.duration_secs));
    }
    if parts.is_empty() {
        return Ok(None);
    }
    let at = |settings: &MergeSettings| {
        let mut total = EventMetrics {
            threshold: settings.threshold,
            ..EventMetrics::default()
        };
        let mut audio_secs = 0.0;
        for (scores, references, secs) in &parts {
            total.add_counts(&crate::evaluate::evaluate_scores(
                scores,
                settings,
                references,
                tolerance_secs,
                *secs,
            ));
            audio_secs += secs;
        }
        crate::evaluate::rates(total, audio_secs)
    };
    let curve = (1..=19)
        .map(|i| {
            at(&MergeSettings {
                threshold: i as f32 * 0.05,
                ..run.merge
            })
        })
        .collect();
    Ok(Some(RunEvaluation {
        recordings: parts.len(),
        audio_secs: parts.iter().map(|p| p.2).sum(),
        references: parts.iter().map(|p| p.1.len()).sum(),
        at_threshold: at(&run.merge),
        curve,
    }))
}
