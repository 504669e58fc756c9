//! Changes to a project beyond its selections — labels, recordings, flags, the model input,
//! detection runs and their verdicts — each with what it takes to make it again and take it
//! back, so that every edit the user makes is one undo step (see [`super::UndoStack`]).

use super::runs::{DetectionRef, DetectionRun, Verdict};
use super::score_files::ScoreFileError;
use super::{LabelDef, ModelInputChoice, Project, ProjectRecording, RecordingFlags};
use crate::annotation::{ProjectRecordingId, SelectionId};
use crate::detect::MergeSettings;

/// A change to a project beyond its selections, undone with the step it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub enum ProjectChange {
    /// Labels added to the label set (by an import, an opened folder or a new box's label).
    LabelsAdded(Vec<LabelDef>),
    /// Recordings added to the project (opened, or found in a folder), in list order.
    RecordingsAdded(Vec<ProjectRecording>),
    /// A recording taken out of the project, with its place in the list (its selections go in
    /// the same step as a selection edit).
    RecordingRemoved {
        index: usize,
        recording: ProjectRecording,
    },
    /// A recording's file found at a new place (path, size and fingerprint).
    RecordingRelinked {
        before: ProjectRecording,
        after: ProjectRecording,
    },
    /// A recording's training flags changed.
    RecordingFlags {
        id: ProjectRecordingId,
        before: RecordingFlags,
        after: RecordingFlags,
    },
    /// The label set edited (names, kinds, hotkeys) in the Labels window.
    Labels {
        before: Vec<LabelDef>,
        after: Vec<LabelDef>,
    },
    /// What the model sees changed (or whether training proposes it).
    ModelInput {
        before: ModelInputChoice,
        after: ModelInputChoice,
    },
    /// A detection run deleted, with its place in the list. Its score files stay on disk
    /// while this change is in the history (see [`super::UndoStack::held_run_ids`]).
    RunDeleted {
        index: usize,
        run: Box<DetectionRun>,
    },
    /// A run's merge settings (threshold, gaps) changed: its detections are merged again from
    /// the stored scores, verdicts carried over.
    RunMerge {
        run_id: u32,
        before: MergeSettings,
        after: MergeSettings,
    },
    /// A verdict given (or cleared) in review.
    Verdict {
        run_id: u32,
        at: DetectionRef,
        before: Option<Verdict>,
        after: Option<Verdict>,
    },
    /// Verdicts given to many detections at once (an earlier run's review carried to the
    /// detections a later run kept): `(detection, before, after)`.
    Verdicts {
        run_id: u32,
        verdicts: Vec<(DetectionRef, Option<Verdict>, Option<Verdict>)>,
    },
    /// The calibration kept with a run (fitted from its verdicts in Review), or taken off.
    RunCalibration {
        run_id: u32,
        before: Option<crate::calibrate::Calibration>,
        after: Option<crate::calibrate::Calibration>,
    },
    /// Negative selections made from a run's false positives, noted on their detections (the
    /// selections themselves are the same step's insert).
    NegativesMarked {
        run_id: u32,
        made: Vec<(SelectionId, DetectionRef)>,
    },
    /// A detection that is another class ("species B, not A"): a false positive of its run,
    /// noted with the Positive selection of the other class made from it (the same step's
    /// insert).
    Reclassified {
        run_id: u32,
        at: DetectionRef,
        before: Option<Verdict>,
        before_selection: Option<SelectionId>,
        selection: SelectionId,
    },
}

impl ProjectChange {
    /// Whether `next` only carries this change further (the same recording's flags, the model
    /// input again, the same run's threshold): typing a group name or dragging the threshold is
    /// one undo step, not one per key or frame.
    #[must_use]
    pub fn continues_with(&self, next: &Self) -> bool {
        match (self, next) {
            (Self::RecordingFlags { id, .. }, Self::RecordingFlags { id: next_id, .. }) => {
                id == next_id
            }
            (
                Self::RunMerge { run_id, .. },
                Self::RunMerge {
                    run_id: next_id, ..
                },
            ) => run_id == next_id,
            (Self::ModelInput { .. }, Self::ModelInput { .. })
            | (Self::Labels { .. }, Self::Labels { .. }) => true,
            _ => false,
        }
    }

    /// This change followed by `next` (see [`continues_with`](Self::continues_with)), as one.
    #[must_use]
    pub fn followed_by(&self, next: &Self) -> Self {
        match (self, next) {
            (Self::RecordingFlags { id, before, .. }, Self::RecordingFlags { after, .. }) => {
                Self::RecordingFlags {
                    id: *id,
                    before: before.clone(),
                    after: after.clone(),
                }
            }
            (Self::ModelInput { before, .. }, Self::ModelInput { after, .. }) => Self::ModelInput {
                before: *before,
                after: *after,
            },
            (Self::Labels { before, .. }, Self::Labels { after, .. }) => Self::Labels {
                before: before.clone(),
                after: after.clone(),
            },
            (Self::RunMerge { run_id, before, .. }, Self::RunMerge { after, .. }) => {
                Self::RunMerge {
                    run_id: *run_id,
                    before: *before,
                    after: *after,
                }
            }
            _ => next.clone(),
        }
    }

