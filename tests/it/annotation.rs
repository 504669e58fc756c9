use std::path::{Path, PathBuf};

use syrinx::annotation::{
    Edit, ImportOptions, SelectionKind, TableFormat, TableRow, UnknownLabels, parse_table,
    preview_import, read_table, write_table,
};
use syrinx::audio::{WavEncoding, probe, write_wav};
use syrinx::clips::export_clips;
use syrinx::project::{Project, Split, UndoStack, pair_folder};
use syrinx::util::synth::FieldSynth;

use crate::common::fixture;

fn table(name: &str) -> PathBuf {
    fixture(&format!("third_party/tables/{name}"))
}

/// Reads, writes in the same format, reads again; returns (first read, second read).
fn round_trip(name: &str, format: TableFormat) -> (Vec<TableRow>, Vec<TableRow>) {
    let first = read_table(&table(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(first.format, format, "{name}");
    assert!(first.warnings.is_empty(), "{name}: {:?}", first.warnings);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    write_table(&out, format, &first.rows).unwrap();
    let second = read_table(&out).unwrap();
    (first.rows, second.rows)
}

fn assert_same_boxes(a: &[TableRow], b: &[TableRow], name: &str) {
    assert_eq!(a.len(), b.len(), "{name}");
    for (x, y) in a.iter().zip(b) {
        assert!(
            (x.start_secs - y.start_secs).abs() < 1e-6 && (x.end_secs - y.end_secs).abs() < 1e-6,
            "{name}"
        );
        assert_eq!(x.low_hz.is_some(), y.low_hz.is_some(), "{name}");
        if let (Some(l1), Some(l2), Some(h1), Some(h2)) = (x.low_hz, y.low_hz, x.high_hz, y.high_hz)
        {
            assert!((l1 - l2).abs() < 1e-6 && (h1 - h2).abs() < 1e-6, "{name}");
        }
    }
}

#[test]
fn every_shared_raven_table_round_trips_with_its_columns() {
    let expected = [
        ("LongExample.Table.1.selections.txt", 13, "class"),
        ("ShortExample.Table.1.selections.txt", 1, "class"),
        ("EmptyLabelExample.Table.1.selections.txt", 1, "class"),
        ("EmptyExample.Table.1.selections.txt", 0, "Species"),
        (
            "MSD-0003_20180427_2minstart00.Table.1.selections.txt",
            10,
            "Species",
        ),
        ("raven_with_Annotation_col.txt", 1, "Annotation"),
        (
            "Recording_1_Segment_02.Table.1.selections.txt",
            6,
            "Species",
        ),
        (
            "Recording_1_Segment_05.Table.1.selections.txt",
            205,
            "Species",
        ),
        (
            "Recording_1_Segment_12.Table.1.selections.txt",
            221,
            "Species",
        ),
    ];
    for (name, count, label_column) in expected {
        let (first, second) = round_trip(name, TableFormat::Raven);
        assert_eq!(first.len(), count, "{name}");
        assert_same_boxes(&first, &second, name);
        let parsed = read_table(&table(name)).unwrap();
        assert_eq!(
            ImportOptions::suggested(&parsed).label_column.as_deref(),
            Some(label_column),
            "{name}"
        );
        // Every original column comes back with its values.
        for (a, b) in first.iter().zip(&second) {
            for (column, value) in &a.values {
                assert_eq!(b.values.get(column), Some(value), "{name}: column {column}");
            }
        }
    }
}

#[test]
fn raven_quirks_each_read_right() {
    // All-lower-case header and CRLF.
    let long = read_table(&table("LongExample.Table.1.selections.txt")).unwrap();
    assert_eq!(long.rows[1].values["class"], "woth");
    assert!((long.rows[1].end_secs - 5.154545065).abs() < 1e-12);
    // Custom columns with spaces in values.
    let short = read_table(&table("ShortExample.Table.1.selections.txt")).unwrap();
    assert_eq!(short.columns, vec!["class", "number", "distance", "type"]);
    assert_eq!(short.rows[0].values["type"], "chorus pup");
    // An empty label cell stays empty (not a shifted column).
    let empty_label = read_table(&table("EmptyLabelExample.Table.1.selections.txt")).unwrap();
    assert_eq!(empty_label.rows[0].values["class"], "");
    assert_eq!(empty_label.rows[0].values["number"], "5");
    // Header only, ending in a tab.
    let empty = read_table(&table("EmptyExample.Table.1.selections.txt")).unwrap();
    assert!(empty.rows.is_empty() && empty.warnings.is_empty());
    assert_eq!(empty.columns, vec!["Species"]);
    // Rows shorter than the header.
    let msd = read_table(&table(
        "MSD-0003_20180427_2minstart00.Table.1.selections.txt",
    ))
    .unwrap();
    assert_eq!(msd.rows[0].values["Species"], "WOTH");
    assert_eq!(msd.rows[0].values["distance"], "");
    // Header ending in a tab, no final newline.
    let annotation = read_table(&table("raven_with_Annotation_col.txt")).unwrap();
    assert_eq!(annotation.rows[0].values["Annotation"], "CSWA");
    // `Low Frequency (Hz)` spelling and a BOM.
    let spelled = parse_table(
        "\u{feff}Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Frequency (Hz)\tHigh Frequency (Hz)\n1\tSpectrogram 1\t1\t1\t2\t300\t800\n",
    )
    .unwrap();
    assert_eq!(
        (spelled.rows[0].low_hz, spelled.rows[0].high_hz),
        (Some(300.0), Some(800.0))
    );
}

#[test]
fn audacity_labels_round_trip() {
    for (name, count, with_frequencies) in [
        ("spinetail.txt", 18, true),
        ("cold_forest_daylight_label.txt", 160, true),
        ("405_marron1_June_14_2016_69640887.audacity.txt", 61, false),
    ] {
        let (first, second) = round_trip(name, TableFormat::Audacity);
        assert_eq!(first.len(), count, "{name}");
        assert!(
            first.iter().all(|r| r.low_hz.is_some() == with_frequencies
                && r.high_hz.is_some() == with_frequencies),
            "{name}"
        );
        assert_same_boxes(&first, &second, name);
        assert_eq!(
            first.iter().map(|r| &r.label).collect::<Vec<_>>(),
            second.iter().map(|r| &r.label).collect::<Vec<_>>()
        );
    }
    let spinetail = read_table(&table("spinetail.txt")).unwrap();
    assert_eq!(spinetail.rows[0].label, "SP");
    assert_eq!(
        (spinetail.rows[0].low_hz, spinetail.rows[0].high_hz),
        (Some(6441.064453), Some(12296.577148))
    );
}

#[test]
fn conversions_between_formats_keep_boxes_and_labels() {
    let dir = tempfile::tempdir().unwrap();
    let source = read_table(&table("Recording_1_Segment_05.Table.1.selections.txt")).unwrap();
    let options = ImportOptions::suggested(&source);
    let rows: Vec<TableRow> = source
        .rows
        .iter()
        .map(|r| TableRow {
            label: options.label_of(r),
            ..r.clone()
        })
        .collect();
    for format in [TableFormat::Csv, TableFormat::Audacity, TableFormat::Raven] {
        let path = dir.path().join(format!("out.{}", format.extension()));
        write_table(&path, format, &rows).unwrap();
        let back = read_table(&path).unwrap();
        assert_eq!(back.format, format);
        assert_same_boxes(&rows, &back.rows, format.name());
        let labels: Vec<String> = back
            .rows
            .iter()
            .map(|r| ImportOptions::suggested(&back).label_of(r))
            .collect();
        assert_eq!(
            labels,
            rows.iter().map(|r| r.label.clone()).collect::<Vec<_>>(),
            "{}",
            format.name()
        );
    }
    assert!(
        read_table(&dir.path().join("missing.txt"))
            .unwrap_err()
            .to_string()
            .ends_with("missing.txt")
    );
    std::fs::write(dir.path().join("notes.txt"), "Dawn chorus at site 3\n").unwrap();
    let err = read_table(&dir.path().join("notes.txt"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("not a Raven") && err.ends_with("notes.txt"),
        "{err}"
    );
}

fn wav(dir: &Path, name: &str, secs: u32) -> PathBuf {
    let path = dir.join(name);
    write_wav(
        &path,
        &FieldSynth::new(22_050, 1).take(22_050 * secs as usize),
        22_050,
        WavEncoding::Pcm16,
    )
    .unwrap();
    path
}

#[test]
fn multi_file_tables_map_to_their_recordings() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = Project::default();
    let a = project
        .add_recording(&probe(wav(dir.path(), "site1.wav", 30)).unwrap())
        .unwrap();
    let b = project
        .add_recording(&probe(wav(dir.path(), "site2.wav", 30)).unwrap())
        .unwrap();
    let text = "Selection\tView\tChannel\tBegin File\tFile Offset (s)\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\tSpecies\n\
                1\tSpectrogram 1\t1\tsite1.wav\t5\t5\t6\t1000\t2000\tA\n\
                2\tSpectrogram 1\t1\tsite2.wav\t2.5\t32.5\t33\t1000\t2000\tB\n\
                3\tSpectrogram 1\t1\tsite9.wav\t1\t61\t62\t1000\t2000\tA\n";
    let parsed = parse_table(text).unwrap();
    let options = ImportOptions::suggested(&parsed);
    let mut ids = project.selections.clone();
    let preview = preview_import(
        &parsed,
        &options,
        |row| project.import_target(row, None),
        &mut ids,
    );
    assert_eq!(preview.selections.len(), 2);
    assert_eq!(
        preview.unmatched_files["site9.wav"], 1,
        "unknown files are reported"
    );
    let on = |id| {
        preview
            .selections
            .iter()
            .find(|s| s.recording == id)
            .unwrap()
    };
    assert_eq!((on(a).start_secs, on(a).label.as_str()), (5.0, "A"));
    assert_eq!((on(b).start_secs, on(b).end_secs), (2.5, 3.0));
    // Exported as one combined table, then read back: the same recordings and times.
    let mut history = UndoStack::default();
    history.apply(
        &mut project.selections,
        "import",
        vec![Edit::Insert(preview.selections.clone())],
    );
    let combined = dir.path().join("all.selections.txt");
    write_table(
        &combined,
        TableFormat::Raven,
        &project.table_rows(None, true),
    )
    .unwrap();
    let back = read_table(&combined).unwrap();
    let mut again = project.selections.clone();
    let options = ImportOptions {
        label_column: Some("Annotation".to_owned()),
        ..ImportOptions::suggested(&back)
    };
    let reimported = preview_import(
        &back,
        &options,
        |row| project.import_target(row, None),
        &mut again,
    );
    let mut got: Vec<_> = reimported
        .selections
        .iter()
        .map(|s| (s.recording, s.start_secs, s.end_secs, s.label.clone()))
        .collect();
    let mut want: Vec<_> = preview
        .selections
        .iter()
        .map(|s| (s.recording, s.start_secs, s.end_secs, s.label.clone()))
        .collect();
    got.sort_by(|x, y| x.partial_cmp(y).unwrap());
    want.sort_by(|x, y| x.partial_cmp(y).unwrap());
    assert_eq!(got, want);
}

#[test]
fn exported_tables_carry_clock_times_that_import_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = Project::default();
    // Start times from a Song Meter-style name, and from the AudioMoth comment of a real file
    // ("Recorded at 10:25:00 04/04/2020 (UTC)"); a third recording tells none.
    let named = project
        .add_recording(&probe(wav(dir.path(), "SM4_20210614_235950.wav", 30)).unwrap())
        .unwrap();
    let moth_path = dir.path().join("moth.wav");
    std::fs::copy(fixture("third_party/metadata.wav"), &moth_path).unwrap();
    let moth = project.add_recording(&probe(&moth_path).unwrap()).unwrap();
    let plain = project
        .add_recording(&probe(wav(dir.path(), "plain.wav", 30)).unwrap())
        .unwrap();
    let mut history = UndoStack::default();
    let mut ids = project.selections.clone();
    let selection = |recording, start_secs: f64, ids: &mut syrinx::annotation::SelectionSet| {
        syrinx::annotation::Selection {
            id: ids.new_id(),
            recording,
            start_secs,
            end_secs: start_secs + 1.5,
            low_hz: 1_000.0,
            high_hz: 3_000.0,
            label: "call".to_owned(),
            kind: SelectionKind::Positive,
            extra: Default::default(),
        }
    };
    let made = vec![
        selection(named, 12.25, &mut ids),
        selection(moth, 4.0, &mut ids),
        selection(plain, 2.0, &mut ids),
    ];
    history.apply(&mut project.selections, "add", vec![Edit::Insert(made)]);
    let out = dir.path().join("export");
    syrinx::export::export_tables(&project, None, TableFormat::Raven, &out).unwrap();
    let combined = read_table(&out.join("all.selections.txt")).unwrap();
    let text = std::fs::read_to_string(out.join("all.selections.txt")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split('\t').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no {name}: {text}"))
    };
    let (date, clock) = (column("Begin Date"), column("Begin Clock Time"));
    let cells = |file: &str| -> (String, String) {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("\t{file}\t")))
            .unwrap();
        let cells: Vec<&str> = line.split('\t').collect();
        (cells[date].to_owned(), cells[clock].to_owned())
    };
    // 12.25 s into a file begun ten seconds before midnight: the next day.
    assert_eq!(
        cells("SM4_20210614_235950.wav"),
        ("2021/06/15".to_owned(), "00:00:02.250".to_owned())
    );
    assert_eq!(
        cells("moth.wav"),
        ("2020/04/04".to_owned(), "10:25:04.000".to_owned())
    );
    assert_eq!(cells("plain.wav"), (String::new(), String::new()));
    // A recording's own table gets them too when its start is known, and not otherwise.
    let own = std::fs::read_to_string(out.join("moth.Table.1.selections.txt")).unwrap();
    assert!(own.contains("\t2020/04/04\t10:25:04.000"), "{own}");
    let own = std::fs::read_to_string(out.join("plain.Table.1.selections.txt")).unwrap();
    assert!(!own.contains("Begin Date"), "{own}");
    // Read back: each file's start, and the same selections when imported into the project.
    let start_of = |name: &str| {
        combined
            .rows
            .iter()
            .find(|r| r.file.as_ref().unwrap().name == name)
            .and_then(|r| r.file.as_ref().unwrap().start)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
    };
    assert_eq!(
        start_of("SM4_20210614_235950.wav").as_deref(),
        Some("2021-06-14 23:59:50")
    );
    assert_eq!(start_of("moth.wav").as_deref(), Some("2020-04-04 10:25:00"));
    assert_eq!(start_of("plain.wav"), None);
    let options = ImportOptions {
        label_column: Some("Annotation".to_owned()),
        ..ImportOptions::suggested(&combined)
    };
    let mut again = project.selections.clone();
    let reimported = preview_import(
        &combined,
        &options,
        |row| project.import_target(row, None),
        &mut again,
    );
    let boxes = |selections: &[syrinx::annotation::Selection]| {
        let mut boxes: Vec<_> = selections
            .iter()
            .map(|s| (s.recording, s.start_secs, s.end_secs, s.label.clone()))
            .collect();
        boxes.sort_by(|x, y| x.partial_cmp(y).unwrap());
        boxes
    };
    assert_eq!(
        boxes(&reimported.selections),
        boxes(project.selections.items())
    );
    // The clock times are not extra columns of the imported selections.
    assert!(
        reimported
            .selections
            .iter()
            .all(|s| !s.extra.contains_key("Begin Date")
                && !s.extra.contains_key("Begin Clock Time"))
    );
}

