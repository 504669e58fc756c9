//! The recordings list on the left: the project's recordings (open, missing, changed), the
//! shown recording's training flags and Remove from project. It reads the project and returns
//! what the user asked for; the app applies it (flag changes as undo steps).

mod apply;

pub use apply::show;

use std::collections::BTreeMap;
use std::path::PathBuf;

use eframe::egui;

use crate::annotation::ProjectRecordingId;
use crate::project::{ProjectChange, Split};
use crate::session::Document;
use crate::spectrogram::RecordingId;
use crate::util::timefmt::format_time_secs;

const CLOSE_HELP: &str = "Close (it stays in the project)";
const CHANGED_HELP: &str = "Its size or content differs from when it was added to the project: \
    check that the selections still fit.";
const FULLY_ANNOTATED_HELP: &str = "Every call in it is marked: time not covered by a positive \
    box can serve as negative examples";
const SPLIT_HELP: &str = "Which part of training uses this recording (auto: the seeded split by \
    recording or group)";
const START_UNKNOWN_HELP: &str = "Neither its metadata (GUANO, an AudioMoth comment) nor its \
    name (…_YYYYMMDD_HHMMSS) says when it was recorded; exported tables then give times from \
    the file's start only.";
/// What Remove from project does (its hover text).
pub const REMOVE_HELP: &str =
    "Take it and its selections out of the project (the file is left alone; Ctrl+Z undoes)";

/// What the panel shows besides the project.
#[derive(Debug)]
pub struct RecordingsView<'a> {
    pub document: &'a Document,
    /// Selections per recording.
    pub counts: &'a BTreeMap<ProjectRecordingId, usize>,
    /// The recordings open in the app.
    pub open: &'a [(ProjectRecordingId, RecordingId)],
    /// The one on screen.
    pub active: Option<ProjectRecordingId>,
    /// When the one on screen started, as its metadata or name tells.
    pub active_start: Option<&'a crate::audio::RecordingStart>,
    /// Files being opened.
    pub opening: &'a [PathBuf],
    pub loading_project: bool,
}

/// What the user asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordingsAction {
    /// Show this recording (opening it if needed).
    Show(ProjectRecordingId),
    Close(RecordingId),
    /// Point a missing recording at its file's new place.
    Relink(ProjectRecordingId),
    /// Take it and its selections out of the project.
    Remove(ProjectRecordingId),
    /// Change the shown recording's flags, as the undo step `name`.
    SetFlags {
        name: &'static str,
        change: Box<ProjectChange>,
    },
}

/// Draws the list and the flags of the recording on screen.
pub fn recordings_panel_ui(ui: &mut egui::Ui, view: &RecordingsView) -> Vec<RecordingsAction> {
    let mut actions = Vec::new();
    ui.heading("Recordings");
    ui.weak(view.document.title());
    egui::ScrollArea::vertical()
        .id_salt("recordings list")
        .max_height(ui.available_height() - 150.0)
        .show(ui, |ui| list_ui(ui, view, &mut actions));
    ui.separator();
    flags_ui(ui, view, &mut actions);
    actions
}

