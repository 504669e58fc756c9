//! Editing selections on the spectrogram: which boxes are selected, the kind and label new boxes
//! get, the gesture in progress, the clipboard. Pointer events come in as time and frequency
//! (the pane converts pixels); every change goes through the [`Document`]'s undo history.

use std::collections::BTreeSet;

use super::spectrogram_view::{BoxView, PanePointer};
use crate::annotation::boxedit::{Gesture, Hit, Outcome, TfBox};
use crate::annotation::{Edit, ProjectRecordingId, Selection, SelectionId, SelectionKind};
use crate::session::Document;

/// Undo step names (shown in the Edit menu).
pub const DRAW: &str = "draw selection";
pub const MOVE: &str = "move";
pub const RESIZE: &str = "resize";
pub const DELETE: &str = "delete";
pub const PASTE: &str = "paste";
pub const NUDGE: &str = "nudge";
pub const SET_LABEL: &str = "change label";

/// What the pointer handler needs to know about the recording on screen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EditTarget {
    pub recording: ProjectRecordingId,
    pub duration_secs: f64,
    pub nyquist_hz: f64,
    /// Smallest box drawn by a drag (smaller is a click).
    pub min_secs: f64,
    pub min_hz: f64,
}

impl EditTarget {
    fn clamp(&self, b: TfBox) -> TfBox {
        b.clamped(self.duration_secs, self.nyquist_hz)
    }
}

/// The box editor's state.
#[derive(Debug, Clone)]
pub struct Annotator {
    pub selected: BTreeSet<SelectionId>,
    /// Kind and label of boxes drawn next.
    pub kind: SelectionKind,
    pub label: String,
    /// While reviewing detections: a drawn box is a call the model missed, so it is made
    /// Positive with this label (when none is chosen) and these provenance columns.
    pub missed_call: Option<(String, std::collections::BTreeMap<String, String>)>,
    clipboard: Vec<Selection>,
    gesture: Option<Gesture>,
}

impl Default for Annotator {
    fn default() -> Self {
        Self {
            selected: BTreeSet::new(),
            kind: SelectionKind::Positive,
            label: String::new(),
            missed_call: None,
            clipboard: Vec::new(),
            gesture: None,
        }
    }
}

impl Annotator {
    /// The boxes of `recording` overlapping `[start_secs, end_secs)`, with the gesture in progress
    /// applied (a box being moved is drawn where it would land).
    #[must_use]
    pub fn boxes(
        &self,
        document: &Document,
        target: &EditTarget,
        start_secs: f64,
        end_secs: f64,
    ) -> Vec<BoxView> {
        let moving = match &self.gesture {
            Some(Gesture::Moving { ids, from, to }) => {
                Some((ids, to.secs - from.secs, to.hz - from.hz))
            }
            _ => None,
        };
        let resizing = match &self.gesture {
            Some(Gesture::Resizing { id, .. }) => Some(*id),
            _ => None,
        };
        document
            .project
            .selections
            .of_recording(target.recording)
            .filter(|s| resizing != Some(s.id))
            .filter_map(|s| {
                let mut tf = tf_of(s);
                if let Some((ids, dt, dhz)) = moving
                    && ids.contains(&s.id)
                {
                    tf = target.clamp(shifted(tf, dt, dhz));
                }
                (tf.start_secs < end_secs && start_secs < tf.end_secs).then(|| BoxView {
                    id: s.id,
                    tf,
                    kind: s.kind,
                    label: s.label.clone(),
                    selected: self.selected.contains(&s.id),
                })
            })
            .collect()
    }

    /// The box being drawn or resized.
    #[must_use]
    pub fn preview(&self, target: &EditTarget) -> Option<TfBox> {
        self.gesture
            .as_ref()
            .and_then(|g| g.preview((0.0, target.nyquist_hz)))
            .map(|b| target.clamp(b))
    }

    /// Whether a drag is under way.
    #[must_use]
    pub fn is_dragging(&self) -> bool {
        self.gesture.is_some()
    }

    /// Drops the gesture in progress.
    pub fn cancel_gesture(&mut self) {
        self.gesture = None;
    }