#[test]
fn projects_save_and_load_unchanged_with_relative_paths() {
    let dir = tempfile::tempdir().unwrap();
    let audio = dir.path().join("audio");
    std::fs::create_dir(&audio).unwrap();
    let mut project = Project::default();
    let id = project
        .add_recording(&probe(wav(&audio, "night.wav", 20)).unwrap())
        .unwrap();
    project.recording_mut(id).unwrap().split = Split::Validation;
    project.recording_mut(id).unwrap().group = Some("SITE7".to_owned());
    let parsed = read_table(&table("spinetail.txt")).unwrap();
    let mut options = ImportOptions::suggested(&parsed);
    options.negative_labels.insert("CRER".to_owned());
    options.unknown = UnknownLabels::Positive;
    let mut ids = project.selections.clone();
    let preview = preview_import(
        &parsed,
        &options,
        |row| project.import_target(row, Some(id)),
        &mut ids,
    );
    UndoStack::default().apply(
        &mut project.selections,
        "import",
        vec![Edit::Insert(preview.selections)],
    );
    project.add_clip_folder(&dir.path().join("negative"), SelectionKind::Negative, None);

    let path = dir.path().join("survey.syrinx");
    project.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(&format!(
            "\"schema_version\": {}",
            syrinx::project::SCHEMA_VERSION
        )) && text.contains("\"audio/night.wav\""),
        "{text}"
    );
    let (loaded, report) = Project::load(&path).unwrap();
    assert_eq!(loaded, project);
    assert_eq!(report, Default::default());

    // Moving the whole project folder keeps it working (paths are relative).
    let moved = tempfile::tempdir().unwrap();
    let new_dir = moved.path().join("copy");
    std::fs::rename(dir.path(), &new_dir).unwrap_or_else(|_| copy_dir(dir.path(), &new_dir));
    let (moved_project, report) = Project::load(&new_dir.join("survey.syrinx")).unwrap();
    assert!(report.missing.is_empty());
    assert_eq!(
        moved_project.recordings[0].path,
        new_dir.join("audio/night.wav")
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn a_crash_during_save_leaves_the_previous_project_loadable() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = Project::default();
    project
        .add_recording(&probe(wav(dir.path(), "a.wav", 5)).unwrap())
        .unwrap();
    let path = dir.path().join("p.syrinx");
    project.save(&path).unwrap();
    // A crash between writing the temporary file and renaming it leaves a half-written
    // temporary file behind; the project file itself is untouched.
    let temp = dir.path().join(".p.syrinx.partial");
    std::fs::write(&temp, &std::fs::read(&path).unwrap()[..40]).unwrap();
    let (loaded, _) = Project::load(&path).unwrap();
    assert_eq!(loaded, project);
    // The next save replaces the leftover and succeeds.
    project.recordings[0].fully_annotated = true;
    project.save(&path).unwrap();
    assert!(Project::load(&path).unwrap().0.recordings[0].fully_annotated);
    // A damaged or foreign file gives a clear error naming it.
    std::fs::write(&path, "{\"recordings\": [").unwrap();
    let err = Project::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("not a Syrinx project") && err.ends_with("p.syrinx"),
        "{err}"
    );
    std::fs::write(&path, "{\"schema_version\": 99}").unwrap();
    assert!(
        Project::load(&path)
            .unwrap_err()
            .to_string()
            .contains("newer Syrinx")
    );
}