fn list_ui(ui: &mut egui::Ui, view: &RecordingsView, actions: &mut Vec<RecordingsAction>) {
    let document = view.document;
    for recording in &document.project.recordings {
        let missing = document.missing.contains(&recording.id);
        let changed = document.changed_files.contains(&recording.id);
        let open = view
            .open
            .iter()
            .find(|(project_id, _)| *project_id == recording.id)
            .map(|(_, id)| *id);
        let n = view.counts.get(&recording.id).copied().unwrap_or(0);
        let mut text = format!(
            "{}\n{} · {:.1} kHz · {n} sel.",
            recording.name(),
            format_time_secs(recording.duration_secs, recording.duration_secs),
            f64::from(recording.sample_rate_hz) / 1000.0,
        );
        if recording.fully_annotated {
            text.push_str(" · full");
        }
        ui.horizontal(|ui| {
            if let Some(id) = open
                && ui.small_button("×").on_hover_text(CLOSE_HELP).clicked()
            {
                actions.push(RecordingsAction::Close(id));
            }
            let selected = view.active == Some(recording.id);
            let mut label = egui::RichText::new(text);
            if missing {
                label = label.color(ui.visuals().error_fg_color);
            } else if open.is_none() {
                label = label.weak();
            }
            let response = ui
                .selectable_label(selected, label)
                .on_hover_text(recording.path.display().to_string());
            if response.clicked() {
                actions.push(RecordingsAction::Show(recording.id));
            }
            response.context_menu(|ui| {
                if ui
                    .button("Remove from project")
                    .on_hover_text(REMOVE_HELP)
                    .clicked()
                {
                    actions.push(RecordingsAction::Remove(recording.id));
                    ui.close();
                }
            });
        });
        if missing {
            ui.horizontal(|ui| {
                ui.colored_label(ui.visuals().error_fg_color, "file not found");
                if ui
                    .small_button("Relink…")
                    .on_hover_text(
                        "Point it at the file's new place (checked to be the same recording)",
                    )
                    .clicked()
                {
                    actions.push(RecordingsAction::Relink(recording.id));
                }
            });
        } else if changed {
            ui.colored_label(ui.visuals().warn_fg_color, "file changed")
                .on_hover_text(CHANGED_HELP);
        }
    }
    for path in view.opening {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            );
        });
    }
    if view.loading_project {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("opening project…");
        });
    }
}

/// Fully annotated, split and group of the recording on screen.
fn flags_ui(ui: &mut egui::Ui, view: &RecordingsView, actions: &mut Vec<RecordingsAction>) {
    let project = &view.document.project;
    let Some(id) = view.active else {
        ui.weak("Open a recording to set its training flags.");
        return;
    };
    let Some(before) = project
        .recording(id)
        .map(crate::project::ProjectRecording::flags)
    else {
        return;
    };
    match view.active_start {
        Some(start) => {
            ui.label(format!("Started {}", start.describe()))
                .on_hover_text(format!(
                    "The recorder's clock at its first sample, {}. Exported tables give each \
                     selection and detection its date and clock time from it.",
                    start.source.describe()
                ));
        }
        None => {
            ui.weak("Start time unknown")
                .on_hover_text(START_UNKNOWN_HELP);
        }
    }
    let mut flags = before.clone();
    ui.checkbox(&mut flags.fully_annotated, "Fully annotated")
        .on_hover_text(FULLY_ANNOTATED_HELP);
    ui.horizontal(|ui| {
        ui.label("Split");
        egui::ComboBox::from_id_salt("recording split")
            .selected_text(flags.split.name())
            .show_ui(ui, |ui| {
                for split in Split::all() {
                    ui.selectable_value(&mut flags.split, split, split.name());
                }
            })
            .response
            .accessible_name("Split")
            .on_hover_text(SPLIT_HELP);
    });
    ui.horizontal(|ui| {
        let label = ui.label("Site/group");
        let mut group = flags.group.clone().unwrap_or_default();
        if ui
            .add(
                egui::TextEdit::singleline(&mut group)
                    .hint_text("e.g. SITE1")
                    .desired_width(110.0),
            )
            .labelled_by(label.id)
            .on_hover_text("Recordings of one group always land in the same split")
            .changed()
        {
            flags.group = (!group.trim().is_empty()).then_some(group);
        }
    });
    // One undo step per flag (typing a group name is one step).
    if let Some(change) = project.flags_change(id, flags.clone()) {
        let name = if flags.fully_annotated != before.fully_annotated {
            "mark fully annotated"
        } else if flags.split != before.split {
            "change the split"
        } else {
            "change the group"
        };
        actions.push(RecordingsAction::SetFlags {
            name,
            change: Box::new(change),
        });
    }
    if ui
        .button("Remove from project")
        .on_hover_text(REMOVE_HELP)
        .clicked()
    {
        actions.push(RecordingsAction::Remove(id));
    }
}

