//! Annotating in the desktop app through egui_kittest: boxes drawn, moved and resized with a
//! simulated pointer, the selection table, keys, the import dialog, projects (save, reopen,
//! autosave, missing recordings, folders).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use eframe::egui::accesskit::Role;
use eframe::egui::{self, Modifiers, Pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::{Queryable, by};
use syrinx::annotation::{Edit, ProjectRecordingId, Selection, SelectionKind};
use syrinx::audio::probe;
use syrinx::gui::SyrinxApp;
use syrinx::project::Project;

use super::gui::{app_with, recording, settle};

const LONG: Duration = Duration::from_secs(3600);

fn app(files: Vec<PathBuf>) -> Harness<'static, SyrinxApp> {
    app_with(files, Arc::default(), None, LONG)
}

/// Presses the primary button at `from`, moves to `to` in steps, releases: a drag as a hand does
/// it, one frame per event.
pub fn drag(harness: &mut Harness<'static, SyrinxApp>, from: Pos2, to: Pos2, modifiers: Modifiers) {
    harness.event(egui::Event::ModifiersChanged(modifiers));
    harness.hover_at(from);
    harness.run_steps(1);
    harness.event(egui::Event::PointerButton {
        pos: from,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers,
    });
    harness.run_steps(1);
    for step in 1..=6 {
        harness.hover_at(from + (to - from) * (step as f32 / 6.0));
        harness.run_steps(1);
    }
    harness.event(egui::Event::PointerButton {
        pos: to,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers,
    });
    harness.run_steps(1);
    harness.event(egui::Event::ModifiersChanged(Modifiers::NONE));
    harness.run_steps(1);
}

fn click_at(harness: &mut Harness<'static, SyrinxApp>, at: Pos2) {
    harness.hover_at(at);
    harness.run_steps(1);
    harness.drag_at(at);
    harness.run_steps(1);
    harness.drop_at(at);
    harness.run_steps(1);
}

pub fn point(harness: &Harness<'static, SyrinxApp>, secs: f64, hz: f64) -> Pos2 {
    harness
        .state()
        .screen_point(secs, hz)
        .expect("the spectrogram is on screen")
}

fn selections(harness: &Harness<'static, SyrinxApp>) -> Vec<Selection> {
    harness
        .state()
        .session
        .document
        .project
        .selections
        .items()
        .to_vec()
}

fn only(harness: &Harness<'static, SyrinxApp>) -> Selection {
    let all = selections(harness);
    assert_eq!(all.len(), 1, "{all:?}");
    all[0].clone()
}

/// Draws a box over 5–7 s × 3–6 kHz and returns it.
fn draw_box(harness: &mut Harness<'static, SyrinxApp>) -> Selection {
    let from = point(harness, 5.0, 3000.0);
    let to = point(harness, 7.0, 6000.0);
    drag(harness, from, to, Modifiers::NONE);
    settle(harness);
    only(harness)
}

/// File ▸ `item`, then the path typed into the prompt's field (clicked first) and OK.
fn through_file_menu(harness: &mut Harness<'static, SyrinxApp>, item: &str, path: &Path) {
    harness.get_by_label("File").click();
    harness.run();
    harness.get_by_label(item).click();
    harness.run();
    type_into_prompt(harness, path);
}

/// Types `path` into the open path prompt (clicking its field first) and clicks OK.
fn type_into_prompt(harness: &mut Harness<'static, SyrinxApp>, path: &Path) {
    harness.get_by_label("Path").click();
    harness.run();
    harness.get_by_label("Path").focus();
    harness
        .get_by_label("Path")
        .type_text(&path.display().to_string());
    harness.run();
    harness.get_by_label("OK").click();
    settle(harness);
}

fn opened(dir: &Path, name: &str) -> (Harness<'static, SyrinxApp>, PathBuf) {
    let path = recording(dir, name);
    let mut harness = app(vec![path.clone()]);
    settle(&mut harness);
    (harness, path)
}

