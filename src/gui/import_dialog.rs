//! The import preview: the user picks the label column and what each label means (positive,
//! negative, or left out), sees the counts and any warnings, then imports as one undoable step.

use std::collections::BTreeMap;
use std::path::PathBuf;

use eframe::egui;

use crate::annotation::{
    Edit, ImportOptions, ImportPreview, ParsedTable, ProjectRecordingId, SelectionKind,
    UnknownLabels, preview_import,
};
use crate::session::Document;

/// What rows with a label become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelChoice {
    Positive,
    Negative,
    Skip,
}

/// Words that mark a label as "not the target" when first guessing.
const NEGATIVE_WORDS: [&str; 8] = [
    "noise",
    "negative",
    "neg",
    "background",
    "false",
    "fp",
    "other",
    "unknown",
];

/// An import being previewed.
#[derive(Debug)]
pub struct ImportDialog {
    pub path: PathBuf,
    pub table: ParsedTable,
    pub options: ImportOptions,
    pub choices: BTreeMap<String, LabelChoice>,
    /// The recording rows without a file name go to.
    pub target: Option<ProjectRecordingId>,
    preview: Option<ImportPreview>,
}

/// What the user did with the dialog this frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportAction {
    None,
    Cancel,
    /// Import was clicked: apply [`ImportDialog::import_step`].
    Import,
}

impl ImportDialog {
    #[must_use]
    pub fn new(path: PathBuf, table: ParsedTable, target: Option<ProjectRecordingId>) -> Self {
        let options = ImportOptions::suggested(&table);
        Self {
            path,
            table,
            options,
            choices: BTreeMap::new(),
            target,
            preview: None,
        }
    }

    fn has_kind_column(&self) -> bool {
        self.table.rows.iter().any(|r| r.kind.is_some())
    }

    fn rows_without_file(&self) -> usize {
        self.table.rows.iter().filter(|r| r.file.is_none()).count()
    }

    /// Options with the per-label choices applied.
    fn effective_options(&self) -> ImportOptions {
        let mut options = self.options.clone();
        options.positive_labels.clear();
        options.negative_labels.clear();
        for (label, choice) in &self.choices {
            match choice {
                LabelChoice::Positive => options.positive_labels.insert(label.clone()),
                LabelChoice::Negative => options.negative_labels.insert(label.clone()),
                LabelChoice::Skip => false,
            };
        }
        options.unknown = UnknownLabels::Skip;
        options
    }

    /// Recomputes the preview (ids from a copy of the project's selections).
    fn refresh(&mut self, document: &Document) {
        // Every label in the chosen column gets a choice: the table's Kind where it has one,
        // else a guess from its name.
        let labels: Vec<(String, Option<SelectionKind>)> = self
            .table
            .rows
            .iter()
            .map(|row| (self.options.label_of(row), row.kind))
            .collect();
        for (label, kind) in labels {
            self.choices
                .entry(label)
                .or_insert_with_key(|label| match kind {
                    Some(SelectionKind::Positive) => LabelChoice::Positive,
                    Some(SelectionKind::Negative) => LabelChoice::Negative,
                    None => guess(label),
                });
        }
        let mut ids = document.project.selections.clone();
        let options = self.effective_options();
        let default = self.target;
        self.preview = Some(preview_import(
            &self.table,
            &options,
            |row| document.project.import_target(row, default),
            &mut ids,
        ));
    }

    /// The import as one undo step: its name and the insert (the dialog changes nothing
    /// itself; the app applies it).
    #[must_use]
    pub fn import_step(&self, document: &Document) -> (String, Edit) {
        let options = self.effective_options();
        let default = self.target;
        let mut ids = document.project.selections.clone();
        let preview = preview_import(
            &self.table,
            &options,
            |row| document.project.import_target(row, default),
            &mut ids,
        );
        let name = format!(
            "import {}",
            self.path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        );
        (name, Edit::Insert(preview.selections))
    }

    /// Draws the dialog; returns what the user asked for.
    pub fn ui(&mut self, ctx: &egui::Context, document: &Document) -> ImportAction {
        if self.preview.is_none() {
            self.refresh(document);
        }
        let mut action = ImportAction::None;
        let mut changed = false;
        let mut open = true;
        egui::Window::new("Import selections")
            .open(&mut open)
            .pivot(egui::Align2::CENTER_TOP)
            .default_pos(ctx.content_rect().center_top() + egui::vec2(0.0, 100.0))
            .default_width(560.0)
            .collapsible(false)
            .show(ctx, |ui| {
                ui.label(format!(
                    "{} · {} table · {} row(s)",
                    self.path.display(),
                    self.table.format.name(),
                    self.table.rows.len()
                ));
                ui.separator();
                changed |= self.options_ui(ui, document);
                ui.separator();
                ui.strong("What each label is");
                changed |= self.labels_ui(ui);
                action = self.summary_ui(ui);
            });
        if changed {
            self.refresh(document);
        }
        if !open {
            action = ImportAction::Cancel;
        }
        action
    }

