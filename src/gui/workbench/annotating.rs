//! Box editing in the workspace: the Edit menu's copy, paste and "make selected", the
//! box-editing keys, the selected box's measurement, and the label set kept in step. The
//! editing itself is in `gui::annotate`; the bars that show it are `selection_panel.rs`.

use std::collections::BTreeSet;

use eframe::egui;

use super::{Cleanup, Event, MeasureKey, MeasurementState, OpenRecording, Workbench};
use crate::annotation::{SelectionKind, TableRow, write_raven};
use crate::gui::annotate::{Annotator, EditTarget};
use crate::measure::{Measurement, measure};
use crate::project::LabelDef;
use crate::session::Document;

/// Adds the label of the box just drawn to the project's label set, if it is new, as part of
/// the drawing's undo step.
pub fn remember_label(document: &mut Document, annotator: &Annotator) {
    let name = annotator.label.trim();
    if !name.is_empty() && !document.project.labels.iter().any(|l| l.name == name) {
        let label = LabelDef {
            name: name.to_owned(),
            kind: annotator.kind,
            hotkey: None,
        };
        document.project.labels.push(label.clone());
        document
            .undo
            .attach_to_last(crate::project::ProjectChange::LabelsAdded(vec![label]));
        document.touch();
    }
}

/// Adds every label in use to the label set (after an import), as part of the last undo step:
/// undoing the import takes them away again.
pub fn remember_labels(document: &mut Document) {
    let known: BTreeSet<String> = document
        .project
        .labels
        .iter()
        .map(|l| l.name.clone())
        .collect();
    let mut new: Vec<LabelDef> = Vec::new();
    for selection in document.project.selections.items() {
        if !selection.label.is_empty()
            && !known.contains(&selection.label)
            && !new.iter().any(|l| l.name == selection.label)
        {
            new.push(LabelDef {
                name: selection.label.clone(),
                kind: selection.kind,
                hotkey: None,
            });
        }
    }
    if !new.is_empty() {
        document.project.labels.extend(new.iter().cloned());
        document
            .undo
            .attach_to_last(crate::project::ProjectChange::LabelsAdded(new));
        document.touch();
    }
}

/// What the box editor needs to know about `recording`.
#[must_use]
pub fn edit_target(recording: &OpenRecording, document: &Document) -> EditTarget {
    let nyquist_hz = f64::from(recording.info.sample_rate_hz) / 2.0;
    let duration_secs = document
        .project
        .recording(recording.project_id)
        .map_or(recording.info.duration_secs(), |r| {
            r.duration_secs.max(recording.info.duration_secs())
        });
    EditTarget {
        recording: recording.project_id,
        duration_secs,
        nyquist_hz,
        // A drag shorter than about 3 pixels on a 1000-pixel view is a click.
        min_secs: recording.viewport.span_secs * 0.003,
        min_hz: nyquist_hz * 0.003,
    }
}