#[test]
fn a_box_drawn_by_dragging_is_in_the_table_its_label_edits_there_and_undo_redo_work() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, _) = opened(dir.path(), "a.wav");
    let drawn = draw_box(&mut harness);
    // A pixel is about 25 ms and 30 Hz here.
    assert!((drawn.start_secs - 5.0).abs() < 0.1, "{drawn:?}");
    assert!((drawn.end_secs - 7.0).abs() < 0.1, "{drawn:?}");
    assert!((drawn.low_hz - 3000.0).abs() < 100.0, "{drawn:?}");
    assert!((drawn.high_hz - 6000.0).abs() < 100.0, "{drawn:?}");
    assert_eq!(drawn.kind, SelectionKind::Positive);
    assert!(
        harness
            .state()
            .workspace
            .annotator
            .selected
            .contains(&drawn.id)
    );
    assert_eq!(harness.state().session.document.project.recordings.len(), 1);

    // The table's selected row is editable in place.
    harness.get_by_label("Selection label").focus();
    harness.get_by_label("Selection label").type_text("warbler");
    harness.run();
    assert_eq!(only(&harness).label, "warbler");
    assert!(harness.state().session.document.is_dirty());

    // Typing was one step; drawing another.
    harness.get_by_label("Undo").click();
    harness.run();
    assert_eq!(only(&harness).label, "");
    harness.get_by_label("Undo").click();
    harness.run();
    assert!(selections(&harness).is_empty());
    harness.get_by_label("Redo").click();
    harness.run();
    harness.get_by_label("Redo").click();
    harness.run();
    assert_eq!(only(&harness).label, "warbler");
    settle(&mut harness);
}

#[test]
fn boxes_move_and_resize_by_dragging_and_shift_drag_draws_a_full_band_selection() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, _) = opened(dir.path(), "a.wav");
    let drawn = draw_box(&mut harness);
    // Drag the body 2 s later.
    let from = point(&harness, 6.0, 4500.0);
    let to = point(&harness, 8.0, 4500.0);
    drag(&mut harness, from, to, Modifiers::NONE);
    settle(&mut harness);
    let moved = only(&harness);
    assert!(
        (moved.start_secs - drawn.start_secs - 2.0).abs() < 0.1,
        "{moved:?}"
    );
    assert!((moved.duration_secs() - drawn.duration_secs()).abs() < 1e-9);
    assert!((moved.low_hz - drawn.low_hz).abs() < 60.0);
    // Drag its right edge 1 s further.
    let edge = point(&harness, moved.end_secs, 4500.0);
    let further = point(&harness, moved.end_secs + 1.0, 4500.0);
    drag(&mut harness, edge, further, Modifiers::NONE);
    settle(&mut harness);
    let resized = only(&harness);
    assert!(
        (resized.start_secs - moved.start_secs).abs() < 1e-9,
        "start kept"
    );
    assert!(
        (resized.end_secs - moved.end_secs - 1.0).abs() < 0.1,
        "{resized:?}"
    );

    // Shift+drag: every frequency.
    let from = point(&harness, 14.0, 4000.0);
    let to = point(&harness, 16.0, 5000.0);
    drag(&mut harness, from, to, Modifiers::SHIFT);
    settle(&mut harness);
    let band = selections(&harness)
        .into_iter()
        .find(|s| s.start_secs > 12.0)
        .expect("a second box");
    assert_eq!((band.low_hz, band.high_hz), (0.0, 11_025.0));
    assert!((band.duration_secs() - 2.0).abs() < 0.1);
    settle(&mut harness);
}

#[test]
fn one_and_two_set_the_next_box_and_label_hotkeys_need_the_spectrogram() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, _) = opened(dir.path(), "a.wav");
    // Press 1, drag; press 2, drag: a positive and a negative (the first stays positive).
    harness.key_press(egui::Key::Num1);
    let (from, to) = (point(&harness, 2.0, 3000.0), point(&harness, 3.0, 5000.0));
    drag(&mut harness, from, to, Modifiers::NONE);
    harness.key_press(egui::Key::Num2);
    let (from, to) = (point(&harness, 8.0, 3000.0), point(&harness, 9.0, 5000.0));
    drag(&mut harness, from, to, Modifiers::NONE);
    settle(&mut harness);
    let mut boxes = selections(&harness);
    boxes.sort_by(|a, b| a.start_secs.total_cmp(&b.start_secs));
    let kinds: Vec<SelectionKind> = boxes.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, [SelectionKind::Positive, SelectionKind::Negative]);

    harness.state_mut().session.document.project.labels = vec![syrinx::project::LabelDef {
        name: "WOTH".to_owned(),
        kind: SelectionKind::Positive,
        hotkey: Some('3'),
    }];
    harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::A);
    settle(&mut harness);
    assert_eq!(harness.state().workspace.annotator.selected.len(), 2);
    // A click outside the spectrogram (the recordings list): typing a digit labels nothing.
    click_at(&mut harness, Pos2::new(20.0, 400.0));
    harness.event(egui::Event::Text("3".to_owned()));
    settle(&mut harness);
    assert_ne!(harness.state().workspace.annotator.label, "WOTH");
    // With the spectrogram focused the hotkey sets the next boxes' label, not the selected ones'.
    let empty = point(&harness, 15.0, 1000.0);
    click_at(&mut harness, empty);
    harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::A);
    harness.event(egui::Event::Text("3".to_owned()));
    settle(&mut harness);
    assert_eq!(harness.state().workspace.annotator.label, "WOTH");
    assert!(selections(&harness).iter().all(|s| s.label != "WOTH"));
    harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::L);
    settle(&mut harness);
    assert!(
        selections(&harness)
            .iter()
            .all(|s| s.label == "WOTH" && s.kind == SelectionKind::Positive)
    );
}