    /// The detection a change gave its verdict to, for review to show it again on undo.
    #[must_use]
    pub fn verdict_detection(&self) -> Option<(u32, DetectionRef)> {
        match self {
            Self::Verdict { run_id, at, .. } | Self::Reclassified { run_id, at, .. } => {
                Some((*run_id, *at))
            }
            _ => None,
        }
    }

    /// Makes the change (again). Returns the score files that could not be read (a run merged
    /// again keeps those recordings' detections as they were).
    pub fn redo(&self, project: &mut Project) -> Vec<ScoreFileError> {
        match self {
            Self::LabelsAdded(labels) => {
                for label in labels {
                    if !project.labels.iter().any(|l| l.name == label.name) {
                        project.labels.push(label.clone());
                    }
                }
            }
            Self::RecordingsAdded(recordings) => {
                for recording in recordings {
                    if project.recording(recording.id).is_none() {
                        project.recordings.push(recording.clone());
                    }
                }
            }
            Self::RecordingRemoved { recording, .. } => {
                project.recordings.retain(|r| r.id != recording.id);
            }
            Self::RecordingRelinked { after, .. } => replace_recording(project, after),
            Self::RecordingFlags { id, after, .. } => {
                if let Some(recording) = project.recording_mut(*id) {
                    recording.set_flags(after.clone());
                }
            }
            Self::ModelInput { after, .. } => project.set_model_input_choice(*after),
            Self::Labels { after, .. } => project.labels.clone_from(after),
            Self::RunDeleted { run, .. } => project.detection_runs.retain(|r| r.id != run.id),
            Self::RunMerge { run_id, after, .. } => return set_merge(project, *run_id, *after),
            Self::Verdict {
                run_id, at, after, ..
            } => set_verdict(project, *run_id, *at, *after),
            Self::Verdicts { run_id, verdicts } => {
                for (at, _, after) in verdicts {
                    set_verdict(project, *run_id, *at, *after);
                }
            }
            Self::RunCalibration { run_id, after, .. } => {
                if let Some(run) = run_mut(project, *run_id) {
                    run.calibration.clone_from(after);
                }
            }
            Self::NegativesMarked { run_id, made } => {
                if let Some(run) = run_mut(project, *run_id) {
                    run.mark_negatives(made.iter().copied());
                }
            }
            Self::Reclassified {
                run_id,
                at,
                selection,
                ..
            } => {
                if let Some(run) = run_mut(project, *run_id) {
                    run.set_verdict(*at, Some(Verdict::FalsePositive));
                    run.mark_negatives([(*selection, *at)]);
                }
            }
        }
        Vec::new()
    }

    /// Takes the change back (see [`redo`](Self::redo) for what it returns).
    pub fn undo(&self, project: &mut Project) -> Vec<ScoreFileError> {
        match self {
            Self::LabelsAdded(labels) => {
                project
                    .labels
                    .retain(|l| !labels.iter().any(|added| added.name == l.name));
            }
            Self::RecordingsAdded(recordings) => {
                project
                    .recordings
                    .retain(|r| !recordings.iter().any(|added| added.id == r.id));
            }
            Self::RecordingRemoved { index, recording } => {
                if project.recording(recording.id).is_none() {
                    let at = (*index).min(project.recordings.len());
                    project.recordings.insert(at, recording.clone());
                }
            }
            Self::RecordingRelinked { before, .. } => replace_recording(project, before),
            Self::RecordingFlags { id, before, .. } => {
                if let Some(recording) = project.recording_mut(*id) {
                    recording.set_flags(before.clone());
                }
            }
            Self::ModelInput { before, .. } => project.set_model_input_choice(*before),
            Self::Labels { before, .. } => project.labels.clone_from(before),
            Self::RunDeleted { index, run } => {
                if !project.detection_runs.iter().any(|r| r.id == run.id) {
                    let at = (*index).min(project.detection_runs.len());
                    project.detection_runs.insert(at, (**run).clone());
                }
            }
            Self::RunMerge { run_id, before, .. } => return set_merge(project, *run_id, *before),
            Self::Verdict {
                run_id, at, before, ..
            } => set_verdict(project, *run_id, *at, *before),
            Self::Verdicts { run_id, verdicts } => {
                for (at, before, _) in verdicts {
                    set_verdict(project, *run_id, *at, *before);
                }
            }
            Self::RunCalibration { run_id, before, .. } => {
                if let Some(run) = run_mut(project, *run_id) {
                    run.calibration.clone_from(before);
                }
            }
            Self::NegativesMarked { run_id, made } => {
                if let Some(run) = run_mut(project, *run_id) {
                    for (_, at) in made {
                        if let Some(detection) = run.get_mut(*at) {
                            detection.negative = None;
                        }
                    }
                }
            }
            Self::Reclassified {
                run_id,
                at,
                before,
                before_selection,
                ..
            } => {
                if let Some(run) = run_mut(project, *run_id) {
                    run.set_verdict(*at, *before);
                    if let Some(detection) = run.get_mut(*at) {
                        detection.negative = *before_selection;
                    }
                }
            }
        }
        Vec::new()
    }
}

