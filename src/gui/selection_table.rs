//! The selection table (bottom panel), Raven style: one row per selection with its times,
//! frequencies, kind, label and any columns that came with an imported table. Sort by any
//! column, filter by text, kind and label; the selected row is edited in place; clicking a row
//! selects its box and jumps to it. Rows are virtualised, and the sorted, filtered order is
//! cached until the selections or the view of them change, so 10,000+ rows stay smooth.

use std::collections::{BTreeMap, BTreeSet};

use eframe::egui;
use egui_extras::{Column, TableBuilder};

use super::annotate::Annotator;
use super::spectrogram_view::kind_color;
use crate::annotation::{Edit, ProjectRecordingId, Selection, SelectionId, SelectionKind};
use crate::session::Document;

const ROW_HEIGHT: f32 = 22.0;
/// Accessible names of the selected row's number fields (screen readers, tests).
const EDIT_NAMES: [&str; 4] = [
    "Selection begin time",
    "Selection end time",
    "Selection low frequency",
    "Selection high frequency",
];

/// A column to sort by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SortColumn {
    Recording,
    Selection,
    Begin,
    End,
    Low,
    High,
    Delta,
    Kind,
    Label,
    Extra(String),
}

/// What the user asked for by clicking a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowClick {
    pub id: SelectionId,
    /// Ctrl/Cmd held: add to (or take from) the selection instead of replacing it.
    pub toggle: bool,
}

/// What a frame of the table asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct TableOutput {
    pub clicked: Option<RowClick>,
    /// An in-place edit of a cell, named for the undo menu; typing in one cell over several
    /// frames merges into one step (apply with [`Document::edit_coalescing`]).
    pub edit: Option<(&'static str, Edit)>,
}

/// The table's view state.
#[derive(Debug, Default)]
pub struct SelectionTable {
    pub filter_text: String,
    pub kind_filter: Option<SelectionKind>,
    pub label_filter: Option<String>,
    /// Rows of every recording (with a Recording column), not only the one on screen.
    pub all_recordings: bool,
    pub sort: Option<(SortColumn, bool)>,
    cache: Option<Cached>,
    /// The single selection the table last scrolled to.
    scrolled_to: Option<SelectionId>,
}

#[derive(Debug, Clone, PartialEq)]
struct CacheKey {
    version: u64,
    recording: Option<ProjectRecordingId>,
    filter_text: String,
    kind_filter: Option<SelectionKind>,
    label_filter: Option<String>,
    sort: Option<(SortColumn, bool)>,
}

#[derive(Debug)]
struct Cached {
    key: CacheKey,
    /// Indices into the selection set's items, in display order.
    rows: Vec<usize>,
    /// Extra columns present in the shown rows.
    extras: Vec<String>,
    /// Shown rows per kind and per label; rows before the text filters.
    by_kind: BTreeMap<SelectionKind, usize>,
    by_label: BTreeMap<String, usize>,
    labels: BTreeSet<String>,
    total: usize,
}

impl SelectionTable {
    /// The ids shown, in order (for tests and keyboard navigation).
    #[must_use]
    pub fn shown(
        &mut self,
        document: &Document,
        active: Option<ProjectRecordingId>,
    ) -> Vec<SelectionId> {
        let items = document.project.selections.items();
        self.cached(document, active)
            .rows
            .iter()
            .map(|i| items[*i].id)
            .collect()
    }

    fn cached(&mut self, document: &Document, active: Option<ProjectRecordingId>) -> &Cached {
        let key = CacheKey {
            version: document.project.selections.version(),
            recording: if self.all_recordings { None } else { active },
            filter_text: self.filter_text.trim().to_lowercase(),
            kind_filter: self.kind_filter,
            label_filter: self.label_filter.clone(),
            sort: self.sort.clone(),
        };
        if self.cache.as_ref().is_none_or(|c| c.key != key) {
            self.cache = Some(build(
                document,
                key,
                self.all_recordings || active.is_none(),
            ));
        }
        let Some(cached) = &self.cache else {
            unreachable!("the cache was just filled")
        };
        cached
    }

