//! What review shows on the workspace: the detection under review (opened and centred), the
//! reviewed run's detections to draw, the workspace following an undo, boxes drawn while
//! reviewing as missed calls, and the detection as a "Find more like this" query.

use super::ReviewState;
use crate::annotation::ProjectRecordingId;
use crate::gui::similar::SimilarQuery;
use crate::gui::spectrogram_view::DetectionView;
use crate::gui::workbench::Workbench;
use crate::project::Project;

impl ReviewState {
    /// The current detection's recording and span.
    pub fn current_detection(&self, project: &Project) -> Option<(ProjectRecordingId, f64, f64)> {
        let run = self.run(project)?;
        let at = self.current()?;
        let d = run.get(at)?;
        Some((
            run.recording_of(at)?,
            d.detection.start_secs,
            d.detection.end_secs,
        ))
    }

    /// The detection under review as a "Find more like this" query: its span, the run's band
    /// and label (`None` when the panel is closed).
    #[must_use]
    pub fn similar_query(&self, project: &Project) -> Option<SimilarQuery> {
        if !self.open {
            return None;
        }
        let (recording, start_secs, end_secs) = self.current_detection(project)?;
        let run = self.run(project)?;
        let band_hz = self
            .current()
            .and_then(|at| run.get(at))
            .and_then(|d| d.detection.band_or(run.band_hz));
        let (low_hz, high_hz) = band_hz.unwrap_or((0.0, f64::MAX));
        Some(SimilarQuery {
            query: crate::similar::QueryBox {
                recording,
                start_secs,
                end_secs,
                low_hz,
                high_hz,
            },
            label: run.label.clone(),
            kind: crate::annotation::SelectionKind::Positive,
        })
    }

    /// Follows a step undone or redone: a run it removed leaves review, and a verdict it
    /// changed is shown again.
    pub fn after_step(&mut self, bench: &mut Workbench, done: &crate::project::StepDone) {
        let project = &bench.session.document.project;
        if self.run(project).is_none() {
            self.reset();
        }
        self.refresh_queue(project);
        if let Some((run_id, at)) = done.verdict_detection {
            self.run_id = Some(run_id);
            self.refresh_queue(project);
            if let Some(n) = self.queue.iter().position(|q| *q == at) {
                self.position = n;
            }
            self.show_current_detection(bench);
        }
    }

    /// Opens the current detection's recording and centres the view on it.
    pub fn show_current_detection(&mut self, bench: &mut Workbench) {
        self.label_next.showing = false;
        let Some((recording, start_secs, end_secs)) =
            self.current_detection(&bench.session.document.project)
        else {
            return;
        };
        match bench.workspace.open_recording_of(recording).map(|r| r.id) {
            Some(open) => {
                bench.workspace.active = Some(open);
                if let Some(shown) = bench.workspace.active_recording_mut() {
                    let span = shown.viewport.span_secs.max(end_secs - start_secs + 2.0);
                    let centre = f64::midpoint(start_secs, end_secs);
                    shown
                        .viewport
                        .show_span(centre - span / 2.0, centre + span / 2.0);
                    shown.cursor_secs = Some(start_secs);
                }
            }
            None => {
                bench.workspace.pending_detection = true;
                bench.show_project_recording(recording);
            }
        }
    }

    /// After a recording opened: centre on the detection that asked for it.
    pub fn after_recording_opened(
        &mut self,
        bench: &mut Workbench,
        project_id: ProjectRecordingId,
    ) {
        if bench.workspace.pending_detection
            && self
                .current_detection(&bench.session.document.project)
                .is_some_and(|(recording, _, _)| recording == project_id)
        {
            bench.workspace.pending_detection = false;
            self.show_current_detection(bench);
        }
    }

    /// The reviewed run's detections on `recording` between `start_secs` and `end_secs`, each
    /// with its box (its own band, else the run's); for a multi-class model's run, the other
    /// classes' detections of the same pass too, each class in its colour.
    pub fn detection_views(
        &self,
        project: &Project,
        recording: ProjectRecordingId,
        start_secs: f64,
        end_secs: f64,
    ) -> Vec<DetectionView> {
        let Some(run) = self.run(project) else {
            return Vec::new();
        };
        // The label-next window on screen is framed as the one under review is.
        let label_next = self
            .label_next
            .shown_window()
            .filter(|w| w.recording == recording);
        let current = self.current().filter(|_| label_next.is_none());
        let asked = label_next.map(|w| DetectionView {
            start_secs: w.start_secs,
            end_secs: w.end_secs,
            band_hz: run.band_hz,
            score: w.score,
            verdict: None,
            current: true,
            class: None,
            change: None,
        });
        // Against an earlier run (once the panel has compared them): gained ones tagged, lost
        // ones drawn dashed.
        let change = self.fresh_change(project, run);
        let gained: std::collections::HashSet<crate::project::runs::DetectionRef> = change
            .map(|c| c.gained.iter().copied().collect())
            .unwrap_or_default();
        let classes = project.class_runs(run);
        let multi_class = classes.len() > 1;
        let mut views: Vec<DetectionView> = Vec::new();
        for (class_index, class_run) in classes.iter().enumerate() {
            let reviewed = class_run.id == run.id;
            let class = multi_class.then(|| {
                (
                    class_run.label.clone(),
                    crate::gui::theme::CLASSES[class_index % crate::gui::theme::CLASSES.len()],
                )
            });
            let Some((index, part)) = class_run
                .recordings
                .iter()
                .enumerate()
                .find(|(_, p)| p.recording == recording)
            else {
                continue;
            };
            views.extend(
                part.detections
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| {
                        d.detection.end_secs >= start_secs && d.detection.start_secs <= end_secs
                    })
                    .map(|(i, d)| DetectionView {
                        start_secs: d.detection.start_secs,
                        end_secs: d.detection.end_secs,
                        band_hz: d.detection.band_or(class_run.band_hz),
                        score: d.detection.max_score,
                        verdict: d.verdict,
                        current: reviewed
                            && current
                                .is_some_and(|c| c.recording_idx == index && c.detection_idx == i),
                        class: class.clone(),
                        change: (reviewed
                            && gained.contains(&crate::project::runs::DetectionRef {
                                recording_idx: index,
                                detection_idx: i,
                            }))
                        .then_some(crate::gui::spectrogram_view::IterationChange::Gained),
                    }),
            );
        }
        if change.is_some() {
            views.extend(self.lost_views(project, recording, start_secs, end_secs));
        }
        views.extend(asked);
        views
    }

    /// While reviewing, boxes drawn are calls the model missed (see `Annotator::missed_call`).
    pub fn update_missed_call_mode(&mut self, bench: &mut Workbench) {
        bench.workspace.annotator.missed_call = if self.open {
            self.run(&bench.session.document.project)
                .map(|run| (run.label.clone(), crate::review::missed_call_columns(run)))
        } else {
            None
        };
    }
}