#[test]
fn one_and_two_give_new_boxes_the_projects_label_of_their_kind() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, _) = opened(dir.path(), "a.wav");
    // Two warbler positives, one other positive and a whistle negative, drawn and labelled.
    for (start, kind, label) in [
        (2.0, egui::Key::Num1, "warbler"),
        (4.0, egui::Key::Num1, "warbler"),
        (6.0, egui::Key::Num1, "wren"),
        (8.0, egui::Key::Num2, "whistle"),
    ] {
        harness.key_press(kind);
        harness.state_mut().workspace.annotator.label = label.to_owned();
        let (from, to) = (
            point(&harness, start, 3000.0),
            point(&harness, start + 1.0, 5000.0),
        );
        drag(&mut harness, from, to, Modifiers::NONE);
        settle(&mut harness);
    }
    assert_eq!(selections(&harness).len(), 4);
    // A label of the other kind is not carried over: 1 gives "warbler", 2 "whistle".
    harness.key_press(egui::Key::Num1);
    settle(&mut harness);
    assert_eq!(harness.state().workspace.annotator.label, "warbler");
    harness.key_press(egui::Key::Num2);
    settle(&mut harness);
    assert_eq!(harness.state().workspace.annotator.label, "whistle");
    let (from, to) = (point(&harness, 12.0, 3000.0), point(&harness, 13.0, 5000.0));
    drag(&mut harness, from, to, Modifiers::NONE);
    settle(&mut harness);
    let drawn = selections(&harness)
        .into_iter()
        .find(|s| s.start_secs > 11.0)
        .unwrap();
    assert_eq!(
        (drawn.kind, drawn.label.as_str()),
        (SelectionKind::Negative, "whistle")
    );
    // A label chosen for the kind stays.
    harness.key_press(egui::Key::Num1);
    harness.state_mut().workspace.annotator.label = "wren".to_owned();
    harness.key_press(egui::Key::Num1);
    settle(&mut harness);
    assert_eq!(harness.state().workspace.annotator.label, "wren");
}

#[test]
fn keys_change_kind_nudge_delete_copy_and_paste() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, _) = opened(dir.path(), "a.wav");
    let drawn = draw_box(&mut harness);

    // 2 sets the kind of the next box only; the selected one changes with Ctrl+L (one undo).
    harness.key_press(egui::Key::Num2);
    settle(&mut harness);
    assert_eq!(
        harness.state().workspace.annotator.kind,
        SelectionKind::Negative
    );
    assert_eq!(only(&harness).kind, SelectionKind::Positive, "2 leaves it");
    harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::L);
    settle(&mut harness);
    assert_eq!(
        only(&harness).kind,
        SelectionKind::Negative,
        "Ctrl+L: negative"
    );
    assert!(
        harness
            .state()
            .session
            .messages
            .last()
            .unwrap()
            .text
            .contains("made negative"),
        "{:?}",
        harness.state().session.messages
    );
    harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(only(&harness).kind, SelectionKind::Positive, "undone");
    harness.key_press(egui::Key::Num1);
    settle(&mut harness);
    assert_eq!(
        harness.state().workspace.annotator.kind,
        SelectionKind::Positive
    );

    // Arrows nudge the selected box (a hundredth of the 20 s view) and leave the view alone.
    let view_before = harness.state().active_recording().unwrap().viewport;
    harness.key_press(egui::Key::ArrowRight);
    settle(&mut harness);
    harness.key_press(egui::Key::ArrowRight);
    settle(&mut harness);
    assert!((only(&harness).start_secs - drawn.start_secs - 0.4).abs() < 1e-9);
    assert_eq!(
        harness.state().active_recording().unwrap().viewport,
        view_before
    );
    // Both nudges are one undo step.
    harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::Z);
    settle(&mut harness);
    assert!((only(&harness).start_secs - drawn.start_secs).abs() < 1e-9);
    harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, egui::Key::Z);
    settle(&mut harness);
    assert!(
        (only(&harness).start_secs - drawn.start_secs - 0.4).abs() < 1e-9,
        "redo"
    );

    // Copy, put the cursor at 30 s (a click on empty spectrogram), paste.
    harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::C);
    settle(&mut harness);
    let empty = point(&harness, 15.0, 9000.0);
    click_at(&mut harness, empty);
    let cursor = harness
        .state()
        .active_recording()
        .unwrap()
        .cursor_secs
        .unwrap();
    assert!((cursor - 15.0).abs() < 0.1, "{cursor}");
    assert!(
        harness.state().workspace.annotator.selected.is_empty(),
        "the click cleared the selection"
    );
    harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::V);
    settle(&mut harness);
    let all = selections(&harness);
    assert_eq!(all.len(), 2);
    assert!(
        (all[1].start_secs - cursor).abs() < 1e-9,
        "pasted at the cursor: {all:?}"
    );
    assert!((all[1].duration_secs() - all[0].duration_secs()).abs() < 1e-9);

    // Delete removes the selected (pasted) box; undo brings it back.
    harness.key_press(egui::Key::Delete);
    settle(&mut harness);
    assert_eq!(selections(&harness).len(), 1);
    harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(selections(&harness).len(), 2);
    // Escape clears the selection; arrows pan again.
    harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::A);
    settle(&mut harness);
    assert_eq!(harness.state().workspace.annotator.selected.len(), 2);
    harness.key_press(egui::Key::Escape);
    settle(&mut harness);
    assert!(harness.state().workspace.annotator.selected.is_empty());
    harness.key_press(egui::Key::ArrowRight);
    settle(&mut harness);
    assert!(
        harness
            .state()
            .active_recording()
            .unwrap()
            .viewport
            .start_secs
            > 0.0
    );
    settle(&mut harness);
}