    /// Draws the table; returns what the user did (the table changes nothing itself).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        document: &Document,
        annotator: &Annotator,
        active: Option<ProjectRecordingId>,
    ) -> TableOutput {
        let mut clicked = None;
        self.toolbar_ui(ui, document, active);
        let all = self.all_recordings;
        let cached = self.cached(document, active);
        let rows = cached.rows.clone();
        let extras = cached.extras.clone();
        // Scroll to a box selected on the spectrogram.
        let single = (annotator.selected.len() == 1)
            .then(|| annotator.selected.first().copied())
            .flatten();
        let items = document.project.selections.items();
        let scroll_row = match single {
            Some(id) if self.scrolled_to != Some(id) => {
                self.scrolled_to = Some(id);
                rows.iter().position(|i| items[*i].id == id)
            }
            _ => None,
        };
        if single.is_none() {
            self.scrolled_to = None;
        }
        let mut edit: Option<(&'static str, Edit)> = None;
        let names: BTreeMap<ProjectRecordingId, String> = if all {
            document
                .project
                .recordings
                .iter()
                .map(|r| (r.id, r.name()))
                .collect()
        } else {
            BTreeMap::new()
        };
        let limits = |s: &Selection| {
            document
                .project
                .recording(s.recording)
                .map_or((f64::MAX, f64::MAX), |r| (r.duration_secs, r.nyquist_hz()))
        };
        let mut headers: Vec<(SortColumn, String)> = Vec::new();
        if all {
            headers.push((SortColumn::Recording, "Recording".to_owned()));
        }
        headers.extend([
            (SortColumn::Selection, "Selection".to_owned()),
            (SortColumn::Begin, "Begin Time (s)".to_owned()),
            (SortColumn::End, "End Time (s)".to_owned()),
            (SortColumn::Low, "Low Freq (Hz)".to_owned()),
            (SortColumn::High, "High Freq (Hz)".to_owned()),
            (SortColumn::Delta, "Delta Time (s)".to_owned()),
            (SortColumn::Kind, "Kind".to_owned()),
            (SortColumn::Label, "Label".to_owned()),
        ]);
        headers.extend(
            extras
                .iter()
                .map(|e| (SortColumn::Extra(e.clone()), e.clone())),
        );
        // Fill the panel: a table that shrinks to its rows would shrink the panel with it.
        egui::ScrollArea::horizontal()
            .id_salt("selection table scroll")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                let mut table = TableBuilder::new(ui)
                    .id_salt("selection table")
                    .striped(true)
                    .resizable(true)
                    .sense(egui::Sense::click())
                    .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
                    .auto_shrink([false, false])
                    .min_scrolled_height(0.0)
                    .max_scroll_height(f32::INFINITY);
                if all {
                    table = table.column(Column::initial(170.0).clip(true));
                }
                table = table
                    .column(Column::initial(70.0))
                    .columns(Column::initial(100.0), 5)
                    .column(Column::initial(80.0))
                    .column(Column::initial(160.0).clip(true))
                    .columns(Column::initial(110.0).clip(true), extras.len());
                if let Some(row) = scroll_row {
                    table = table.scroll_to_row(row, None);
                }
                table
                    .header(ROW_HEIGHT, |mut header| {
                        for (column, title) in &headers {
                            header.col(|ui| {
                                let arrow = match &self.sort {
                                    Some((c, true)) if c == column => " (asc)",
                                    Some((c, false)) if c == column => " (desc)",
                                    _ => "",
                                };
                                let response = ui
                                    .add(
                                        egui::Button::new(
                                            egui::RichText::new(format!("{title}{arrow}")).strong(),
                                        )
                                        .frame(false),
                                    )
                                    .on_hover_text("Sort by this column (again: reverse)");
                                if response.clicked() {
                                    self.sort = match &self.sort {
                                        Some((c, true)) if c == column => {
                                            Some((column.clone(), false))
                                        }
                                        Some((c, false)) if c == column => None,
                                        _ => Some((column.clone(), true)),
                                    };
                                }
                            });
                        }
                    })
                    .body(|body| {
                        body.rows(ROW_HEIGHT, rows.len(), |mut row| {
                            let selection = &items[rows[row.index()]];
                            let is_selected = annotator.selected.contains(&selection.id);
                            let editing = is_selected && single == Some(selection.id);
                            row.set_selected(is_selected);
                            if all {
                                row.col(|ui| {
                                    cell_ui(
                                        ui,
                                        names.get(&selection.recording).map_or("?", String::as_str),
                                    );
                                });
                            }
                            row.col(|ui| {
                                cell_ui(ui, (selection.id.0 + 1).to_string());
                            });
                            let (duration, nyquist) = limits(selection);
                            let numbers = [
                                (
                                    selection.start_secs,
                                    0.0,
                                    selection.end_secs,
                                    0.001,
                                    "edit begin time",
                                ),
                                (
                                    selection.end_secs,
                                    selection.start_secs,
                                    duration,
                                    0.001,
                                    "edit end time",
                                ),
                                (
                                    selection.low_hz,
                                    0.0,
                                    selection.high_hz,
                                    1.0,
                                    "edit low frequency",
                                ),
                                (
                                    selection.high_hz,
                                    selection.low_hz,
                                    nyquist,
                                    1.0,
                                    "edit high frequency",
                                ),
                            ];
                            for (field, (value, min, max, speed, name)) in
                                numbers.into_iter().enumerate()
                            {
                                row.col(|ui| {
                                    if !editing {
                                        cell_ui(ui, format_cell(value, speed));
                                        return;
                                    }
                                    let mut new = value;
                                    let decimals = if speed < 0.5 { 3 } else { 1 };
                                    if ui
                                        .add(
                                            egui::DragValue::new(&mut new)
                                                .range(min..=max)
                                                .speed(speed * 10.0)
                                                .max_decimals(decimals),
                                        )
                                        .accessible_name(EDIT_NAMES[field])
                                        .changed()
                                    {
                                        edit = Some((
                                            name,
                                            Edit::update(&[selection], |s| match field {
                                                0 => s.start_secs = new,
                                                1 => s.end_secs = new,
                                                2 => s.low_hz = new,
                                                _ => s.high_hz = new,
                                            }),
                                        ));
                                    }
                                });
                            }
                            row.col(|ui| {
                                cell_ui(ui, format!("{:.3}", selection.duration_secs()));
                            });
                            row.col(|ui| {
                                let text = egui::RichText::new(selection.kind.name())
                                    .color(kind_color(selection.kind));
                                if editing {
                                    if ui
                                        .button(text)
                                        .accessible_name("Selection kind")
                                        .on_hover_text("Switch between positive and negative")
                                        .clicked()
                                    {
                                        let kind = match selection.kind {
                                            SelectionKind::Positive => SelectionKind::Negative,
                                            SelectionKind::Negative => SelectionKind::Positive,
                                        };
                                        edit = Some((
                                            "change kind",
                                            Edit::update(&[selection], |s| s.kind = kind),
                                        ));
                                    }
                                } else {
                                    cell_ui(ui, text);
                                }
                            });
                            row.col(|ui| {
                                if editing {
                                    let mut label = selection.label.clone();
                                    if ui
                                        .add(
                                            egui::TextEdit::singleline(&mut label)
                                                .hint_text("label")
                                                .desired_width(f32::INFINITY),
                                        )
                                        .accessible_name("Selection label")
                                        .changed()
                                    {
                                        edit = Some((
                                            "edit label",
                                            Edit::update(&[selection], |s| {
                                                s.label.clone_from(&label);
                                            }),
                                        ));
                                    }
                                } else {
                                    cell_ui(ui, selection.label.as_str());
                                }
                            });
                            for column in &extras {
                                row.col(|ui| {
                                    ui.label(
                                        selection.extra.get(column).map_or("", String::as_str),
                                    );
                                });
                            }
                            if row.response().clicked() {
                                clicked = Some(RowClick {
                                    id: selection.id,
                                    toggle: row.response().ctx.input(|i| i.modifiers.command),
                                });
                            }
                        });
                    });
            });
        TableOutput { clicked, edit }
    }

    fn toolbar_ui(
        &mut self,
        ui: &mut egui::Ui,
        document: &Document,
        active: Option<ProjectRecordingId>,
    ) {
        let cached = self.cached(document, active);
        let shown = cached.rows.len();
        let total = cached.total;
        let by_kind = cached.by_kind.clone();
        let by_label = cached.by_label.clone();
        let labels = cached.labels.clone();
        ui.horizontal_wrapped(|ui| {
            ui.strong("Selections");
            let label = ui.label("Filter");
            ui.add(
                egui::TextEdit::singleline(&mut self.filter_text)
                    .hint_text("label or column text")
                    .desired_width(140.0),
            )
            .labelled_by(label.id)
            .on_hover_text("Shows only rows whose label or any column contains this text");
            egui::ComboBox::from_id_salt("kind filter")
                .selected_text(self.kind_filter.map_or("all kinds", SelectionKind::name))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.kind_filter, None, "all kinds");
                    ui.selectable_value(
                        &mut self.kind_filter,
                        Some(SelectionKind::Positive),
                        "positive",
                    );
                    ui.selectable_value(
                        &mut self.kind_filter,
                        Some(SelectionKind::Negative),
                        "negative",
                    );
                })
                .response
                .accessible_name("Kind filter")
                .on_hover_text("Show positive selections, negative ones, or both");
            egui::ComboBox::from_id_salt("label filter")
                .selected_text(
                    self.label_filter
                        .as_deref()
                        .map_or("all labels", label_text),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.label_filter, None, "all labels");
                    for label in &labels {
                        ui.selectable_value(
                            &mut self.label_filter,
                            Some(label.clone()),
                            label_text(label),
                        );
                    }
                })
                .response
                .accessible_name("Label filter")
                .on_hover_text("Show the selections of one label only");
            ui.checkbox(&mut self.all_recordings, "all recordings")
                .on_hover_text("Show the selections of every recording in the project");
            ui.separator();
            let kinds = by_kind
                .iter()
                .map(|(kind, n)| format!("{} {n}", kind.name()))
                .collect::<Vec<_>>()
                .join(" · ");
            let per_label = by_label
                .iter()
                .map(|(label, n)| format!("{}: {n}", label_text(label)))
                .collect::<Vec<_>>();
            let summary = if kinds.is_empty() {
                format!("{shown} of {total} shown")
            } else {
                format!("{shown} of {total} shown · {kinds}")
            };
            ui.label(summary).on_hover_text(if per_label.is_empty() {
                "No selections".to_owned()
            } else {
                per_label.join("\n")
            });
            let preview: String = per_label
                .iter()
                .take(4)
                .cloned()
                .collect::<Vec<_>>()
                .join(" · ");
            if !preview.is_empty() {
                ui.weak(if per_label.len() > 4 {
                    format!("{preview} · …")
                } else {
                    preview
                });
            }
        });
    }
}

