//! Small windows that ask for something: a path (typed, or picked with the native dialog when
//! there is one), export options, the label set.

use std::path::PathBuf;

use eframe::egui;

use super::files::PathPurpose;
use crate::annotation::{ProjectRecordingId, SelectionKind, TableFormat};
use crate::project::LabelDef;

/// What a path is asked for (the native dialog's purpose, plus what the answer is for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptFor {
    OpenProject,
    SaveProjectAs,
    ImportTable,
    OpenFolder,
    Relink(ProjectRecordingId),
    /// A recording, folder or project typed in full (where no file dialog can be shown).
    OpenPath,
    /// A pretrained ONNX embedder for the Train window.
    Embedder,
}

impl PromptFor {
    #[must_use]
    pub fn purpose(self) -> PathPurpose {
        match self {
            Self::OpenProject => PathPurpose::OpenProject,
            Self::SaveProjectAs => PathPurpose::SaveProjectAs,
            Self::ImportTable => PathPurpose::ImportTable,
            Self::OpenFolder => PathPurpose::OpenFolder,
            Self::Relink(_) => PathPurpose::Relink,
            Self::OpenPath => PathPurpose::OpenPath,
            Self::Embedder => PathPurpose::Embedder,
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Self::OpenProject => "/path/to/project.syrinx",
            Self::SaveProjectAs => "/path/to/new project.syrinx",
            Self::ImportTable => "/path/to/recording.Table.1.selections.txt",
            Self::OpenFolder => "/path/to/folder",
            Self::Relink(_) => "/new/path/to/recording.wav",
            Self::OpenPath => "/path/to/recording.wav (or a folder, or a .syrinx project)",
            Self::Embedder => "/path/to/perch_v2.json (beside perch_v2.onnx)",
        }
    }
}

/// A window asking for one path.
#[derive(Debug)]
pub struct PathPrompt {
    pub purpose: PromptFor,
    pub text: String,
    /// Extra words (e.g. which recording is being relinked).
    pub detail: String,
    /// The native dialog is open (its answer will fill the field).
    pub browsing: bool,
    /// The field has been given the keyboard once (typing goes straight into it).
    focused: bool,
}

/// What the user did with a prompt this frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptAction {
    None,
    Cancel,
    Browse,
    Accept(PathBuf),
}

impl PathPrompt {
    #[must_use]
    pub fn new(purpose: PromptFor, text: String, detail: String) -> Self {
        Self {
            purpose,
            text,
            detail,
            browsing: false,
            focused: false,
        }
    }

    pub fn ui(&mut self, ctx: &egui::Context) -> PromptAction {
        let mut action = PromptAction::None;
        let mut open = true;
        egui::Window::new(self.purpose.purpose().title())
            .id(egui::Id::unique("path prompt"))
            .open(&mut open)
            .collapsible(false)
            .pivot(egui::Align2::CENTER_TOP)
            .default_pos(ctx.content_rect().center_top() + egui::vec2(0.0, 120.0))
            .default_width(520.0)
            .show(ctx, |ui| {
                if !self.detail.is_empty() {
                    ui.label(&self.detail);
                }
                ui.horizontal(|ui| {
                    let label = ui.label("Path");
                    let field = ui
                        .add(
                            egui::TextEdit::singleline(&mut self.text)
                                .hint_text(self.purpose.hint())
                                .desired_width(380.0),
                        )
                        .labelled_by(label.id);
                    // Until the field has had the keyboard once (the window's first frame
                    // only measures it, so one request is not enough).
                    if !self.focused {
                        if field.has_focus() {
                            self.focused = true;
                        } else {
                            field.request_focus();
                        }
                    }
                    if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                        action = self.accept();
                    }
                    if ui
                        .add_enabled(!self.browsing, egui::Button::new("Browse…"))
                        .clicked()
                    {
                        self.browsing = true;
                        action = PromptAction::Browse;
                    }
                });
                if self.browsing {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.weak("waiting for the file dialog…");
                    });
                }
                ui.horizontal(|ui| {
                    if ui.button("OK").clicked() {
                        action = self.accept();
                    }
                    if ui.button("Cancel").clicked() {
                        action = PromptAction::Cancel;
                    }
                });
            });
        if !open {
            action = PromptAction::Cancel;
        }
        action
    }

    fn accept(&self) -> PromptAction {
        let text = self.text.trim();
        if text.is_empty() {
            PromptAction::None
        } else {
            PromptAction::Accept(PathBuf::from(text))
        }
    }
}