#[test]
fn the_table_filters_sorts_and_a_row_click_jumps_to_its_box() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, _) = opened(dir.path(), "a.wav");
    {
        let app = harness.state_mut();
        let document = &mut app.session.document;
        let recording = document.project.recordings[0].id;
        let mut make = |start: f64, label: &str, kind| Selection {
            id: document.project.selections.new_id(),
            recording,
            start_secs: start,
            end_secs: start + 1.0,
            low_hz: 2000.0,
            high_hz: 4000.0,
            label: label.to_owned(),
            kind,
            extra: Default::default(),
        };
        let items = vec![
            make(5.0, "warbler", SelectionKind::Positive),
            make(50.0, "warbler", SelectionKind::Positive),
            make(20.0, "wind", SelectionKind::Negative),
        ];
        document.edit("test", vec![Edit::Insert(items)]);
    }
    harness.run();
    harness.get_by_label_contains("3 of 3 shown");

    // Sort by label descending: wind first.
    let header = || by().role(Role::Button).label("Label");
    harness.get(header()).click();
    harness.run();
    harness.get_by_label("Label (asc)").click();
    harness.run();
    let app = harness.state_mut();
    let active = Some(app.session.document.project.recordings[0].id);
    let order: Vec<f64> = app
        .workspace
        .table
        .shown(&app.session.document, active)
        .iter()
        .map(|id| {
            app.session
                .document
                .project
                .selections
                .get(*id)
                .unwrap()
                .start_secs
        })
        .collect();
    assert_eq!(order[0], 20.0, "{order:?}");

    // Filter by text.
    harness.get_by_label("Filter").focus();
    harness.get_by_label("Filter").type_text("warb");
    harness.run();
    harness.get_by_label_contains("2 of 3 shown");

    // Clicking the row at 50 s selects its box and brings it on screen.
    harness.get_by_label("50.000").click();
    settle(&mut harness);
    let app = harness.state();
    let selected: Vec<_> = app.workspace.annotator.selected.iter().copied().collect();
    assert_eq!(selected.len(), 1);
    assert_eq!(
        app.session
            .document
            .project
            .selections
            .get(selected[0])
            .unwrap()
            .start_secs,
        50.0
    );
    let view = app.active_recording().unwrap().viewport;
    assert!(
        view.start_secs <= 50.0 && view.end_secs() >= 51.0,
        "{view:?}"
    );
    settle(&mut harness);
}

const RAVEN_TABLE: &str = "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\tSpecies\tNotes\n\
1\tSpectrogram 1\t1\t2.0\t3.0\t2000\t5000\tWOTH\tclear\n\
2\tSpectrogram 1\t1\t10.0\t11.5\t2100\t5200\tWOTH\tfaint\n\
3\tSpectrogram 1\t1\t20.0\t21.0\t100\t1000\tnoise\twind\n\
4\tSpectrogram 1\t1\t90.0\t91.0\t100\t1000\tWOTH\tpast the end\n";