#[test]
fn a_missing_recording_is_kept_reported_and_can_be_relinked() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = Project::default();
    let original = wav(dir.path(), "dawn.wav", 12);
    let id = project.add_recording(&probe(&original).unwrap()).unwrap();
    let path = dir.path().join("p.syrinx");
    project.save(&path).unwrap();
    let moved = dir.path().join("moved.wav");
    std::fs::rename(&original, &moved).unwrap();
    let (mut loaded, report) = Project::load(&path).unwrap();
    assert_eq!(report.missing, vec![id]);
    assert_eq!(loaded.recordings.len(), 1, "kept, not dropped");
    // Relinking checks it is the same recording.
    let other = wav(dir.path(), "other.wav", 3);
    assert!(
        loaded
            .relink(id, &probe(&other).unwrap())
            .unwrap_err()
            .to_string()
            .contains("not the same recording")
    );
    loaded.relink(id, &probe(&moved).unwrap()).unwrap();
    loaded.save(&path).unwrap();
    assert!(Project::load(&path).unwrap().1.missing.is_empty());
    // A changed file is noticed.
    write_wav(
        &moved,
        &FieldSynth::new(22_050, 9).take(22_050 * 12),
        22_050,
        WavEncoding::Pcm16,
    )
    .unwrap();
    assert_eq!(Project::load(&path).unwrap().1.changed, vec![id]);
}

