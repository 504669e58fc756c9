//! A project changed on disk by another writer (`syrinx detect --project`, `syrinx project add`,
//! a second window) merged into the copy a session holds, before that session saves over it.
//! Three-way, against `base` (the file as the session last loaded or saved it):
//!
//! - what only the other writer changed is taken: new recordings, runs and selections (with new
//!   ids where the session has given theirs out meanwhile), and items it edited or removed that
//!   the session left alone;
//! - what only the session changed is kept;
//! - an item both changed keeps the session's version, and is counted as a conflict;
//! - recordings the other writer removed stay (removing one takes its selections and runs with
//!   it, which only the user should decide).
//!
//! Nothing is lost either way: the save that follows keeps the file it replaces as an earlier
//! version (see [`super::history`]), and the session says what was merged and what was not.

use std::collections::BTreeMap;

use crate::annotation::{Edit, ProjectRecordingId, Selection, SelectionId};

use super::Project;
use super::runs::DetectionRun;

/// What a merge did, for the session to say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiskMerge {
    pub recordings_added: usize,
    pub runs_added: usize,
    pub selections_added: usize,
    /// Items the other writer edited or removed that the session had left alone: taken.
    pub taken: usize,
    /// Items both changed (the session's version kept), and recordings the other writer
    /// removed (kept): the other writer's version of them is only in the kept file.
    pub not_taken: usize,
}