#[test]
fn a_raven_table_imports_through_the_preview_dialog_as_one_undo_step() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, _) = opened(dir.path(), "a.wav");
    let table = dir.path().join("a.Table.1.selections.txt");
    std::fs::write(&table, RAVEN_TABLE).unwrap();

    through_file_menu(&mut harness, "Import selection table…", &table);

    // The preview: Species chosen as the label column, "noise" guessed negative.
    harness.get_by_label("Import selections");
    harness.get_by_label_contains("1 warning(s)");
    harness.get_by_label_contains("2 positive, 1 negative");
    // Leave "noise" out (labels are listed in order: WOTH, noise).
    harness
        .get_all_by_label("leave out")
        .nth(1)
        .unwrap()
        .click();
    harness.run();
    harness.get_by_label("Import 2 selection(s)").click();
    harness.run();

    let imported = selections(&harness);
    assert_eq!(imported.len(), 2, "{imported:?}");
    assert!(
        imported
            .iter()
            .all(|s| s.label == "WOTH" && s.kind == SelectionKind::Positive)
    );
    assert_eq!(
        imported[1].extra["Notes"], "faint",
        "extra columns are kept"
    );
    assert!(
        harness
            .state()
            .session
            .document
            .project
            .labels
            .iter()
            .any(|l| l.name == "WOTH"),
        "the label joined the label set"
    );
    // The whole import is one step, and the labels it brought go with it (and come back).
    let has_woth = |harness: &Harness<'static, SyrinxApp>| {
        harness
            .state()
            .session
            .document
            .project
            .labels
            .iter()
            .any(|l| l.name == "WOTH")
    };
    harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::Z);
    harness.run();
    assert!(selections(&harness).is_empty());
    assert!(!has_woth(&harness), "undoing the import removes its labels");
    harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, egui::Key::Z);
    harness.run();
    assert_eq!(selections(&harness).len(), 2);
    assert!(has_woth(&harness));
    settle(&mut harness);
}

#[test]
fn file_open_path_is_a_dialog_that_opens_what_is_typed() {
    let dir = tempfile::tempdir().unwrap();
    let audio = recording(dir.path(), "typed.wav");
    let mut harness = app(Vec::new());
    settle(&mut harness);
    // The field lives in its own window: clicking it to type does not close anything.
    through_file_menu(&mut harness, "Open path…", &audio);
    assert_eq!(harness.state().active_recording().unwrap().path, audio);
}

#[test]
fn a_recording_removed_from_the_project_comes_back_with_undo() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, audio) = opened(dir.path(), "a.wav");
    draw_box(&mut harness);
    harness.get_by_label("Remove from project").click();
    settle(&mut harness);
    {
        let app = harness.state();
        assert!(app.session.document.project.recordings.is_empty());
        assert!(app.session.document.project.selections.is_empty());
        assert!(app.workspace.recordings.is_empty(), "it was closed");
        assert!(audio.exists(), "the file is untouched");
        assert!(
            app.session
                .messages
                .last()
                .unwrap()
                .text
                .contains("Ctrl+Z undoes")
        );
    }
    harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::Z);
    settle(&mut harness);
    let app = harness.state();
    assert_eq!(app.session.document.project.recordings.len(), 1);
    assert_eq!(app.session.document.project.recordings[0].path, audio);
    assert_eq!(app.session.document.project.selections.len(), 1);
}

#[test]
fn recording_flags_are_undoable_edits() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, _) = opened(dir.path(), "a.wav");
    let fully_annotated = |harness: &Harness<'static, SyrinxApp>| {
        harness.state().session.document.project.recordings[0].fully_annotated
    };
    assert!(!fully_annotated(&harness));
    harness.get_by_label("Fully annotated").click();
    harness.run();
    assert!(fully_annotated(&harness));
    assert_eq!(
        harness.state().session.document.undo.undo_name(),
        Some("mark fully annotated")
    );
    harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::Z);
    harness.run();
    assert!(!fully_annotated(&harness), "Ctrl+Z takes the flag back");
    harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, egui::Key::Z);
    harness.run();
    assert!(fully_annotated(&harness));
}

#[test]
fn a_project_saved_as_reopens_with_its_recordings_and_selections() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, audio) = opened(dir.path(), "a.wav");
    let drawn = draw_box(&mut harness);
    harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, egui::Key::S);
    harness.run();
    let project_path = dir.path().join("survey");
    harness.get_by_label("Path").focus();
    harness
        .get_by_label("Path")
        .set_text_value_accesskit(&project_path.display().to_string());
    harness.run();
    harness.get_by_label("OK").click();
    settle(&mut harness);
    let saved = dir.path().join("survey.syrinx");
    assert!(saved.exists(), "the extension is added");
    assert_eq!(
        harness.state().session.document.path.as_deref(),
        Some(saved.as_path())
    );
    assert!(!harness.state().session.document.is_dirty());

    let mut reopened = app(vec![saved.clone()]);
    settle(&mut reopened);
    let app = reopened.state();
    assert_eq!(app.session.document.project.recordings.len(), 1);
    assert_eq!(app.session.document.project.recordings[0].path, audio);
    assert_eq!(only(&reopened).start_secs, drawn.start_secs);
    assert_eq!(app.workspace.recordings.len(), 1, "its recording is open");
    assert!(
        app.session.messages.iter().all(|m| !m.is_error),
        "{:?}",
        app.session.messages
    );
}