    /// Handles pointer input on `target`'s spectrogram. Returns where to put the cursor, when a
    /// click on empty spectrogram asks for it.
    pub fn pointer(
        &mut self,
        document: &mut Document,
        target: &EditTarget,
        event: PanePointer,
    ) -> Option<f64> {
        match event {
            PanePointer::Clicked { at, hit, command } => match hit {
                Hit::Body(id) | Hit::Handle(id, _) => {
                    if command {
                        if !self.selected.remove(&id) {
                            self.selected.insert(id);
                        }
                    } else {
                        self.selected = BTreeSet::from([id]);
                    }
                    None
                }
                Hit::Nothing => {
                    if !command {
                        self.selected.clear();
                    }
                    Some(at.secs)
                }
            },
            PanePointer::Pressed {
                at,
                hit,
                shift,
                command,
            } => {
                self.gesture = Some(match hit {
                    Hit::Handle(id, handle) => {
                        let original = document.project.selections.get(id).map(tf_of)?;
                        self.selected = BTreeSet::from([id]);
                        Gesture::Resizing {
                            id,
                            handle,
                            original,
                            to: at,
                        }
                    }
                    Hit::Body(id) => {
                        if command {
                            self.selected.insert(id);
                        } else if !self.selected.contains(&id) {
                            self.selected = BTreeSet::from([id]);
                        }
                        Gesture::Moving {
                            ids: self.selected.iter().copied().collect(),
                            from: at,
                            to: at,
                        }
                    }
                    Hit::Nothing => Gesture::Drawing {
                        from: at,
                        to: at,
                        full_band: shift,
                    },
                });
                None
            }
            PanePointer::Dragged { at } => {
                if let Some(gesture) = &mut self.gesture {
                    gesture.update(at);
                }
                None
            }
            PanePointer::Released { at } => {
                let mut gesture = self.gesture.take()?;
                gesture.update(at);
                let outcome =
                    gesture.finish((0.0, target.nyquist_hz), target.min_secs, target.min_hz)?;
                self.apply_outcome(document, target, outcome);
                None
            }
        }
    }

    fn apply_outcome(&mut self, document: &mut Document, target: &EditTarget, outcome: Outcome) {
        match outcome {
            Outcome::Create(tf) => {
                let tf = target.clamp(tf);
                let mut selection = Selection {
                    id: document.project.selections.new_id(),
                    recording: target.recording,
                    start_secs: tf.start_secs,
                    end_secs: tf.end_secs,
                    low_hz: tf.low_hz,
                    high_hz: tf.high_hz,
                    label: self.label.clone(),
                    kind: self.kind,
                    extra: Default::default(),
                };
                if let Some((label, columns)) = &self.missed_call {
                    selection.kind = SelectionKind::Positive;
                    if selection.label.is_empty() {
                        selection.label.clone_from(label);
                    }
                    selection.extra.clone_from(columns);
                }
                self.selected = BTreeSet::from([selection.id]);
                document.edit(DRAW, vec![Edit::Insert(vec![selection])]);
            }
            Outcome::Move {
                ids,
                delta_secs,
                delta_hz,
            } => {
                let edit = update(document, &ids, |s| {
                    set_tf(s, target.clamp(shifted(tf_of(s), delta_secs, delta_hz)));
                });
                document.edit(MOVE, vec![edit]);
            }
            Outcome::Resize { id, to } => {
                let edit = update(document, &[id], |s| set_tf(s, target.clamp(to)));
                document.edit(RESIZE, vec![edit]);
            }
        }
    }

    /// Sets the kind of the next boxes drawn (the selected ones keep theirs: see
    /// [`apply_to_selected`](Self::apply_to_selected)).
    pub fn set_kind(&mut self, kind: SelectionKind) {
        self.kind = kind;
    }

    /// Sets the label (and kind) of the next boxes drawn.
    /// What new boxes will be, in words: "positive · trill" (or "· no label").
    #[must_use]
    pub fn next_box_text(&self) -> String {
        let label = self.label.trim();
        format!(
            "{} · {}",
            self.kind.name(),
            if label.is_empty() { "no label" } else { label }
        )
    }

    pub fn set_label(&mut self, label: &str, kind: SelectionKind) {
        self.label = label.to_owned();
        self.kind = kind;
    }

    /// Gives the selected boxes the current kind and label (one undo step); returns how many
    /// changed.
    pub fn apply_to_selected(&mut self, document: &mut Document) -> usize {
        let (kind, label) = (self.kind, self.label.clone());
        let ids: Vec<_> = self
            .selected
            .iter()
            .copied()
            .filter(|id| {
                document
                    .project
                    .selections
                    .get(*id)
                    .is_some_and(|s| s.kind != kind || s.label != label)
            })
            .collect();
        if ids.is_empty() {
            return 0;
        }
        let edit = update(document, &ids, |s| {
            s.label.clone_from(&label);
            s.kind = kind;
        });
        document.edit(SET_LABEL, vec![edit]);
        ids.len()
    }

