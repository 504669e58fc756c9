//! Annotation in the window: the drawing bar (kind, label, undo/redo), the selection panel (the
//! selected box's measurements, play and zoom; the table), the Edit menu and the box-editing
//! keys. The editing itself is in `gui::annotate`; this wires it to the window.

use std::collections::BTreeSet;

use eframe::egui;

use super::{Cleanup, Event, SyrinxApp, edit_target};
use crate::annotation::{Selection, SelectionId, SelectionKind, TableRow, write_raven};
use crate::gui::annotate::{Annotator, EditTarget};
use crate::gui::spectrogram_view::kind_color;
use crate::measure::{Measurement, measure};
use crate::playback::PlaybackFilter;
use crate::project::LabelDef;
use crate::session::Document;

/// Identifies what a measurement was taken of (the box may be edited meanwhile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeasureKey {
    id: SelectionId,
    bounds: [u64; 4],
}

impl MeasureKey {
    fn of(s: &Selection) -> Self {
        Self {
            id: s.id,
            bounds: [
                s.start_secs.to_bits(),
                s.end_secs.to_bits(),
                s.low_hz.to_bits(),
                s.high_hz.to_bits(),
            ],
        }
    }
}

/// The selected box's measurement: `None` while it is being taken.
#[derive(Debug)]
pub struct MeasurementState {
    key: MeasureKey,
    result: Option<Result<Measurement, crate::audio::AudioError>>,
}

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

impl SyrinxApp {
    /// The box editor's view of the recording on screen.
    pub(super) fn active_target(&self) -> Option<EditTarget> {
        self.active_recording()
            .map(|recording| edit_target(recording, &self.session.document))
    }

    /// Copies the selected boxes (also as a Raven table on the system clipboard, for
    /// spreadsheets).
    pub fn copy_selection(&mut self, ctx: &egui::Context) {
        let copied = self.ui.annotator.copy(&self.session.document);
        if copied == 0 {
            return;
        }
        let rows: Vec<TableRow> = self
            .ui
            .annotator
            .selected
            .iter()
            .filter_map(|id| self.session.document.project.selections.get(*id))
            .map(|s| TableRow::from_selection(s, None))
            .collect();
        ctx.copy_text(write_raven(&rows));
        self.info(format!("Copied {copied} selection(s)"));
    }

    /// Pastes copied boxes at the cursor of the recording on screen.
    pub fn paste_selection(&mut self) {
        let Some(target) = self.active_target() else {
            return;
        };
        let at = self.active_recording().and_then(|r| r.cursor_secs);
        self.ui
            .annotator
            .paste(&mut self.session.document, &target, at);
    }