impl Workbench<'_> {
    /// The box editor's view of the recording on screen.
    pub fn active_target(&self) -> Option<EditTarget> {
        self.workspace
            .active_recording()
            .map(|recording| edit_target(recording, &self.session.document))
    }

    /// Keeps the selection to boxes of the recording on screen: switching recordings clears
    /// it, so Delete, Ctrl+L or the arrows never change a box the user cannot see.
    pub fn keep_selection_on_screen(&mut self) {
        let on_screen = self.workspace.active_recording().map(|r| r.project_id);
        let selections = &self.session.document.project.selections;
        self.workspace.annotator.selected.retain(|id| {
            selections
                .get(*id)
                .is_some_and(|s| Some(s.recording) == on_screen)
        });
    }

    /// Copies the selected boxes (also as a Raven table on the system clipboard, for
    /// spreadsheets).
    pub fn copy_selection(&mut self, ctx: &egui::Context) {
        let copied = self.workspace.annotator.copy(&self.session.document);
        if copied == 0 {
            return;
        }
        let rows: Vec<TableRow> = self
            .workspace
            .annotator
            .selected
            .iter()
            .filter_map(|id| self.session.document.project.selections.get(*id))
            .map(|s| TableRow::from_selection(s, None))
            .collect();
        ctx.copy_text(write_raven(&rows));
        self.session.info(format!("Copied {copied} selection(s)"));
    }

    /// Pastes copied boxes at the cursor of the recording on screen.
    pub fn paste_selection(&mut self) {
        let Some(target) = self.active_target() else {
            return;
        };
        let at = self
            .workspace
            .active_recording()
            .and_then(|r| r.cursor_secs);
        self.workspace
            .annotator
            .paste(&mut self.session.document, &target, at);
    }

    /// The box-editing keys of the drawing context (Esc, 1 / 2, label hotkeys; the rest are
    /// commands: see `gui::commands`).
    pub fn annotation_shortcuts(&mut self, ctx: &egui::Context) {
        use egui::{Key, KeyboardShortcut, Modifiers};
        let shortcut = |modifiers, key| KeyboardShortcut::new(modifiers, key);
        let consume = |s: KeyboardShortcut| ctx.input_mut(|i| i.consume_shortcut(&s));
        let typed: Vec<char> = ctx.input(|i| {
            i.events
                .iter()
                .filter_map(|e| match e {
                    egui::Event::Text(text) => text.chars().next(),
                    _ => None,
                })
                .collect()
        });
        if consume(shortcut(Modifiers::NONE, Key::Escape)) {
            if self.workspace.annotator.is_dragging() {
                self.workspace.annotator.cancel_gesture();
            } else {
                self.workspace.annotator.selected.clear();
            }
        }
        // 1 and 2 set the kind of the next box only: "press 1, drag; press 2, drag" must not
        // turn the first box into a negative. Changing the selected boxes is Ctrl+L.
        for (key, kind) in [
            (Key::Num1, SelectionKind::Positive),
            (Key::Num2, SelectionKind::Negative),
        ] {
            if consume(shortcut(Modifiers::NONE, key)) {
                self.next_boxes_of(kind);
            }
        }
        // Label hotkeys only while the spectrogram has focus (it was clicked last), so typing
        // "0.3" after clicking a button or a table row labels nothing.
        if self.workspace.spectrogram_focused {
            for c in typed {
                let c = c.to_ascii_lowercase();
                let Some(label) = self
                    .session
                    .document
                    .project
                    .labels
                    .iter()
                    .find(|l| l.hotkey == Some(c))
                    .cloned()
                else {
                    continue;
                };
                self.workspace.annotator.set_label(&label.name, label.kind);
                self.session.info(format!(
                    "Next boxes: {} ({}); Ctrl+L gives it to the selected boxes.",
                    label.name,
                    label.kind.name()
                ));
            }
        }
        self.nudge_keys(ctx);
    }

    /// New boxes will be of `kind`. They keep the label chosen unless it is empty or one of
    /// the other kind's; then they take the project's most used label of `kind`, so that a
    /// box drawn right after pressing 1 is a "syrinx warbler", not an unlabelled positive.
    pub fn next_boxes_of(&mut self, kind: SelectionKind) {
        let project = &self.session.document.project;
        let current = self.workspace.annotator.label.trim().to_owned();
        let other_kinds = project.label_kind(&current).is_some_and(|k| k != kind);
        self.workspace.annotator.set_kind(kind);
        if (current.is_empty() || other_kinds)
            && let Some(label) = project.most_used_label(kind)
        {
            self.workspace.annotator.set_label(&label, kind);
        }
    }

    /// Gives the selected boxes the kind and label of new boxes, and says so.
    pub fn apply_to_selected(&mut self) {
        let n = self
            .workspace
            .annotator
            .apply_to_selected(&mut self.session.document);
        let what = self.workspace.annotator.next_box_text();
        if n > 0 {
            self.session
                .info(format!("{n} box(es) made {what} (Ctrl+Z undoes)."));
        } else if self.workspace.annotator.selected.is_empty() {
            self.session
                .info("Select boxes first (click, Ctrl+click or Ctrl+A).".to_owned());
        } else {
            self.session
                .info(format!("The selected boxes are already {what}."));
        }
    }

    /// Arrows move the selected boxes (a hundredth of the view; with Shift a tenth).
    fn nudge_keys(&mut self, ctx: &egui::Context) {
        if self.workspace.annotator.selected.is_empty() {
            return;
        }
        let Some(target) = self.active_target() else {
            return;
        };
        let Some(span) = self
            .workspace
            .active_recording()
            .map(|r| r.viewport.span_secs)
        else {
            return;
        };
        use egui::{Key, Modifiers};
        let shift = ctx.input(|i| i.modifiers.shift);
        let factor = if shift { 0.1 } else { 0.01 };
        let (dt, dhz) = (span * factor, target.nyquist_hz * factor);
        let moves = [
            (Key::ArrowLeft, -dt, 0.0),
            (Key::ArrowRight, dt, 0.0),
            (Key::ArrowUp, 0.0, dhz),
            (Key::ArrowDown, 0.0, -dhz),
        ];
        for (key, delta_secs, delta_hz) in moves {
            if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, key)) {
                self.workspace.annotator.nudge(
                    &mut self.session.document,
                    &target,
                    delta_secs,
                    delta_hz,
                );
            }
        }
    }

    /// Starts measuring the single selected box when it changed.
    pub fn update_measurement(&mut self) {
        let Some(selection) = self
            .workspace
            .annotator
            .single(&self.session.document)
            .cloned()
        else {
            return;
        };
        let key = MeasureKey::of(&selection);
        if self
            .workspace
            .measurement
            .as_ref()
            .is_some_and(|m| m.key == key)
        {
            return;
        }
        let Some(reader) = self
            .workspace
            .open_recording_of(selection.recording)
            .and_then(|r| r.reader.try_clone().ok())
        else {
            return;
        };
        self.workspace.measurement = Some(MeasurementState { key, result: None });
        self.session
            .spawn_job("measuring a selection", Cleanup::Nothing, move || {
                let mut reader = reader;
                let result = measure(
                    &mut reader,
                    selection.start_secs,
                    selection.end_secs,
                    selection.low_hz,
                    selection.high_hz,
                );
                Event::Measured(key, result)
            });
    }

    pub fn measured(
        &mut self,
        key: MeasureKey,
        result: Result<Measurement, crate::audio::AudioError>,
    ) {
        if let Some(state) = &mut self.workspace.measurement
            && state.key == key
        {
            state.result = Some(result);
        }
    }
}