#[test]
fn selections_export_as_padded_clips() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = Project::default();
    let id = project
        .add_recording(&probe(wav(dir.path(), "dawn.wav", 10)).unwrap())
        .unwrap();
    let table = parse_table("0.5\t1.0\tsong\n9.8\t10.0\tcall\n").unwrap();
    let mut ids = project.selections.clone();
    let preview = preview_import(
        &table,
        &ImportOptions::suggested(&table),
        |r| project.import_target(r, Some(id)),
        &mut ids,
    );
    UndoStack::default().apply(
        &mut project.selections,
        "import",
        vec![Edit::Insert(preview.selections)],
    );
    let selections: Vec<_> = project.selections.items().iter().collect();
    let out = dir.path().join("clips");
    let export = export_clips(&project, &selections, &out, 0.25).unwrap();
    assert_eq!(export.written.len(), 2);
    let song = out.join("positive/song/dawn_0.500_1.000.wav");
    assert_eq!(
        probe(&song).unwrap().frame_count,
        (22_050.0 * 1.0) as u64,
        "0.5 s plus 0.25 s each side"
    );
    let call = out.join("positive/call/dawn_9.800_10.000.wav");
    assert_eq!(
        probe(&call).unwrap().frame_count,
        (22_050.0 * 0.45) as u64,
        "clamped at the end"
    );
}