/// The app holds a project open while the command line writes it (a recording added by
/// `syrinx project add`, a run stored the way `syrinx detect --project` stores one): the app's
/// next save merges them in instead of writing over them, and says so.
#[test]
fn a_save_merges_what_the_command_line_wrote_meanwhile() {
    use syrinx::session::lock::{Wait, edit};
    let dir = tempfile::tempdir().unwrap();
    let a = recording(dir.path(), "a.wav");
    let b = recording(dir.path(), "b.wav");
    let project_path = dir.path().join("p.syrinx");
    let mut project = Project::default();
    let a_id = project.add_recording(&probe(&a).unwrap()).unwrap();
    project.save(&project_path).unwrap();
    let mut harness = app(vec![project_path.clone()]);
    settle(&mut harness);

    let added = std::process::Command::new(env!("CARGO_BIN_EXE_syrinx"))
        .args(["project", "add"])
        .arg(&project_path)
        .arg(&b)
        .output()
        .unwrap();
    assert!(added.status.success());
    edit(
        &project_path,
        "syrinx detect",
        Wait::Forever,
        false,
        |project, _| {
            let mut run = super::common::empty_run(
                project.next_run_id(),
                &dir.path().join("model"),
                vec![a_id],
            );
            run.iteration = 0;
            run.add_scores(a_id, super::common::scores_with_calls(3, &[1]));
            project.add_run(run);
            Ok::<_, syrinx::project::ProjectError>(())
        },
    )
    .unwrap();

    let drawn = draw_box(&mut harness);
    harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::S);
    settle(&mut harness);

    let (saved, _) = Project::load(&project_path).unwrap();
    assert!(
        saved.recording_at(&b).is_some(),
        "the added recording is kept"
    );
    assert_eq!(saved.detection_runs.len(), 1, "the stored run is kept");
    let scores = saved.detection_runs[0].recordings[0].scores.get().unwrap();
    assert_eq!(scores.scores, vec![0.1, 0.9, 0.1]);
    assert_eq!(saved.selections.len(), 1, "the app's box is saved");
    assert_eq!(saved.selections.items()[0].start_secs, drawn.start_secs);
    let app = harness.state();
    assert!(!app.session.document.is_dirty());
    assert_eq!(app.session.document.project.recordings.len(), 2);
    assert_eq!(app.session.document.project.detection_runs.len(), 1);
    assert!(
        app.session
            .messages
            .iter()
            .any(|m| m.text.contains("changed on disk")),
        "{:?}",
        app.session.messages
    );
}

/// A project damaged on disk: opening it says so and offers its kept versions; one click
/// brings the newest back and opens it.
#[test]
fn a_damaged_project_offers_its_kept_versions_and_restores() {
    let dir = tempfile::tempdir().unwrap();
    let audio = recording(dir.path(), "a.wav");
    let project_path = dir.path().join("p.syrinx");
    let mut project = Project::default();
    let id = project.add_recording(&probe(&audio).unwrap()).unwrap();
    // Three saves holding 0, 1 and 2 boxes: the first two are kept as versions.
    for n in 0..3_u64 {
        project.selections = syrinx::annotation::SelectionSet::from_items(
            (0..n)
                .map(|i| Selection {
                    id: syrinx::annotation::SelectionId(i),
                    recording: id,
                    start_secs: 1.0 + i as f64,
                    end_secs: 1.5 + i as f64,
                    low_hz: 1_000.0,
                    high_hz: 2_000.0,
                    label: "x".to_owned(),
                    kind: SelectionKind::Positive,
                    extra: Default::default(),
                })
                .collect(),
        );
        project.save(&project_path).unwrap();
    }
    let text = std::fs::read(&project_path).unwrap();
    std::fs::write(&project_path, &text[..text.len() / 3]).unwrap();

    let mut harness = app(vec![project_path.clone()]);
    settle(&mut harness);
    assert!(
        harness.state().session.document.path.is_none(),
        "not opened"
    );
    harness.get_by_label("Restore an earlier version");
    let restore_buttons = harness.get_all_by_label("Restore").count();
    assert_eq!(restore_buttons, 2, "both kept versions are offered");
    harness.get_all_by_label("Restore").next().unwrap().click();
    settle(&mut harness);
    let app = harness.state();
    assert_eq!(
        app.session.document.path.as_deref(),
        Some(project_path.as_path())
    );
    assert_eq!(app.session.document.project.selections.len(), 1);
    assert!(app.ui.projects.restore.is_none(), "the window closes");
    assert_eq!(Project::load(&project_path).unwrap().0.selections.len(), 1);
    assert!(
        app.session
            .messages
            .iter()
            .any(|m| m.text.starts_with("Restored")),
        "{:?}",
        app.session.messages
    );
    // The damaged file is itself kept.
    let newest = &syrinx::project::history::versions(&project_path)[0];
    assert_eq!(
        std::fs::read(&newest.path).unwrap(),
        &text[..text.len() / 3]
    );
}