#[cfg(test)]
mod tests {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    use super::*;
    use crate::project::{ProjectRecording, Split};

    fn document() -> Document {
        let mut document = Document::default();
        for (id, name) in [(0, "dawn.wav"), (1, "dusk.wav")] {
            document.project.recordings.push(ProjectRecording {
                id: ProjectRecordingId(id),
                path: PathBuf::from(format!("/data/{name}")),
                duration_secs: 60.0,
                sample_rate_hz: 22_050,
                channels: 1,
                size_bytes: 0,
                fingerprint: String::new(),
                fully_annotated: false,
                split: Split::Auto,
                group: None,
            });
        }
        document.missing.insert(ProjectRecordingId(1));
        document
    }

    /// Draws the panel for `document` with dawn.wav open and on screen; returns the harness and
    /// what each frame asked for.
    fn harness(document: Document) -> Harness<'static, (Document, Vec<RecordingsAction>)> {
        harness_started(document, None)
    }

    /// [`harness`] with dawn.wav's start time.
    fn harness_started(
        document: Document,
        start: Option<crate::audio::RecordingStart>,
    ) -> Harness<'static, (Document, Vec<RecordingsAction>)> {
        Harness::builder()
            .with_size(egui::vec2(300.0, 600.0))
            .build_ui_state(
                move |ui, (document, actions): &mut (Document, Vec<RecordingsAction>)| {
                    let counts = BTreeMap::from([(ProjectRecordingId(0), 3)]);
                    let view = RecordingsView {
                        document,
                        counts: &counts,
                        open: &[(ProjectRecordingId(0), RecordingId(7))],
                        active: Some(ProjectRecordingId(0)),
                        active_start: start.as_ref(),
                        opening: &[],
                        loading_project: false,
                    };
                    actions.extend(recordings_panel_ui(ui, &view));
                },
                (document, Vec::new()),
            )
    }

    #[test]
    fn the_shown_recording_says_when_it_started_and_how_that_is_known() {
        let start = crate::audio::RecordingStart {
            local_time: chrono::NaiveDateTime::parse_from_str(
                "2020-04-04 10:25:00",
                "%Y-%m-%d %H:%M:%S",
            )
            .unwrap(),
            utc_offset_secs: Some(3_600),
            source: crate::audio::StartTimeSource::AudioMoth,
        };
        let harness = harness_started(document(), Some(start));
        let line = harness.get_by_label("Started 2020-04-04 10:25:00 UTC+01:00");
        line.hover();
        let mut harness = harness;
        harness.run();
        harness.get_by_label_contains("from its AudioMoth comment");
        let unknown = harness_started(document(), None);
        unknown.get_by_label("Start time unknown");
        assert!(unknown.query_by_label_contains("Started").is_none());
    }

    #[test]
    fn clicks_become_actions_and_the_project_is_left_alone() {
        let before = document().project;
        let mut harness = harness(document());
        harness.run();
        harness.get_by_label_contains("dusk.wav").click();
        harness.run();
        harness.get_by_label("Relink…").click();
        harness.run();
        harness.get_by_label("×").click();
        harness.run();
        harness.get_by_label("Fully annotated").click();
        harness.run();
        let (document, actions) = harness.state();
        assert_eq!(document.project, before, "the panel changes nothing itself");
        assert_eq!(
            actions[..3],
            [
                RecordingsAction::Show(ProjectRecordingId(1)),
                RecordingsAction::Relink(ProjectRecordingId(1)),
                RecordingsAction::Close(RecordingId(7)),
            ]
        );
        let RecordingsAction::SetFlags { name, change } = &actions[3] else {
            panic!("{actions:?}");
        };
        assert_eq!(*name, "mark fully annotated");
        assert!(matches!(
            **change,
            ProjectChange::RecordingFlags { id: ProjectRecordingId(0), ref after, .. }
                if after.fully_annotated
        ));
        assert!(harness.query_by_label_contains("3 sel.").is_some());
    }
}