#[test]
fn folders_pair_audio_with_tables_of_the_same_stem() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "a.wav",
        "a.Table.1.selections.txt",
        "b.flac",
        "b.txt",
        "c.wav",
        "notes.md",
    ] {
        std::fs::write(dir.path().join(name), b"x").unwrap();
    }
    let pairs = pair_folder(dir.path()).unwrap();
    let names: Vec<(String, Option<String>)> = pairs
        .iter()
        .map(|(a, t)| {
            let name = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
            (name(a), t.as_deref().map(name))
        })
        .collect();
    assert_eq!(
        names,
        vec![
            (
                "a.wav".to_owned(),
                Some("a.Table.1.selections.txt".to_owned())
            ),
            ("b.flac".to_owned(), Some("b.txt".to_owned())),
            ("c.wav".to_owned(), None),
        ]
    );
}

#[test]
fn measurements_find_the_peak_and_the_level() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tone.wav");
    let mut signal = vec![0.0_f32; 22_050];
    signal.extend(syrinx::util::synth::tone(3000.0, 0.5, 22_050, 22_050));
    signal.extend(vec![0.0_f32; 22_050]);
    write_wav(&path, &signal, 22_050, WavEncoding::Float32).unwrap();
    let mut reader = syrinx::audio::AudioReader::open(&path).unwrap();
    let m = syrinx::measure::measure(&mut reader, 1.2, 1.8, 2000.0, 5000.0).unwrap();
    assert!((m.peak_hz - 3000.0).abs() < 22.0, "{m:?}");
    assert!(
        (m.rms_dbfs - (20.0 * (0.5 / 2.0_f64.sqrt()).log10())).abs() < 0.05,
        "{m:?}"
    );
    assert!((m.duration_secs - 0.6).abs() < 1e-12 && (m.bandwidth_hz - 3000.0).abs() < 1e-9);
    let quiet = syrinx::measure::measure(&mut reader, 0.1, 0.5, 2000.0, 5000.0).unwrap();
    assert!(
        quiet.rms_dbfs < -150.0 && quiet.band_level_db < m.band_level_db - 60.0,
        "{quiet:?}"
    );
    let short = syrinx::measure::measure(&mut reader, 1.5, 1.505, 2000.0, 5000.0).unwrap();
    assert!(short.peak_hz.is_finite(), "a 5 ms box still measures");
}