fn replace_recording(project: &mut Project, recording: &ProjectRecording) {
    if let Some(slot) = project.recording_mut(recording.id) {
        slot.clone_from(recording);
    }
}

fn run_mut(project: &mut Project, run_id: u32) -> Option<&mut DetectionRun> {
    project.detection_runs.iter_mut().find(|r| r.id == run_id)
}

fn set_merge(project: &mut Project, run_id: u32, settings: MergeSettings) -> Vec<ScoreFileError> {
    run_mut(project, run_id).map_or_else(Vec::new, |run| run.set_merge(settings))
}

fn set_verdict(project: &mut Project, run_id: u32, at: DetectionRef, verdict: Option<Verdict>) {
    if let Some(run) = run_mut(project, run_id) {
        run.set_verdict(at, verdict);
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::annotation::{Edit, Selection, SelectionKind};
    use crate::project::UndoStack;
    use crate::project::fixtures::recording;

    /// A run over recording 0 with two calls (scores above 0.5 at 2–3 s and 6–7 s).
    fn project_with_run() -> Project {
        let mut project = Project::default();
        project.recordings.push(recording(0, "/data/a.wav"));
        let scores: Vec<f32> = (0..10)
            .map(|i| match i {
                2 => 0.9,
                6 => 0.6,
                _ => 0.1,
            })
            .collect();
        project.add_run(crate::project::fixtures::run(1, 0, scores));
        project
    }

    fn detections(project: &Project) -> usize {
        project.detection_runs[0].counts().detections
    }

    #[test]
    fn verdicts_thresholds_and_run_deletion_undo_in_order() {
        let mut project = project_with_run();
        let mut undo = UndoStack::default();
        assert_eq!(detections(&project), 2);
        let at = DetectionRef {
            recording_idx: 0,
            detection_idx: 1,
        };
        let verdict = ProjectChange::Verdict {
            run_id: 1,
            at,
            before: None,
            after: Some(Verdict::FalsePositive),
        };
        undo.apply_project_change(&mut project, "mark a false positive", verdict);
        assert!(undo.last_is_verdict());
        // Dragging the threshold over three frames is one step.
        for threshold in [0.55, 0.65, 0.7] {
            let before = project.detection_runs[0].merge;
            let change = ProjectChange::RunMerge {
                run_id: 1,
                before,
                after: MergeSettings {
                    threshold,
                    ..before
                },
            };
            assert!(
                undo.apply_project_change(&mut project, "change the threshold", change)
                    .is_empty()
            );
        }
        assert!(!undo.last_is_verdict());
        assert_eq!(detections(&project), 1, "the 0.6 call is below 0.7");
        let run = Box::new(project.detection_runs[0].clone());
        undo.apply_project_change(
            &mut project,
            "delete detection run 1",
            ProjectChange::RunDeleted { index: 0, run },
        );
        assert!(project.detection_runs.is_empty());
        assert_eq!(undo.held_run_ids(), vec![1]);

        let done = undo.undo_project(&mut project).unwrap();
        assert_eq!(done.name, "delete detection run 1");
        assert_eq!(detections(&project), 1);
        let done = undo.undo_project(&mut project).unwrap();
        assert_eq!(done.name, "change the threshold");
        assert_eq!(project.detection_runs[0].merge.threshold, 0.5);
        assert_eq!(detections(&project), 2);
        // The verdict came back with its detection when the threshold went back.
        assert_eq!(
            project.detection_runs[0].get(at).unwrap().verdict,
            Some(Verdict::FalsePositive)
        );
        let done = undo.undo_project(&mut project).unwrap();
        assert_eq!(done.verdict_detection, Some((1, at)));
        assert_eq!(project.detection_runs[0].get(at).unwrap().verdict, None);
        assert!(undo.undo_project(&mut project).is_none());

        let done = undo.redo_project(&mut project).unwrap();
        assert_eq!(done.verdict_detection, Some((1, at)));
        assert_eq!(
            project.detection_runs[0].get(at).unwrap().verdict,
            Some(Verdict::FalsePositive)
        );
        undo.redo_project(&mut project);
        undo.redo_project(&mut project);
        assert!(project.detection_runs.is_empty());
        // A new run never takes the deleted run's id, so its undo still has a place.
        assert_eq!(project.next_run_id(), 2);
    }

    #[test]
    fn verdicts_given_at_once_are_one_step_that_restores_each_earlier_verdict() {
        let mut project = project_with_run();
        let mut undo = UndoStack::default();
        let (first, second) = (
            DetectionRef {
                recording_idx: 0,
                detection_idx: 0,
            },
            DetectionRef {
                recording_idx: 0,
                detection_idx: 1,
            },
        );
        project.detection_runs[0].set_verdict(first, Some(Verdict::Unsure));
        let change = ProjectChange::Verdicts {
            run_id: 1,
            verdicts: vec![
                (first, Some(Verdict::Unsure), Some(Verdict::TruePositive)),
                (second, None, Some(Verdict::FalsePositive)),
            ],
        };
        undo.apply_project_change(&mut project, "take an earlier run's verdicts", change);
        let verdicts = |p: &Project| {
            let run = &p.detection_runs[0];
            [first, second].map(|at| run.get(at).and_then(|d| d.verdict))
        };
        assert_eq!(
            verdicts(&project),
            [Some(Verdict::TruePositive), Some(Verdict::FalsePositive)]
        );
        undo.undo_project(&mut project);
        assert_eq!(verdicts(&project), [Some(Verdict::Unsure), None]);
        undo.redo_project(&mut project);
        assert_eq!(
            verdicts(&project),
            [Some(Verdict::TruePositive), Some(Verdict::FalsePositive)]
        );
    }

    #[test]
    fn negatives_marked_go_with_their_selections() {
        let mut project = project_with_run();
        let mut undo = UndoStack::default();
        let negative = Selection {
            id: project.selections.next_free_id(),
            recording: ProjectRecordingId(0),
            start_secs: 6.0,
            end_secs: 7.0,
            low_hz: 0.0,
            high_hz: 1000.0,
            label: "not call".to_owned(),
            kind: SelectionKind::Negative,
            extra: std::collections::BTreeMap::new(),
        };
        let at = DetectionRef {
            recording_idx: 0,
            detection_idx: 1,
        };
        undo.apply_to_project(
            &mut project,
            "add 1 false positive(s) to negatives",
            vec![Edit::Insert(vec![negative.clone()])],
            ProjectChange::NegativesMarked {
                run_id: 1,
                made: vec![(negative.id, at)],
            },
        );
        assert_eq!(
            project.detection_runs[0].get(at).unwrap().negative,
            Some(negative.id)
        );
        undo.undo_project(&mut project);
        assert!(project.selections.is_empty());
        assert_eq!(project.detection_runs[0].get(at).unwrap().negative, None);
    }

    #[test]
    fn recordings_added_and_relinked_undo_and_ids_are_never_reused() {
        let mut project = Project::default();
        let mut undo = UndoStack::default();
        let a = recording(project.issue_recording_id().0, "/data/a.wav");
        undo.apply_project_change(
            &mut project,
            "add a.wav",
            ProjectChange::RecordingsAdded(vec![a.clone()]),
        );
        let (edit, removal) = project.removal_of(a.id).unwrap();
        undo.apply_to_project(&mut project, "remove a.wav", vec![edit], removal);
        assert!(project.recordings.is_empty());
        // Another recording added meanwhile (as a detection folder does) gets a new id.
        let info = crate::audio::RecordingInfo {
            path: PathBuf::from("/data/b.wav"),
            frame_count: 22_050,
            sample_rate_hz: 22_050,
            channels: 1,
            container: "wav".to_owned(),
            codec: "pcm_s16le".to_owned(),
            bits_per_sample: Some(16),
            start: None,
            warnings: Vec::new(),
        };
        let b = project.add_fingerprinted(&info, 1, String::new());
        assert_ne!(b, a.id);
        undo.undo_project(&mut project);
        assert_eq!(project.recording(a.id).unwrap().path, a.path);

        let moved = ProjectChange::RecordingRelinked {
            before: a.clone(),
            after: ProjectRecording {
                path: PathBuf::from("/moved/a.wav"),
                ..a.clone()
            },
        };
        undo.apply_project_change(&mut project, "relink a.wav", moved);
        assert_eq!(
            project.recording(a.id).unwrap().path,
            PathBuf::from("/moved/a.wav")
        );
        let done = undo.undo_project(&mut project).unwrap();
        assert_eq!(done.relinked, vec![a.id]);
        assert_eq!(project.recording(a.id).unwrap().path, a.path);
        undo.undo_project(&mut project);
        undo.undo_project(&mut project);
        assert!(project.recording(a.id).is_none());
        assert!(project.recording(b).is_some(), "not part of the history");
    }
}