    pub fn delete_selected(&mut self, document: &mut Document) {
        let doomed: Vec<Selection> = self
            .selected
            .iter()
            .filter_map(|id| document.project.selections.get(*id).cloned())
            .collect();
        self.selected.clear();
        document.edit(DELETE, vec![Edit::Delete(doomed)]);
    }

    /// Copies the selected boxes; returns how many.
    pub fn copy(&mut self, document: &Document) -> usize {
        self.clipboard = self
            .selected
            .iter()
            .filter_map(|id| document.project.selections.get(*id).cloned())
            .collect();
        self.clipboard.len()
    }

    /// Pastes the copied boxes into `target`'s recording, the earliest starting at `at_secs`
    /// (their own times when `None`); the pasted boxes become the selection.
    pub fn paste(&mut self, document: &mut Document, target: &EditTarget, at_secs: Option<f64>) {
        let Some(first) = self
            .clipboard
            .iter()
            .map(|s| s.start_secs)
            .min_by(f64::total_cmp)
        else {
            return;
        };
        let shift = at_secs.map_or(0.0, |at| at - first);
        let pasted: Vec<Selection> = self
            .clipboard
            .clone()
            .into_iter()
            .map(|mut s| {
                s.id = document.project.selections.new_id();
                s.recording = target.recording;
                let moved = target.clamp(shifted(tf_of(&s), shift, 0.0));
                set_tf(&mut s, moved);
                s
            })
            .collect();
        self.selected = pasted.iter().map(|s| s.id).collect();
        document.edit(PASTE, vec![Edit::Insert(pasted)]);
    }

    /// Moves the selected boxes by `(delta_secs, delta_hz)`; repeated nudges are one undo step.
    pub fn nudge(
        &mut self,
        document: &mut Document,
        target: &EditTarget,
        delta_secs: f64,
        delta_hz: f64,
    ) {
        let ids: Vec<_> = self.selected.iter().copied().collect();
        let edit = update(document, &ids, |s| {
            set_tf(s, target.clamp(shifted(tf_of(s), delta_secs, delta_hz)));
        });
        document.edit_coalescing(NUDGE, edit);
    }

    /// Selects every box of `recording`.
    pub fn select_all(&mut self, document: &Document, recording: ProjectRecordingId) {
        self.selected = document
            .project
            .selections
            .of_recording(recording)
            .map(|s| s.id)
            .collect();
    }

    /// Forgets selected ids that no longer exist (after undo, or a new project).
    pub fn prune(&mut self, document: &Document) {
        if self.selected.is_empty() {
            return;
        }
        self.selected
            .retain(|id| document.project.selections.get(*id).is_some());
    }

    /// The one selected box, if exactly one is selected.
    #[must_use]
    pub fn single<'a>(&self, document: &'a Document) -> Option<&'a Selection> {
        match self.selected.len() {
            1 => self
                .selected
                .first()
                .and_then(|id| document.project.selections.get(*id)),
            _ => None,
        }
    }
}

/// An update of the selections `ids` by `change`.
fn update(document: &Document, ids: &[SelectionId], change: impl FnMut(&mut Selection)) -> Edit {
    let selections: Vec<&Selection> = ids
        .iter()
        .filter_map(|id| document.project.selections.get(*id))
        .collect();
    Edit::update(&selections, change)
}

#[must_use]
pub fn tf_of(s: &Selection) -> TfBox {
    TfBox {
        start_secs: s.start_secs,
        end_secs: s.end_secs,
        low_hz: s.low_hz,
        high_hz: s.high_hz,
    }
}

fn set_tf(s: &mut Selection, b: TfBox) {
    s.start_secs = b.start_secs;
    s.end_secs = b.end_secs;
    s.low_hz = b.low_hz;
    s.high_hz = b.high_hz;
}

fn shifted(b: TfBox, delta_secs: f64, delta_hz: f64) -> TfBox {
    TfBox {
        start_secs: b.start_secs + delta_secs,
        end_secs: b.end_secs + delta_secs,
        low_hz: b.low_hz + delta_hz,
        high_hz: b.high_hz + delta_hz,
    }
}