/// A project another window has open still opens, and the window says so.
#[test]
fn a_project_open_in_another_window_opens_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let audio = recording(dir.path(), "a.wav");
    let project_path = dir.path().join("p.syrinx");
    let mut project = Project::default();
    project.add_recording(&probe(&audio).unwrap()).unwrap();
    project.save(&project_path).unwrap();
    let (other, _) = syrinx::session::lock::OpenMark::take(&project_path, "the Syrinx app");
    assert!(other.is_some());
    let mut harness = app(vec![project_path.clone()]);
    settle(&mut harness);
    let app = harness.state();
    assert_eq!(
        app.session.document.path.as_deref(),
        Some(project_path.as_path())
    );
    assert!(
        app.session
            .messages
            .iter()
            .any(|m| m.text.contains("is also open in the Syrinx app (pid")),
        "{:?}",
        app.session.messages
    );
}

#[test]
fn an_untitled_project_is_autosaved_into_the_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let path = recording(dir.path(), "a.wav");
    let mut harness = app_with(
        vec![path],
        Arc::default(),
        Some(data.path().to_path_buf()),
        Duration::ZERO,
    );
    settle(&mut harness);
    draw_box(&mut harness);
    settle(&mut harness);
    assert!(!harness.state().session.document.is_dirty(), "written");
    // Beside it: its lock file and kept versions, which are not projects.
    let autosaves: Vec<PathBuf> = std::fs::read_dir(data.path().join("autosave"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| syrinx::project::is_project_path(p))
        .collect();
    assert_eq!(autosaves.len(), 1, "{autosaves:?}");
    let (project, report) = Project::load(&autosaves[0]).unwrap();
    assert_eq!(project.selections.len(), 1);
    assert_eq!(project.recordings.len(), 1);
    assert!(report.missing.is_empty());
}

#[test]
fn a_missing_recording_is_reported_kept_and_relinked() {
    let dir = tempfile::tempdir().unwrap();
    let audio = recording(dir.path(), "dawn.wav");
    let mut project = Project::default();
    let id = project.add_recording(&probe(&audio).unwrap()).unwrap();
    let selection = Selection {
        id: project.selections.new_id(),
        recording: id,
        start_secs: 1.0,
        end_secs: 2.0,
        low_hz: 1000.0,
        high_hz: 2000.0,
        label: "x".to_owned(),
        kind: SelectionKind::Positive,
        extra: Default::default(),
    };
    let mut history = syrinx::project::UndoStack::default();
    history.apply(
        &mut project.selections,
        "add",
        vec![Edit::Insert(vec![selection])],
    );
    let project_path = dir.path().join("p.syrinx");
    project.save(&project_path).unwrap();
    let moved = dir.path().join("moved");
    std::fs::create_dir(&moved).unwrap();
    let new_home = moved.join("dawn.wav");
    std::fs::rename(&audio, &new_home).unwrap();

    let mut harness = app(vec![project_path]);
    settle(&mut harness);
    let app = harness.state();
    assert_eq!(app.session.document.project.recordings.len(), 1, "kept");
    assert!(
        app.session
            .document
            .missing
            .contains(&ProjectRecordingId(0))
    );
    assert_eq!(app.session.document.project.selections.len(), 1);
    let error = app
        .session
        .messages
        .iter()
        .find(|m| m.is_error)
        .expect("reported");
    assert!(
        error.text.contains("dawn.wav") && error.text.contains("not found"),
        "{}",
        error.text
    );
    harness.get_by_label("file not found");

    harness.get_by_label("Relink…").click();
    harness.run();
    type_into_prompt(&mut harness, &new_home);
    let app = harness.state();
    assert!(app.session.document.missing.is_empty());
    assert_eq!(app.session.document.project.recordings[0].path, new_home);
    assert_eq!(app.workspace.recordings.len(), 1, "opened once found");
    // Relinking is an undo step: undone, the recording points at the old path again (missing,
    // closed); redone, it is found again.
    harness.state_mut().undo();
    harness.run();
    let app = harness.state();
    assert!(
        app.session
            .document
            .missing
            .contains(&ProjectRecordingId(0))
    );
    assert_eq!(app.session.document.project.recordings[0].path, audio);
    assert!(app.workspace.recordings.is_empty());
    harness.state_mut().redo();
    harness.run();
    let app = harness.state();
    assert!(app.session.document.missing.is_empty());
    assert_eq!(app.session.document.project.recordings[0].path, new_home);
}