const CLIPS_HELP: &str =
    "One folder per kind and label: clips/<kind>/<label>/<recording>_<start>_<end>.wav";

/// Export settings.
#[derive(Debug, Clone)]
pub struct ExportDialog {
    pub format: TableFormat,
    pub folder: String,
    /// Every recording, or only the one on screen.
    pub all_recordings: bool,
    pub clips: bool,
    pub padding_secs: f64,
    pub browsing: bool,
}

/// What the user asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportAction {
    None,
    Cancel,
    Browse,
    Export,
}

impl ExportDialog {
    #[must_use]
    pub fn new(folder: String) -> Self {
        Self {
            format: TableFormat::Raven,
            folder,
            all_recordings: true,
            clips: false,
            padding_secs: 0.5,
            browsing: false,
        }
    }

    pub fn ui(&mut self, ctx: &egui::Context) -> ExportAction {
        let mut action = ExportAction::None;
        let mut open = true;
        egui::Window::new("Export selections")
            .open(&mut open)
            .pivot(egui::Align2::CENTER_TOP)
            .default_pos(ctx.content_rect().center_top() + egui::vec2(0.0, 120.0))
            .collapsible(false)
            .default_width(480.0)
            .show(ctx, |ui| {
                egui::Grid::new("export grid")
                    .num_columns(2)
                    .show(ui, |ui| {
                        ui.label("Format");
                        ui.vertical(|ui| {
                            ui.radio_value(
                                &mut self.format,
                                TableFormat::Raven,
                                "Raven selection tables (one per recording + one combined)",
                            )
                            .on_hover_text("Open in Raven Pro or Lite; extra columns are kept");
                            ui.radio_value(
                                &mut self.format,
                                TableFormat::Audacity,
                                "Audacity labels (one per recording, with frequencies)",
                            )
                            .on_hover_text("Import in Audacity with File > Import > Labels");
                            ui.radio_value(&mut self.format, TableFormat::Csv, "CSV (one file)")
                                .on_hover_text("recording, start_s, end_s, low_hz, high_hz, label, kind: for spreadsheets and scripts");
                        });
                        ui.end_row();
                        ui.label("Recordings");
                        ui.horizontal(|ui| {
                            ui.radio_value(&mut self.all_recordings, true, "all in the project")
                                .on_hover_text("Every recording's selections");
                            ui.radio_value(&mut self.all_recordings, false, "the one on screen")
                                .on_hover_text("Only the selections of the recording shown");
                        });
                        ui.end_row();
                        let label = ui.label("Folder");
                        ui.horizontal(|ui| {
                            ui.add(
                                egui::TextEdit::singleline(&mut self.folder)
                                    .hint_text("/path/to/export folder")
                                    .desired_width(300.0),
                            )
                            .labelled_by(label.id)
                            .on_hover_text("Where the tables (and clips) are written; created if needed");
                            if ui
                                .add_enabled(!self.browsing, egui::Button::new("Browse…"))
                                .on_hover_text("Choose the folder in a file dialog")
                                .clicked()
                            {
                                self.browsing = true;
                                action = ExportAction::Browse;
                            }
                        });
                        ui.end_row();
                        ui.label("Clips");
                        ui.horizontal(|ui| {
                            ui.checkbox(&mut self.clips, "also WAV clips, padded by")
                                .on_hover_text(CLIPS_HELP);
                            ui.add(
                                egui::DragValue::new(&mut self.padding_secs)
                                    .range(0.0..=30.0)
                                    .speed(0.05)
                                    .suffix(" s"),
                            )
                            .on_hover_text("Seconds of audio kept on each side of every clip");
                        });
                        ui.end_row();
                    });
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(!self.folder.trim().is_empty(), egui::Button::new("Export"))
                        .clicked()
                    {
                        action = ExportAction::Export;
                    }
                    if ui.button("Cancel").clicked() {
                        action = ExportAction::Cancel;
                    }
                });
            });
        if !open {
            action = ExportAction::Cancel;
        }
        action
    }
}