    /// Label column, Kind column, the recording for rows naming no file.
    fn options_ui(&mut self, ui: &mut egui::Ui, document: &Document) -> bool {
        let mut changed = false;
        egui::Grid::new("import options")
            .num_columns(2)
            .show(ui, |ui| {
                ui.label("Label column");
                let shown = self
                    .options
                    .label_column
                    .clone()
                    .unwrap_or_else(|| LABEL_FIELD.to_owned());
                egui::ComboBox::from_id_salt("label column")
                    .selected_text(shown)
                    .show_ui(ui, |ui| {
                        let column = &mut self.options.label_column;
                        if self.table.columns.is_empty() {
                            changed |= ui.selectable_value(column, None, LABEL_FIELD).changed();
                        }
                        for name in &self.table.columns {
                            changed |= ui
                                .selectable_value(column, Some(name.clone()), name)
                                .changed();
                        }
                    })
                    .response
                    .accessible_name("Label column")
                    .on_hover_text(
                        "The column whose values are the selections' labels (species codes)",
                    );
                ui.end_row();
                if self.has_kind_column() {
                    ui.label("Kind column");
                    changed |= ui
                        .checkbox(
                            &mut self.options.use_kind_column,
                            "use the table's Kind column where set",
                        )
                        .on_hover_text(
                            "Rows that say positive or negative keep it; the label choices below \
                             apply to the rest",
                        )
                        .changed();
                    ui.end_row();
                }
                let without_file = self.rows_without_file();
                if without_file > 0 {
                    ui.label("Recording");
                    changed |= self.target_ui(ui, document, without_file);
                    ui.end_row();
                }
            });
        changed
    }

    fn target_ui(&mut self, ui: &mut egui::Ui, document: &Document, without_file: usize) -> bool {
        let mut changed = false;
        let name = self
            .target
            .and_then(|id| document.project.recording(id))
            .map_or_else(
                || "(choose a recording)".to_owned(),
                crate::project::ProjectRecording::name,
            );
        egui::ComboBox::from_id_salt("import target")
            .selected_text(name)
            .show_ui(ui, |ui| {
                for recording in &document.project.recordings {
                    changed |= ui
                        .selectable_value(&mut self.target, Some(recording.id), recording.name())
                        .changed();
                }
            })
            .response
            .accessible_name("Recording for rows without a file")
            .on_hover_text(format!("{without_file} row(s) name no file: they go here"));
        changed
    }

    /// One row per label: its count and positive / negative / leave out.
    fn labels_ui(&mut self, ui: &mut egui::Ui) -> bool {
        let mut changed = false;
        let from_kind_column = self.options.use_kind_column && self.has_kind_column();
        if from_kind_column {
            ui.weak("Rows with a Kind use it; untick the Kind column to choose per label.");
        }
        let counts = self
            .preview
            .as_ref()
            .map(|p| p.labels.clone())
            .unwrap_or_default();
        egui::ScrollArea::vertical()
            .id_salt("import labels")
            .max_height(220.0)
            .show(ui, |ui| {
                egui::Grid::new("import labels grid")
                    .striped(true)
                    .num_columns(5)
                    .show(ui, |ui| {
                        ui.strong("Label");
                        ui.strong("Rows");
                        ui.end_row();
                        for (label, rows) in &counts {
                            let Some(choice) = self.choices.get_mut(label) else {
                                continue;
                            };
                            ui.label(if label.is_empty() {
                                "(no label)"
                            } else {
                                label
                            });
                            ui.label(rows.to_string());
                            for (value, text) in [
                                (LabelChoice::Positive, "positive"),
                                (LabelChoice::Negative, "negative"),
                                (LabelChoice::Skip, "leave out"),
                            ] {
                                let radio = egui::RadioButton::new(*choice == value, text);
                                if ui
                                    .add_enabled(!from_kind_column, radio)
                                    .on_hover_text(
                                        "What rows with this label become: positives (the call), \
                                         negatives (anything else), or not imported",
                                    )
                                    .clicked()
                                {
                                    *choice = value;
                                    changed = true;
                                }
                            }
                            ui.end_row();
                        }
                    });
            });
        changed
    }

    /// Counts, unmatched files, warnings and the buttons.
    fn summary_ui(&self, ui: &mut egui::Ui) -> ImportAction {
        let mut action = ImportAction::None;
        let Some(preview) = &self.preview else {
            return action;
        };
        ui.separator();
        let of_kind = |kind: SelectionKind| -> usize {
            preview
                .counts
                .iter()
                .filter(|((_, k), _)| *k == kind)
                .map(|(_, n)| n)
                .sum()
        };
        ui.label(format!(
            "Will import {} selection(s): {} positive, {} negative; {} left out.",
            preview.selections.len(),
            of_kind(SelectionKind::Positive),
            of_kind(SelectionKind::Negative),
            preview.skipped
        ));
        for (file, rows) in &preview.unmatched_files {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!("{rows} row(s) for {file}: not in the project (add the recording first)"),
            );
        }
        if !preview.warnings.is_empty() {
            let title = format!("{} warning(s)", preview.warnings.len());
            ui.collapsing(title, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("import warnings")
                    .max_height(120.0)
                    .show(ui, |ui| {
                        for warning in &preview.warnings {
                            ui.label(warning.to_string());
                        }
                    });
            });
        }
        ui.horizontal(|ui| {
            let count = preview.selections.len();
            let button = egui::Button::new(format!("Import {count} selection(s)"));
            if ui
                .add_enabled(count > 0, button)
                .on_hover_text("Adds them to the project (one undoable step)")
                .clicked()
            {
                action = ImportAction::Import;
            }
            if ui
                .button("Cancel")
                .on_hover_text("Closes this window; nothing is imported")
                .clicked()
            {
                action = ImportAction::Cancel;
            }
        });
        action
    }
}

/// The label column choice for tables whose label is a field of their own (Audacity).
const LABEL_FIELD: &str = "(label field)";

fn guess(label: &str) -> LabelChoice {
    let lower = label.to_lowercase();
    let negative = lower
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| NEGATIVE_WORDS.contains(&word));
    if negative {
        LabelChoice::Negative
    } else {
        LabelChoice::Positive
    }
}