    /// The box-editing keys of the drawing context (Esc, 1 / 2, label hotkeys; the rest are
    /// commands: see `gui::commands`).
    pub(super) fn annotation_shortcuts(&mut self, ctx: &egui::Context) {
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
            if self.ui.annotator.is_dragging() {
                self.ui.annotator.cancel_gesture();
            } else {
                self.ui.annotator.selected.clear();
            }
        }
        // 1 and 2 set the kind of the next box only: "press 1, drag; press 2, drag" must not
        // turn the first box into a negative. Changing the selected boxes is Ctrl+L.
        if consume(shortcut(Modifiers::NONE, Key::Num1)) {
            self.ui.annotator.set_kind(SelectionKind::Positive);
        }
        if consume(shortcut(Modifiers::NONE, Key::Num2)) {
            self.ui.annotator.set_kind(SelectionKind::Negative);
        }
        // Label hotkeys only while the spectrogram has focus (it was clicked last), so typing
        // "0.3" after clicking a button or a table row labels nothing.
        if self.ui.spectrogram_focused {
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
                self.ui.annotator.set_label(&label.name, label.kind);
                self.info(format!(
                    "Next boxes: {} ({}); Ctrl+L gives it to the selected boxes.",
                    label.name,
                    label.kind.name()
                ));
            }
        }
        self.nudge_keys(ctx);
    }

    /// Gives the selected boxes the kind and label of new boxes, and says so.
    pub fn apply_to_selected(&mut self) {
        let n = self
            .ui
            .annotator
            .apply_to_selected(&mut self.session.document);
        let what = format!(
            "{} · {}",
            self.ui.annotator.kind.name(),
            if self.ui.annotator.label.trim().is_empty() {
                "no label"
            } else {
                self.ui.annotator.label.trim()
            }
        );
        if n > 0 {
            self.info(format!("{n} box(es) made {what} (Ctrl+Z undoes)."));
        } else if self.ui.annotator.selected.is_empty() {
            self.info("Select boxes first (click, Ctrl+click or Ctrl+A).".to_owned());
        } else {
            self.info(format!("The selected boxes are already {what}."));
        }
    }

    /// Arrows move the selected boxes (a hundredth of the view; with Shift a tenth).
    fn nudge_keys(&mut self, ctx: &egui::Context) {
        if self.ui.annotator.selected.is_empty() {
            return;
        }
        let Some(target) = self.active_target() else {
            return;
        };
        let Some(span) = self.active_recording().map(|r| r.viewport.span_secs) else {
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
                self.ui
                    .annotator
                    .nudge(&mut self.session.document, &target, delta_secs, delta_hz);
            }
        }
    }

    /// Kind and label of new boxes, undo/redo, what is selected.
    pub(super) fn annotation_bar_ui(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("annotation bar").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label("Draw");
                for (kind, text, key) in [
                    (SelectionKind::Positive, "Positive", "1"),
                    (SelectionKind::Negative, "Negative", "2"),
                ] {
                    let selected = self.ui.annotator.kind == kind;
                    let rich = egui::RichText::new(text).color(if selected {
                        kind_color(kind)
                    } else {
                        ui.visuals().weak_text_color()
                    });
                    if ui
                        .selectable_label(selected, rich)
                        .on_hover_text(format!("{key}: the next boxes are {}", kind.name()))
                        .clicked()
                    {
                        self.ui.annotator.set_kind(kind);
                    }
                }
                let label = ui.label("Label");
                ui.add(
                    egui::TextEdit::singleline(&mut self.ui.annotator.label)
                        .hint_text("e.g. species code")
                        .desired_width(130.0),
                )
                .labelled_by(label.id)
                .on_hover_text("The label new boxes get");
                ui.menu_button("Choose…", |ui| {
                    let labels = self.session.document.project.labels.clone();
                    if labels.is_empty() {
                        ui.weak("No labels yet: type one, or add them in Labels…");
                    }
                    for label in labels {
                        let text = match label.hotkey {
                            Some(key) => {
                                format!("{} ({}) — key {key}", label.name, label.kind.name())
                            }
                            None => format!("{} ({})", label.name, label.kind.name()),
                        };
                        if ui.button(text).clicked() {
                            self.ui.annotator.set_label(&label.name, label.kind);
                            ui.close();
                        }
                    }
                    ui.separator();
                    if ui.button("Labels…").clicked() {
                        self.ui.show_labels = true;
                        ui.close();
                    }
                })
                .response
                .on_hover_text("Choose the label of the next boxes");
                ui.separator();
                let undo = self.session.document.undo.undo_name().map(str::to_owned);
                let redo = self.session.document.undo.redo_name().map(str::to_owned);
                if ui
                    .add_enabled(undo.is_some(), egui::Button::new("Undo"))
                    .on_hover_text(undo.map_or_else(
                        || "Nothing to undo".to_owned(),
                        |n| format!("Undo {n} (Ctrl+Z)"),
                    ))
                    .clicked()
                {
                    self.undo();
                }
                if ui
                    .add_enabled(redo.is_some(), egui::Button::new("Redo"))
                    .on_hover_text(redo.map_or_else(
                        || "Nothing to redo".to_owned(),
                        |n| format!("Redo {n} (Ctrl+Shift+Z)"),
                    ))
                    .clicked()
                {
                    self.redo();
                }
                ui.separator();
                let selected = self.ui.annotator.selected.len();
                if selected > 0 {
                    ui.label(format!("{selected} selected"));
                    if ui
                        .button(format!(
                            "Make {} · {}",
                            self.ui.annotator.kind.name(),
                            if self.ui.annotator.label.trim().is_empty() {
                                "no label"
                            } else {
                                self.ui.annotator.label.trim()
                            }
                        ))
                        .on_hover_text(
                            "Ctrl+L: give the selected boxes the kind and label above (Ctrl+Z undoes)",
                        )
                        .clicked()
                    {
                        self.apply_to_selected();
                    }
                    if ui
                        .button("Delete")
                        .on_hover_text("Delete the selected boxes (Delete)")
                        .clicked()
                    {
                        self.ui.annotator.delete_selected(&mut self.session.document);
                    }
                } else {
                    ui.weak("Drag on the spectrogram to draw a box");
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let status = if self.session.saves.busy() {
                        "saving…".to_owned()
                    } else if self.session.document.is_dirty() {
                        "unsaved changes".to_owned()
                    } else if self.session.document.save_path().is_some() {
                        "saved".to_owned()
                    } else {
                        String::new()
                    };
                    ui.weak(status);
                    ui.strong(self.session.document.title());
                    ui.separator();
                    let label = if self.ui.training.is_running() {
                        "Training…"
                    } else {
                        "Train…"
                    };
                    if ui
                        .button(label)
                        .on_hover_text("Ctrl+T: train a recogniser on this project's selections")
                        .clicked()
                    {
                        self.open_training();
                    }
                });
            });
        });
    }

    /// The bottom panel: the selected box's details and the selection table.
    pub(super) fn selection_panel_ui(&mut self, ui: &mut egui::Ui) {
        // A third of the window at most to start with: on a 720-pixel laptop screen the
        // spectrogram keeps most of the height.
        let default_height = (ui.available_height() * 0.28).clamp(120.0, 250.0);
        // Bounded by the window (not only at first), so a window made smaller keeps a usable
        // spectrogram above it.
        let max_height = (ui.available_height() * 0.3).max(90.0);
        egui::Panel::bottom("selections")
            .resizable(true)
            .default_size(default_height)
            .min_size(90.0)
            .max_size(max_height)
            .show(ui, |ui| {
                self.selected_strip_ui(ui);
                ui.separator();
                let active = self.active_recording().map(|r| r.project_id);
                let output =
                    self.ui
                        .table
                        .ui(ui, &self.session.document, &self.ui.annotator, active);
                if let Some((name, edit)) = output.edit {
                    self.session.document.edit_coalescing(name, edit);
                }
                if let Some(click) = output.clicked {
                    if click.toggle {
                        if !self.ui.annotator.selected.remove(&click.id) {
                            self.ui.annotator.selected.insert(click.id);
                        }
                    } else {
                        self.ui.annotator.selected = BTreeSet::from([click.id]);
                        self.jump_to_selection(click.id);
                    }
                }
            });
    }

    fn selected_strip_ui(&mut self, ui: &mut egui::Ui) {
        let Some(selection) = self.ui.annotator.single(&self.session.document).cloned() else {
            ui.horizontal(|ui| {
                let n = self.ui.annotator.selected.len();
                if n > 1 {
                    ui.label(format!("{n} boxes selected"));
                } else {
                    ui.weak("Click a box or a row to see its measurements, play it or zoom to it.");
                }
            });
            return;
        };
        ui.horizontal_wrapped(|ui| {
            ui.strong(format!("Selection {}", selection.id.0 + 1));
            ui.colored_label(kind_color(selection.kind), selection.kind.name());
            ui.label(format!(
                "{:.3}–{:.3} s (Δt {:.3} s) · {:.0}–{:.0} Hz (bandwidth {:.0} Hz)",
                selection.start_secs,
                selection.end_secs,
                selection.duration_secs(),
                selection.low_hz,
                selection.high_hz,
                selection.bandwidth_hz()
            ));
            match self.ui.measurement.as_ref().filter(|m| m.key == MeasureKey::of(&selection)) {
                Some(MeasurementState { result: Some(Ok(m)), .. }) => {
                    let peak = if m.peak_hz.is_finite() {
                        format!("{:.0} Hz", m.peak_hz)
                    } else {
                        "—".to_owned()
                    };
                    ui.label(format!(
                        "· peak {peak} · RMS {:.1} dBFS · in band {:.1} dB",
                        m.rms_dbfs, m.band_level_db
                    ))
                    .on_hover_text("Peak: the frequency with most energy inside the box. RMS: the level of the waveform over the box's time span. In band: the energy inside the box's frequencies.");
                }
                Some(MeasurementState { result: Some(Err(error)), .. }) => {
                    ui.colored_label(ui.visuals().error_fg_color, error.to_string());
                }
                Some(_) => {
                    ui.spinner();
                }
                None => {
                    ui.weak("(open its recording to measure)");
                }
            }
            if ui.button("Play box").on_hover_text("Play the box").clicked() {
                self.play_selection(selection.id);
            }
            ui.checkbox(&mut self.ui.play_band_limited, "band-limited")
                .on_hover_text("Play only the box's frequencies (a band-pass of its low and high edges)");
            if ui.button("Zoom to").on_hover_text("Fit the view to the box").clicked() {
                self.zoom_to_selection(selection.id);
            }
        });
    }

    /// Starts measuring the single selected box when it changed.
    pub(super) fn update_measurement(&mut self) {
        let Some(selection) = self.ui.annotator.single(&self.session.document).cloned() else {
            return;
        };
        let key = MeasureKey::of(&selection);
        if self.ui.measurement.as_ref().is_some_and(|m| m.key == key) {
            return;
        }
        let Some(reader) = self
            .open_recording_of(selection.recording)
            .and_then(|r| r.reader.try_clone().ok())
        else {
            return;
        };
        self.ui.measurement = Some(MeasurementState { key, result: None });
        self.spawn_job("measuring a selection", Cleanup::Nothing, move || {
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

    pub(super) fn measured(
        &mut self,
        key: MeasureKey,
        result: Result<Measurement, crate::audio::AudioError>,
    ) {
        if let Some(state) = &mut self.ui.measurement
            && state.key == key
        {
            state.result = Some(result);
        }
    }

    /// Shows a selection: its recording (opened if needed), the view around it, the cursor at
    /// its start.
    pub fn jump_to_selection(&mut self, id: SelectionId) {
        let Some(selection) = self.session.document.project.selections.get(id).cloned() else {
            return;
        };
        match self.open_recording_of(selection.recording).map(|r| r.id) {
            Some(open) => {
                self.ui.active = Some(open);
                if let Some(recording) = self.active_recording_mut() {
                    recording
                        .viewport
                        .reveal(selection.start_secs, selection.end_secs);
                    recording.cursor_secs = Some(selection.start_secs);
                }
            }
            None => {
                self.ui.pending_jump = Some(id);
                self.show_project_recording(selection.recording);
            }
        }
    }

    /// Fits the view (time and frequency) to a selection, with a margin.
    pub fn zoom_to_selection(&mut self, id: SelectionId) {
        let Some(selection) = self.session.document.project.selections.get(id).cloned() else {
            return;
        };
        self.jump_to_selection(id);
        let params = self.prefs.primary.params;
        let Some(recording) = self
            .active_recording_mut()
            .filter(|r| r.project_id == selection.recording)
        else {
            return;
        };
        let pad_secs = (0.25 * selection.duration_secs()).max(0.05);
        recording.viewport.show_span(
            selection.start_secs - pad_secs,
            selection.end_secs + pad_secs,
        );
        let axis = params.axis(recording.info.sample_rate_hz);
        let fraction = |hz: f64| (axis.row_at_hz(hz) + 0.5) / axis.rows as f64;
        let (low, high) = (fraction(selection.low_hz), fraction(selection.high_hz));
        let pad = 0.15 * (high - low).max(0.02);
        recording.viewport.show_fractions(low - pad, high + pad);
    }

    /// Plays a selection (through a band-pass of its frequencies when `play_band_limited`).
    pub fn play_selection(&mut self, id: SelectionId) {
        let Some(selection) = self.session.document.project.selections.get(id).cloned() else {
            return;
        };
        if self
            .active_recording()
            .is_none_or(|r| r.project_id != selection.recording)
        {
            self.jump_to_selection(id);
            if self
                .active_recording()
                .is_none_or(|r| r.project_id != selection.recording)
            {
                self.info("Opening the recording; press Play again when it is shown.".to_owned());
                return;
            }
        }
        let nyquist = self
            .active_recording()
            .map_or(0.0, |r| f64::from(r.info.sample_rate_hz) / 2.0);
        let filter = if self.ui.play_band_limited {
            PlaybackFilter {
                high_pass_hz: (selection.low_hz > 20.0).then_some(selection.low_hz as f32),
                low_pass_hz: (selection.high_hz < nyquist * 0.98)
                    .then_some(selection.high_hz as f32),
            }
        } else {
            self.prefs.playback_filter
        };
        self.ui.player.stop();
        self.play_span(selection.start_secs, selection.end_secs, filter);
    }
}