/// A table cell's text: not selectable, so a click selects the row.
fn cell_ui(ui: &mut egui::Ui, text: impl Into<egui::WidgetText>) {
    ui.add(egui::Label::new(text).selectable(false).truncate());
}

fn label_text(label: &str) -> &str {
    if label.is_empty() {
        "(no label)"
    } else {
        label
    }
}

fn format_cell(value: f64, speed: f64) -> String {
    if speed < 0.5 {
        format!("{value:.3}")
    } else {
        format!("{value:.1}")
    }
}

fn build(document: &Document, key: CacheKey, all: bool) -> Cached {
    let items = document.project.selections.items();
    let in_view: Vec<usize> = (0..items.len())
        .filter(|i| all || key.recording.is_none_or(|r| items[*i].recording == r))
        .collect();
    let labels: BTreeSet<String> = in_view.iter().map(|i| items[*i].label.clone()).collect();
    let text = key.filter_text.as_str();
    let mut rows: Vec<usize> = in_view
        .iter()
        .copied()
        .filter(|i| {
            let s = &items[*i];
            key.kind_filter.is_none_or(|k| s.kind == k)
                && key.label_filter.as_ref().is_none_or(|l| &s.label == l)
                && (text.is_empty()
                    || s.label.to_lowercase().contains(text)
                    || s.extra.values().any(|v| v.to_lowercase().contains(text)))
        })
        .collect();
    let mut by_kind = BTreeMap::new();
    let mut by_label = BTreeMap::new();
    let mut extras = BTreeSet::new();
    for i in &rows {
        let s = &items[*i];
        *by_kind.entry(s.kind).or_default() += 1;
        *by_label.entry(s.label.clone()).or_default() += 1;
        extras.extend(s.extra.keys().cloned());
    }
    if let Some((column, ascending)) = &key.sort {
        let names: BTreeMap<ProjectRecordingId, String> = document
            .project
            .recordings
            .iter()
            .map(|r| (r.id, r.name()))
            .collect();
        rows.sort_by(|a, b| {
            let (a, b) = (&items[*a], &items[*b]);
            let order = match column {
                SortColumn::Recording => names.get(&a.recording).cmp(&names.get(&b.recording)),
                SortColumn::Selection => a.id.cmp(&b.id),
                SortColumn::Begin => a.start_secs.total_cmp(&b.start_secs),
                SortColumn::End => a.end_secs.total_cmp(&b.end_secs),
                SortColumn::Low => a.low_hz.total_cmp(&b.low_hz),
                SortColumn::High => a.high_hz.total_cmp(&b.high_hz),
                SortColumn::Delta => a.duration_secs().total_cmp(&b.duration_secs()),
                SortColumn::Kind => a.kind.cmp(&b.kind),
                SortColumn::Label => a.label.cmp(&b.label),
                SortColumn::Extra(name) => compare_cells(a.extra.get(name), b.extra.get(name)),
            };
            if *ascending { order } else { order.reverse() }
        });
    }
    Cached {
        key,
        total: in_view.len(),
        rows,
        extras: extras.into_iter().collect(),
        by_kind,
        by_label,
        labels,
    }
}

/// Numbers compare as numbers, text as text, and empty cells last.
fn compare_cells(a: Option<&String>, b: Option<&String>) -> std::cmp::Ordering {
    let number = |s: Option<&String>| s.and_then(|s| s.trim().parse::<f64>().ok());
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        _ => match (a.filter(|s| !s.is_empty()), b.filter(|s| !s.is_empty())) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        },
    }
}
