//! The annotation bar (kind and label of new boxes, undo/redo, the project's save state, Train)
//! and the selection panel (the selected box's measurements, play and zoom; the table).

use std::collections::BTreeSet;

use eframe::egui;

use super::{MeasureKey, MeasurementState, Request, Workbench};
use crate::annotation::SelectionKind;
use crate::gui::commands::Command;
use crate::gui::spectrogram_view::kind_color;

impl Workbench<'_> {
    /// Kind and label of new boxes, undo/redo, what is selected; the project's save state and
    /// Train (`train_label` says whether it runs).
    pub fn annotation_bar_ui(&mut self, ui: &mut egui::Ui, train_label: &str) {
        egui::Panel::top("annotation bar").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label("Draw");
                for (kind, text, key) in [
                    (SelectionKind::Positive, "Positive", "1"),
                    (SelectionKind::Negative, "Negative", "2"),
                ] {
                    let selected = self.workspace.annotator.kind == kind;
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
                        self.workspace.annotator.set_kind(kind);
                    }
                }
                let label = ui.label("Label");
                ui.add(
                    egui::TextEdit::singleline(&mut self.workspace.annotator.label)
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
                            self.workspace.annotator.set_label(&label.name, label.kind);
                            ui.close();
                        }
                    }
                    ui.separator();
                    if ui.button("Labels…").clicked() {
                        self.session.request(Request::Command(Command::Labels));
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
                    self.session.request(Request::Command(Command::Undo));
                }
                if ui
                    .add_enabled(redo.is_some(), egui::Button::new("Redo"))
                    .on_hover_text(redo.map_or_else(
                        || "Nothing to redo".to_owned(),
                        |n| format!("Redo {n} (Ctrl+Shift+Z)"),
                    ))
                    .clicked()
                {
                    self.session.request(Request::Command(Command::Redo));
                }
                ui.separator();
                let selected = self.workspace.annotator.selected.len();
                if selected > 0 {
                    ui.label(format!("{selected} selected"));
                    if ui
                        .button(format!("Make {}", self.workspace.annotator.next_box_text()))
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
                        self.workspace.annotator.delete_selected(&mut self.session.document);
                    }
                } else {
                    // Only where it cannot run under what the bar's right end shows (the Train
                    // button, the project's name and state): a narrow window, large text.
                    let hint = "Drag on the spectrogram to draw a box";
                    let text_width = |text: &str| {
                        ui.painter()
                            .layout_no_wrap(
                                text.to_owned(),
                                egui::TextStyle::Body.resolve(ui.style()),
                                egui::Color32::WHITE,
                            )
                            .size()
                            .x
                    };
                    let right_end = text_width(&self.session.document.title())
                        + text_width("unsaved changes")
                        + text_width(train_label)
                        + 160.0;
                    if ui.available_width() > text_width(hint) + right_end {
                        ui.weak(hint);
                    }
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
                    if ui
                        .button(train_label)
                        .on_hover_text("Ctrl+T: train a recogniser on this project's selections")
                        .clicked()
                    {
                        self.session.request(Request::Command(Command::Train));
                    }
                });
            });
        });
    }

    /// The bottom panel: the selected box's details and the selection table.
    pub fn selection_panel_ui(&mut self, ui: &mut egui::Ui) {
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
                let active = self.workspace.active_recording().map(|r| r.project_id);
                let output = self.workspace.table.ui(
                    ui,
                    &self.session.document,
                    &self.workspace.annotator,
                    active,
                );
                if let Some((name, edit)) = output.edit {
                    self.session.document.edit_coalescing(name, edit);
                }
                if let Some(click) = output.clicked {
                    if click.toggle {
                        if !self.workspace.annotator.selected.remove(&click.id) {
                            self.workspace.annotator.selected.insert(click.id);
                        }
                    } else {
                        self.workspace.annotator.selected = BTreeSet::from([click.id]);
                        self.jump_to_selection(click.id);
                    }
                }
            });
    }

    fn selected_strip_ui(&mut self, ui: &mut egui::Ui) {
        let Some(selection) = self
            .workspace
            .annotator
            .single(&self.session.document)
            .cloned()
        else {
            ui.horizontal(|ui| {
                let n = self.workspace.annotator.selected.len();
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
            match self.workspace.measurement.as_ref().filter(|m| m.key == MeasureKey::of(&selection)) {
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
            ui.checkbox(&mut self.workspace.play_band_limited, "band-limited")
                .on_hover_text("Play only the box's frequencies (a band-pass of its low and high edges)");
            if ui.button("Zoom to").on_hover_text("Fit the view to the box").clicked() {
                self.zoom_to_selection(selection.id);
            }
        });
    }
}