impl DiskMerge {
    /// Whether the file on disk held nothing new.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// "The project was changed on disk by another program: 1 run, 3 recordings added …".
    #[must_use]
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (n, what) in [
            (self.runs_added, "detection run(s)"),
            (self.recordings_added, "recording(s)"),
            (self.selections_added, "selection(s)"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        let mut text = String::from("the project was changed on disk by another program");
        if parts.is_empty() {
            text.push_str(": nothing was added there");
        } else {
            text.push_str(&format!(": {} added there, merged in", parts.join(", ")));
        }
        if self.taken > 0 {
            text.push_str(&format!("; {} other change(s) there taken", self.taken));
        }
        if self.not_taken > 0 {
            text.push_str(&format!(
                "; {} change(s) there conflicted with yours and were not taken (the version on \
                 disk is kept: File > Restore an earlier version)",
                self.not_taken
            ));
        }
        text
    }
}

/// How one item went from `base` to a side.
fn changed<T: PartialEq>(base: Option<&T>, side: Option<&T>) -> bool {
    base != side
}

/// Merges what `theirs` (the file on disk now) changed since `base` into `ours`.
pub fn merge_from_disk(ours: &mut Project, base: &Project, theirs: &Project) -> DiskMerge {
    let mut report = DiskMerge::default();
    let recordings = merge_recordings(ours, base, theirs, &mut report);
    merge_selections(ours, base, theirs, &recordings, &mut report);
    merge_runs(ours, base, theirs, &recordings, &mut report);
    merge_settings(ours, base, theirs, &mut report);
    report
}

/// Recordings: theirs' new ones added (matched by path first), edits taken where ours left the
/// recording alone. The map from theirs' ids to ours'.
fn merge_recordings(
    ours: &mut Project,
    base: &Project,
    theirs: &Project,
    report: &mut DiskMerge,
) -> BTreeMap<ProjectRecordingId, ProjectRecordingId> {
    let mut map = BTreeMap::new();
    for their in &theirs.recordings {
        let before = base.recording(their.id);
        if before.is_some() {
            map.insert(their.id, their.id);
            let mine = ours.recording(their.id).cloned();
            if changed(before, Some(their)) {
                match mine {
                    Some(mine) if Some(&mine) == before => {
                        if let Some(slot) = ours.recording_mut(their.id) {
                            *slot = their.clone();
                        }
                        report.taken += 1;
                    }
                    Some(mine) if mine == *their => {}
                    _ => report.not_taken += 1,
                }
            }
            continue;
        }
        let id = match ours.recording_at(&their.path) {
            Some(existing) => existing.id,
            None => {
                report.recordings_added += 1;
                ours.adopt_recording(their)
            }
        };
        map.insert(their.id, id);
    }
    report.not_taken += base
        .recordings
        .iter()
        .filter(|r| theirs.recording(r.id).is_none() && ours.recording(r.id).is_some())
        .count();
    ours.ids_issued.recordings = ours.ids_issued.recordings.max(theirs.ids_issued.recordings);
    map
}

fn merge_selections(
    ours: &mut Project,
    base: &Project,
    theirs: &Project,
    recordings: &BTreeMap<ProjectRecordingId, ProjectRecordingId>,
    report: &mut DiskMerge,
) {
    let (mut inserts, mut deletes, mut updates_before, mut updates_after) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // Ids from here on were never given out by this session (its undo history may hold ids
    // below it that its set no longer does); new ids for theirs start past both sides' ids.
    let ours_next = ours.selections.next_free_id().0;
    let mut next_free = ours_next.max(theirs.selections.next_free_id().0);
    for their in theirs.selections.items() {
        let before = base.selections.get(their.id);
        let mine = ours.selections.get(their.id);
        if before.is_some() {
            if changed(before, Some(their)) {
                match mine {
                    Some(mine) if Some(mine) == before => {
                        updates_before.push(mine.clone());
                        updates_after.push(their.clone());
                        report.taken += 1;
                    }
                    Some(mine) if mine == their => {}
                    _ => report.not_taken += 1,
                }
            }
            continue;
        }
        let Some(&recording) = recordings.get(&their.recording) else {
            report.not_taken += 1;
            continue;
        };
        // Already here (the session's own earlier save, read back).
        if mine.is_some_and(|mine| mine.recording == recording && mine == their) {
            continue;
        }
        // Theirs' id stays unless this session may have given it out.
        let id = if their.id.0 >= ours_next {
            their.id
        } else {
            let id = SelectionId(next_free);
            next_free += 1;
            id
        };
        inserts.push(Selection {
            id,
            recording,
            ..their.clone()
        });
        report.selections_added += 1;
    }
    for before in base.selections.items() {
        if theirs.selections.get(before.id).is_none()
            && let Some(mine) = ours.selections.get(before.id)
        {
            if mine == before {
                deletes.push(mine.clone());
                report.taken += 1;
            } else {
                report.not_taken += 1;
            }
        }
    }
    for edit in [
        Edit::Update {
            before: updates_before,
            after: updates_after,
        },
        Edit::Delete(deletes),
        Edit::Insert(inserts),
    ] {
        ours.selections.apply(&edit);
    }
}

/// A run as its JSON says (its scores are in side files that never change): cheap to compare.
fn run_value(run: &DetectionRun) -> serde_json::Value {
    serde_json::to_value(run).unwrap_or_default()
}

/// Whether a new run of theirs with `id` gets a new id in `ours` (whose next run id was
/// `ours_issued` before the merge).
fn renumbered(id: u32, ours_issued: u32, ours: &Project) -> bool {
    id < ours_issued || ours.run(id).is_some()
}

/// Reads the scores of theirs' new runs that a merge into `ours` would renumber (see
/// [`merge_from_disk`]), so a save job does that disk work rather than the window that merges.
pub fn read_scores_to_renumber(ours: &Project, base: &Project, theirs: &Project) {
    let ours_issued = ours.next_run_id();
    for run in &theirs.detection_runs {
        if base.run(run.id).is_none() && renumbered(run.id, ours_issued, ours) {
            for part in &run.recordings {
                // A failure is found again, and reported, by the merge.
                let _ = part.scores.get();
            }
        }
    }
}

fn merge_runs(
    ours: &mut Project,
    base: &Project,
    theirs: &Project,
    recordings: &BTreeMap<ProjectRecordingId, ProjectRecordingId>,
    report: &mut DiskMerge,
) {
    // Ids from here on were never given out by this session; new ids for theirs start past
    // both sides' ids.
    let ours_issued = ours.next_run_id();
    ours.ids_issued.runs = ours_issued.max(theirs.next_run_id());
    for their in &theirs.detection_runs {
        if let Some(before) = base.run(their.id) {
            let (before, theirs_now) = (run_value(before), run_value(their));
            if before == theirs_now {
                continue;
            }
            match ours.detection_runs.iter().position(|r| r.id == their.id) {
                Some(i) if run_value(&ours.detection_runs[i]) == before => {
                    ours.detection_runs[i] = their.clone();
                    report.taken += 1;
                }
                Some(i) if run_value(&ours.detection_runs[i]) == theirs_now => {}
                _ => report.not_taken += 1,
            }
            continue;
        }
        if ours
            .run(their.id)
            .is_some_and(|mine| run_value(mine) == run_value(their))
        {
            continue;
        }
        let mut run = their.clone();
        let map = |id: &ProjectRecordingId| recordings.get(id).copied();
        run.recordings
            .retain_mut(|part| match map(&part.recording) {
                Some(id) => {
                    part.recording = id;
                    true
                }
                None => false,
            });
        run.pending = run.pending.iter().filter_map(map).collect();
        run.failed = run
            .failed
            .iter()
            .filter_map(|(id, why)| map(id).map(|id| (id, why.clone())))
            .collect();
        // Theirs' id stays unless this session has given it out; a run given a new id has its
        // scores read now, since its side files are named by the old id, which the session's
        // own run may overwrite when it saves.
        if renumbered(their.id, ours_issued, ours) {
            run.id = ours.next_run_id();
            let readable = run.recordings.len();
            run.recordings.retain(|part| part.scores.get().is_ok());
            report.not_taken += readable - run.recordings.len();
        }
        ours.add_run(run);
        report.runs_added += 1;
    }
    let before = ours.detection_runs.len();
    ours.detection_runs.retain(|mine| {
        let removed_there = base.run(mine.id).is_some() && theirs.run(mine.id).is_none();
        !(removed_there && base.run(mine.id).map(run_value) == Some(run_value(mine)))
    });
    report.taken += before - ours.detection_runs.len();
}

/// Labels, models, clip folders: theirs' new ones added; the model input taken where only they
/// changed it.
fn merge_settings(ours: &mut Project, base: &Project, theirs: &Project, report: &mut DiskMerge) {
    for label in &theirs.labels {
        if !ours.labels.iter().any(|l| l.name == label.name)
            && !base.labels.iter().any(|l| l.name == label.name)
        {
            ours.labels.push(label.clone());
            report.taken += 1;
        }
    }
    for model in &theirs.models {
        if !ours.models.contains(model) && !base.models.contains(model) {
            ours.models.push(model.clone());
            report.taken += 1;
        }
    }
    for folder in &theirs.clip_folders {
        if !ours.clip_folders.iter().any(|f| f.path == folder.path)
            && !base.clip_folders.iter().any(|f| f.path == folder.path)
        {
            ours.clip_folders.push(folder.clone());
            report.taken += 1;
        }
    }
    let input = |p: &Project| (p.model_input, p.propose_model_input);
    if input(theirs) != input(base) {
        if input(ours) == input(base) {
            ours.model_input = theirs.model_input;
            ours.propose_model_input = theirs.propose_model_input;
            report.taken += 1;
        } else if input(ours) != input(theirs) {
            report.not_taken += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotation::SelectionKind;
    use crate::project::fixtures::recording;

    fn selection(project: &mut Project, recording: u32, start_secs: f64) -> SelectionId {
        let id = project.selections.new_id();
        project.selections.apply(&Edit::Insert(vec![Selection {
            id,
            recording: ProjectRecordingId(recording),
            start_secs,
            end_secs: start_secs + 1.0,
            low_hz: 100.0,
            high_hz: 2_000.0,
            label: "call".to_owned(),
            kind: SelectionKind::Positive,
            extra: BTreeMap::new(),
        }]));
        id
    }

    /// A new run over `recording` whose every window scores `score`; its id.
    fn run(project: &mut Project, recording: u32, score: f32) -> u32 {
        let run = crate::project::fixtures::run(project.next_run_id(), recording, vec![score; 10]);
        let id = run.id;
        project.add_run(run);
        id
    }

    fn base() -> Project {
        let mut project = Project::default();
        project.recordings.push(recording(0, "/data/a.wav"));
        project.ids_issued.recordings = 1;
        selection(&mut project, 0, 1.0);
        project
    }

    #[test]
    fn what_each_side_added_is_kept_and_ids_given_out_twice_are_renumbered() {
        let base = base();
        let mut ours = base.clone();
        let mine = selection(&mut ours, 0, 5.0);
        let mut theirs = base.clone();
        theirs.recordings.push(recording(1, "/data/b.wav"));
        theirs.ids_issued.recordings = 2;
        let their_selection = selection(&mut theirs, 1, 2.0);
        assert_eq!(mine, their_selection, "both sides gave out the same id");
        run(&mut theirs, 1, 0.9);

        let report = merge_from_disk(&mut ours, &base, &theirs);
        assert_eq!(
            (
                report.recordings_added,
                report.selections_added,
                report.runs_added
            ),
            (1, 1, 1)
        );
        assert_eq!(ours.selections.len(), 3);
        assert_eq!(ours.selections.get(mine).unwrap().start_secs, 5.0);
        let added = ours
            .selections
            .items()
            .iter()
            .find(|s| s.start_secs == 2.0)
            .unwrap();
        assert_ne!(added.id, mine);
        let b = ours
            .recording_at(std::path::Path::new("/data/b.wav"))
            .unwrap();
        assert_eq!(added.recording, b.id);
        assert_eq!(ours.detection_runs[0].recordings[0].recording, b.id);
    }

    #[test]
    fn edits_there_are_taken_where_ours_left_the_item_alone() {
        let mut base = base();
        let second = selection(&mut base, 0, 3.0);
        let first = base.selections.items()[0].id;
        let mut ours = base.clone();
        let mut theirs = base.clone();
        // They moved both selections and marked the recording; we moved the second one too.
        let moved = |project: &mut Project, id: SelectionId, to: f64| {
            let before = project.selections.get(id).unwrap().clone();
            let after = Selection {
                start_secs: to,
                ..before.clone()
            };
            project.selections.apply(&Edit::Update {
                before: vec![before],
                after: vec![after],
            });
        };
        moved(&mut theirs, first, 7.0);
        moved(&mut theirs, second, 8.0);
        moved(&mut ours, second, 9.0);
        theirs.recordings[0].fully_annotated = true;
        let report = merge_from_disk(&mut ours, &base, &theirs);
        assert_eq!(ours.selections.get(first).unwrap().start_secs, 7.0);
        assert_eq!(ours.selections.get(second).unwrap().start_secs, 9.0);
        assert!(ours.recordings[0].fully_annotated);
        assert_eq!((report.taken, report.not_taken), (2, 1));
        assert!(report.describe().contains("not taken"));
    }

    #[test]
    fn a_run_id_taken_on_both_sides_keeps_both_runs_scores() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.syrinx");
        let base = base();
        base.save(&path).unwrap();
        // The command line stores run 1 (scores 0.9) in the file; the app has its own run 1
        // (scores 0.2), not saved yet.
        let mut theirs = Project::load(&path).unwrap().0;
        let their_run = run(&mut theirs, 0, 0.9);
        theirs.save(&path).unwrap();
        let mut ours = base.clone();
        let my_run = run(&mut ours, 0, 0.2);
        assert_eq!(my_run, their_run);

        let on_disk = Project::load(&path).unwrap().0;
        let report = merge_from_disk(&mut ours, &base, &on_disk);
        assert_eq!(report.runs_added, 1);
        ours.save(&path).unwrap();

        let (saved, _) = Project::load(&path).unwrap();
        let mut scores: Vec<(u32, f32)> = saved
            .detection_runs
            .iter()
            .map(|r| (r.id, r.recordings[0].scores.get().unwrap().scores[0]))
            .collect();
        scores.sort_by_key(|(id, _)| *id);
        assert_eq!(scores.len(), 2);
        assert_eq!(scores[0], (my_run, 0.2));
        assert!((scores[1].1 - 0.9).abs() < 1e-6 && scores[1].0 != my_run);
    }
}