const LABELS_HELP: &str =
    "A label's hotkey gives the selected boxes (and the next ones drawn) that label and kind.";

/// One row per label: kind, hotkey, remove.
fn labels_grid_ui(ui: &mut egui::Ui, labels: &mut Vec<LabelDef>) -> bool {
    let mut changed = false;
    let mut remove = None;
    egui::Grid::new("labels grid")
        .striped(true)
        .num_columns(4)
        .show(ui, |ui| {
            ui.strong("Label");
            ui.strong("Kind");
            ui.strong("Hotkey");
            ui.end_row();
            for (index, label) in labels.iter_mut().enumerate() {
                ui.label(&label.name);
                egui::ComboBox::from_id_salt(("label kind", index))
                    .selected_text(label.kind.name())
                    .show_ui(ui, |ui| {
                        for kind in [SelectionKind::Positive, SelectionKind::Negative] {
                            changed |= ui
                                .selectable_value(&mut label.kind, kind, kind.name())
                                .changed();
                        }
                    })
                    .response
                    .accessible_name("Kind of this label")
                    .on_hover_text("Whether boxes with this label are target calls or not");
                let mut key = label.hotkey.map(String::from).unwrap_or_default();
                let field = egui::TextEdit::singleline(&mut key)
                    .char_limit(1)
                    .desired_width(24.0);
                if ui
                    .add(field)
                    .accessible_name("Hotkey of this label")
                    .on_hover_text("One key that gives the selected boxes this label")
                    .changed()
                {
                    let wanted = key.chars().next().map(|c| c.to_ascii_lowercase());
                    label.hotkey = wanted.filter(|c| !RESERVED_HOTKEYS.contains(c));
                    changed = true;
                }
                if ui
                    .small_button("remove")
                    .on_hover_text("Remove this label from the label set")
                    .clicked()
                {
                    remove = Some(index);
                }
                ui.end_row();
            }
        });
    if let Some(index) = remove {
        labels.remove(index);
        changed = true;
    }
    changed
}

/// Keys that already do something, so they cannot be label hotkeys.
pub const RESERVED_HOTKEYS: &[char] = &['1', '2', 'f', ' ', '+', '-', '='];

/// The label set editor: names, kinds and hotkeys. Returns whether anything changed.
pub fn labels_window(
    ctx: &egui::Context,
    open: &mut bool,
    labels: &mut Vec<LabelDef>,
    new_label: &mut String,
) -> bool {
    let mut changed = false;
    egui::Window::new("Labels")
        .open(open)
        .collapsible(false)
        .show(ctx, |ui| {
            ui.weak(LABELS_HELP);
            changed |= labels_grid_ui(ui, labels);
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(new_label)
                        .hint_text("new label")
                        .desired_width(160.0),
                )
                .on_hover_text("Type a label name and press + to add it");
                let name = new_label.trim().to_owned();
                let addable = !name.is_empty() && !labels.iter().any(|l| l.name == name);
                if ui.add_enabled(addable, egui::Button::new("Add")).clicked() {
                    labels.push(LabelDef {
                        name,
                        kind: SelectionKind::Positive,
                        hotkey: None,
                    });
                    new_label.clear();
                    changed = true;
                }
            });
        });
    // Hotkeys stay unique: a key given to one label is taken from the others.
    if changed {
        let mut seen = std::collections::BTreeSet::new();
        for label in labels.iter_mut().rev() {
            if let Some(key) = label.hotkey
                && !seen.insert(key)
            {
                label.hotkey = None;
            }
        }
    }
    changed
}