#[test]
fn opening_a_folder_adds_its_recordings_with_their_tables() {
    let dir = tempfile::tempdir().unwrap();
    recording(dir.path(), "a.wav");
    recording(dir.path(), "b.wav");
    std::fs::write(dir.path().join("a.Table.1.selections.txt"), RAVEN_TABLE).unwrap();
    let mut harness = app(vec![dir.path().to_path_buf()]);
    settle(&mut harness);
    let app = harness.state();
    assert_eq!(app.session.document.project.recordings.len(), 2);
    let a = app
        .session
        .document
        .project
        .recordings
        .iter()
        .find(|r| r.name() == "a.wav")
        .unwrap()
        .id;
    let all = selections(&harness);
    // Rows 1–3 fit the 60 s recording; row 4 (at 90 s) is past its end.
    assert_eq!(all.len(), 3, "{all:?}");
    assert!(all.iter().all(|s| s.recording == a));
    assert_eq!(
        harness.state().workspace.recordings.len(),
        1,
        "the first recording is shown"
    );
    // The folder's recordings, tables and labels are one undo step.
    harness.state_mut().undo();
    harness.run();
    let app = harness.state();
    assert!(app.session.document.project.recordings.is_empty());
    assert!(app.session.document.project.selections.is_empty());
    assert!(app.session.document.project.labels.is_empty());
    assert!(app.workspace.recordings.is_empty(), "closed with the step");
    harness.state_mut().redo();
    harness.run();
    assert_eq!(harness.state().session.document.project.recordings.len(), 2);
    assert_eq!(selections(&harness).len(), 3);
}

#[test]
fn the_export_window_writes_tables_and_clips() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, _) = opened(dir.path(), "a.wav");
    draw_box(&mut harness);
    harness.get_by_label("File").click();
    harness.run();
    harness.get_by_label("Export selections…").click();
    harness.run();
    let out = dir.path().join("export");
    harness
        .get_by_label("Folder")
        .set_text_value_accesskit(&out.display().to_string());
    harness.run();
    harness.get_by_label("also WAV clips, padded by").click();
    harness.run();
    harness.get_by_label("Export").click();
    settle(&mut harness);
    let table = std::fs::read_to_string(out.join("a.Table.1.selections.txt")).unwrap();
    assert_eq!(table.lines().count(), 2, "header and one row:\n{table}");
    assert!(out.join("all.selections.txt").exists());
    let clips: Vec<_> = walk(&out.join("clips"));
    assert_eq!(clips.len(), 1, "{clips:?}");
    assert!(
        clips[0]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("a_"),
        "{clips:?}"
    );
    let message = &harness.state().session.messages.last().unwrap().text;
    assert!(
        message.contains("Exported 2 raven table(s)") && message.contains("1 clip(s)"),
        "{message}"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// A box selected in one recording is not selected in the next one shown: Delete there deletes
/// nothing the user cannot see (it used to delete the first recording's box without a word).
#[test]
fn switching_recordings_clears_the_selection_so_delete_cannot_touch_another_recording() {
    let dir = tempfile::tempdir().unwrap();
    let first = recording(dir.path(), "a.wav");
    let second = recording(dir.path(), "b.wav");
    let mut harness = app(vec![first, second.clone()]);
    settle(&mut harness);
    let drawn = draw_box(&mut harness);
    assert!(
        harness
            .state()
            .workspace
            .annotator
            .selected
            .contains(&drawn.id),
        "a box drawn is selected"
    );
    let other = harness
        .state()
        .session
        .document
        .project
        .recording_at(&second)
        .unwrap()
        .id;
    assert_ne!(other, drawn.recording);
    // The recordings list shows the other one (a click there does the same).
    harness
        .state_mut()
        .workbench()
        .show_project_recording(other);
    harness.key_press(egui::Key::Delete);
    settle(&mut harness);
    assert_eq!(
        harness.state().active_recording().unwrap().project_id,
        other
    );
    assert!(harness.state().workspace.annotator.selected.is_empty());
    assert_eq!(
        only(&harness).id,
        drawn.id,
        "the first recording's box stays"
    );
    // Back on its recording, a row click selects it again and Delete deletes it there.
    harness.state_mut().workbench().jump_to_selection(drawn.id);
    harness.key_press(egui::Key::Delete);
    settle(&mut harness);
    assert!(
        selections(&harness).is_empty(),
        "deleted on its own recording"
    );
}
