use std::path::Path;
use std::process::{Command, Output};

use crate::common::fixture;

pub fn syrinx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_syrinx"))
        .args(args)
        .output()
        .unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn every_command_has_help() {
    let top = syrinx(&["--help"]);
    assert!(top.status.success());
    for command in ["info", "spectrogram", "bench"] {
        assert!(
            stdout(&top).contains(command),
            "{command} missing from --help"
        );
        let help = syrinx(&[command, "--help"]);
        assert!(help.status.success(), "{command} --help failed");
        assert!(stdout(&help).contains("Usage: syrinx"), "{command}");
    }
    let version = syrinx(&["--version"]);
    assert!(stdout(&version).starts_with("syrinx "));
}

#[test]
fn info_reports_each_file_and_fails_only_at_the_end() {
    let good = fixture("third_party/spinetail.wav");
    let bad = fixture("third_party/empty_2c.wav");
    let missing = Path::new("no/such/recording.flac");
    let output = syrinx(&[
        "info",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
        missing.to_str().unwrap(),
    ]);
    assert!(
        !output.status.success(),
        "a bad file must give a non-zero exit"
    );
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].contains("19.542 s") && lines[0].contains("44100 Hz"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("error") && lines[1].ends_with("empty_2c.wav"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("error") && lines[2].ends_with("recording.flac"),
        "{}",
        lines[2]
    );
}

#[test]
fn info_json_gives_one_object_per_file() {
    let files = [
        fixture("third_party/metadata.wav"),
        fixture("tones.ogg"),
        fixture("third_party/empty_2c.wav"),
    ];
    let mut args = vec!["info".to_owned(), "--json".to_owned()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let output = syrinx(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(output.status.code(), Some(1));
    let objects: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 3);
    assert_eq!(objects[0]["sample_rate_hz"], 32_000);
    assert_eq!(objects[0]["channels"], 1);
    assert_eq!(objects[0]["codec"], "pcm_s16le");
    assert_eq!(objects[0]["start_time"], "2020-04-04T10:25:00Z");
    assert!((objects[0]["duration_secs"].as_f64().unwrap() - 14.969).abs() < 0.001);
    assert_eq!(objects[1]["codec"], "vorbis");
    assert!(objects[1]["path"].as_str().unwrap().ends_with("tones.ogg"));
    assert!(
        objects[2]["error"]
            .as_str()
            .unwrap()
            .contains("no audio samples")
    );
    assert!(objects[2].get("duration_secs").is_none());
}

fn read_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buffer).unwrap();
    buffer.truncate(frame.buffer_size());
    (frame.width, frame.height, buffer)
}

#[test]
fn spectrogram_writes_a_labelled_png() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tones.png");
    let output = syrinx(&[
        "spectrogram",
        fixture("tones.flac").to_str().unwrap(),
        "--scale",
        "mel",
        "--colormap",
        "magma",
        "--width",
        "800",
        "--height",
        "400",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (width, height, pixels) = read_png(&out);
    assert_eq!((width, height), (800, 400));
    // Magma: the 1 kHz tone (first half) and the 3 kHz tone (second half) are the brightest rows
    // of their halves (the white page around the plot is not a magma colour).
    let brightest_row = |x: usize| {
        (0..height as usize)
            .map(|y| &pixels[(y * width as usize + x) * 3..][..3])
            .enumerate()
            .filter(|(_, rgb)| *rgb != [255, 255, 255])
            .max_by_key(|(_, rgb)| rgb.iter().map(|c| u32::from(*c)).sum::<u32>())
            .unwrap()
            .0
    };
    let (first, second) = (brightest_row(250), brightest_row(550));
    assert!(
        second + 20 < first,
        "3 kHz (row {second}) should sit above 1 kHz (row {first})"
    );
}

#[test]
fn spectrogram_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.png");
    let file = fixture("tones.flac");
    let empty_span = syrinx(&[
        "spectrogram",
        file.to_str().unwrap(),
        "--start",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!empty_span.status.success());
    assert!(
        stderr(&empty_span).contains("tones.flac"),
        "{}",
        stderr(&empty_span)
    );
    let missing = syrinx(&[
        "spectrogram",
        "nowhere/field.wav",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("nowhere/field.wav"),
        "{}",
        stderr(&missing)
    );
    let bad_window = syrinx(&[
        "spectrogram",
        file.to_str().unwrap(),
        "--window-fn",
        "kaiser",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!bad_window.status.success());
    assert!(
        stderr(&bad_window).contains("blackman-harris"),
        "lists the choices: {}",
        stderr(&bad_window)
    );
    assert!(!out.exists());
}

#[test]
fn bench_reports_every_item_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let output = syrinx(&[
        "bench",
        "--json",
        "--secs",
        "2",
        "--cache-dir",
        dir.path().to_str().unwrap(),
        "--model-steps",
        "1",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    for key in [
        "train_samples_per_sec",
        "reference_train_samples_per_sec",
        "infer_samples_per_sec",
        "reference_infer_samples_per_sec",
        "detect_x_realtime",
        "detect_proposed_3_x_realtime",
        "detect_proposed_1_window_by_window_x_realtime",
        "detect_bats_250k_x_realtime",
        "detect_bats_250k_peak_rss_mb",
        "detect_bats_250k_window_by_window_x_realtime",
        "detect_clips_dense_x_realtime",
        "decode_wav_x_realtime",
        "decode_flac_x_realtime",
        "decode_mp3_x_realtime",
        "stft_x_realtime",
        "mel_x_realtime",
        "stft_all_threads_x_realtime",
        "decode_flac_44100hz_x_realtime",
        "similar_index_x_realtime",
        "similar_search_ms",
    ] {
        assert!(
            report[key].as_f64().is_some_and(|x| x > 0.0),
            "{key} missing or not positive: {report}"
        );
    }
}

#[test]
fn convert_changes_format_and_keeps_every_selection() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("third_party/tables/Recording_1_Segment_05.Table.1.selections.txt");
    let csv = dir.path().join("out.csv");
    let output = syrinx(&[
        "convert",
        input.to_str().unwrap(),
        "--to",
        "csv",
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 206);
    assert!(text.starts_with("recording,start_s,end_s,low_hz,high_hz,label,kind,score,verdict"));
    assert!(
        text.lines().nth(1).unwrap().contains(",WOTH,"),
        "the Species column became the label"
    );
    let audacity = dir.path().join("out.txt");
    let output = syrinx(&[
        "convert",
        csv.to_str().unwrap(),
        "--to",
        "audacity",
        "--out",
        audacity.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(&audacity)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('\\'))
            .count(),
        205
    );
    let bad = syrinx(&[
        "convert",
        input.to_str().unwrap(),
        "--to",
        "raven",
        "--out",
        "x.txt",
        "--label-column",
        "Nope",
    ]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("no column 'Nope'") && stderr(&bad).contains("Segment_05"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn project_commands_build_show_and_export_a_project() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("site4");
    std::fs::create_dir(&data).unwrap();
    // A recording paired with its table by stem, in a folder.
    std::fs::copy(
        fixture("third_party/spinetail.wav"),
        data.join("spinetail.wav"),
    )
    .unwrap();
    std::fs::copy(
        fixture("third_party/tables/spinetail.txt"),
        data.join("spinetail.txt"),
    )
    .unwrap();
    let project = dir.path().join("survey.syrinx");
    let p = project.to_str().unwrap();
    assert!(syrinx(&["project", "new", p]).status.success());
    assert!(
        !syrinx(&["project", "new", p]).status.success(),
        "never overwrites"
    );
    let added = syrinx(&[
        "project",
        "add",
        p,
        data.to_str().unwrap(),
        "--positive",
        "SP",
        "--fully-annotated",
        "--split",
        "train",
        "--group",
        "site4",
    ]);
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(
        stdout(&added).contains("18 selections imported"),
        "{}",
        stdout(&added)
    );
    let clips = dir.path().join("negative");
    std::fs::create_dir(&clips).unwrap();
    assert!(
        syrinx(&[
            "project",
            "add-clips",
            p,
            clips.to_str().unwrap(),
            "--kind",
            "negative"
        ])
        .status
        .success()
    );
    let shown = syrinx(&["project", "show", p]);
    let text = stdout(&shown);
    assert!(text.contains("1 recording(s), 18 selection(s)"), "{text}");
    assert!(
        text.contains("[train, fully annotated, group site4]"),
        "{text}"
    );
    assert!(
        text.contains("positive  SP") && text.contains("negative  CRER"),
        "{text}"
    );
    assert!(text.contains("clips (negative)"), "{text}");
    let out = dir.path().join("export");
    let exported = syrinx(&[
        "project",
        "export",
        p,
        "--to",
        "raven",
        "--out",
        out.to_str().unwrap(),
        "--clips",
        "--padding",
        "0.1",
    ]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let table = std::fs::read_to_string(out.join("spinetail.Table.1.selections.txt")).unwrap();
    assert_eq!(table.lines().count(), 19);
    assert!(
        table.lines().nth(1).unwrap().contains("\tSP\tpositive"),
        "{table}"
    );
    let combined = std::fs::read_to_string(out.join("all.selections.txt")).unwrap();
    assert!(combined.lines().next().unwrap().contains("Begin File"));
    let sp_labels = std::fs::read_to_string(fixture("third_party/tables/spinetail.txt"))
        .unwrap()
        .lines()
        .filter(|l| l.trim_end().ends_with("\tSP"))
        .count();
    assert_eq!(
        std::fs::read_dir(out.join("clips/positive/SP"))
            .unwrap()
            .count(),
        sp_labels
    );
    // A bad audio file is reported by name and the others are still added.
    std::fs::write(dir.path().join("broken.wav"), b"RIFF").unwrap();
    let partly = syrinx(&[
        "project",
        "add",
        p,
        dir.path().join("broken.wav").to_str().unwrap(),
    ]);
    assert!(!partly.status.success());
    assert!(
        stderr(&partly).contains("broken.wav"),
        "{}",
        stderr(&partly)
    );
}

#[test]
fn train_writes_a_model_and_ends_with_a_json_summary() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = super::train::generated_project(dir.path(), 4);
    // The project's model input (here a 1.5 s window) is what the model is trained on.
    project.model_input.window_samples = 33_075;
    let path = dir.path().join("calls.syrinx");
    project.save(&path).unwrap();
    let model = dir.path().join("model");
    let output = syrinx(&[
        "train",
        path.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
        "--epochs",
        "2",
        "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let summary: serde_json::Value =
        serde_json::from_str(text.trim().lines().last().unwrap()).unwrap();
    // The plan it trained is kept beside the model, with the input it trained on.
    let plan = syrinx::train::TrainPlan::load(&model).unwrap().unwrap();
    assert_eq!(plan.dataset.input.window_samples, 33_075);
    // A small project: folds chose the epochs (at most the 2 asked for), and the final model
    // trained that many; the output says how it was validated.
    let chosen = summary["cross_validation"]["chosen_epochs"]
        .as_u64()
        .unwrap();
    assert!((1..=2).contains(&chosen), "{summary}");
    assert_eq!(summary["epochs_run"], chosen);
    assert!(text.contains("splits: "), "{text}");
    assert!(
        text.contains("validated by blocked cross-validation"),
        "{text}"
    );
    assert!(text.contains("cross-validated (a small project)"), "{text}");
    assert!(summary["train_secs"].as_f64().is_some_and(|s| s > 0.0));
    for key in ["precision", "recall", "f1", "roc_auc", "accuracy"] {
        assert!(summary["validation"][key].is_number(), "{key}: {summary}");
    }
    assert!(summary.get("test").is_some());
    assert!(model.join("model.json").is_file() && model.join("weights.bpk").is_file());
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(model.join("model.json")).unwrap()).unwrap();
    assert_eq!(info["input"]["window_samples"], 33_075);
    assert!(stderr(&output).contains("epoch   1"));
    // A project that is not there is named in the error.
    let output = syrinx(&["train", "missing.syrinx", "--out", model.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("missing.syrinx"));
}

#[test]
fn train_shows_the_input_it_proposes_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let project = super::train::generated_project(dir.path(), 2);
    let path = dir.path().join("calls.syrinx");
    project.save(&path).unwrap();
    let output = syrinx(&["train", path.to_str().unwrap(), "--show-input"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let why = stdout(&output);
    assert!(why.contains("model input proposed from the data"), "{why}");
    assert!(
        why.contains("Sample rate 8000 Hz: the recordings' own rate"),
        "{why}"
    );
    let plan: syrinx::train::TrainPlan =
        serde_json::from_str(stdout(&output).trim().lines().last().unwrap()).unwrap();
    let input = plan.input.spec;
    assert!(plan.input.proposed);
    assert_eq!(input.sample_rate_hz, 8_000);
    assert_eq!(input.normalization, syrinx::dsp::InputNormalization::PCEN);
    // The project's own input instead, with another front end; nothing is trained.
    let output = syrinx(&[
        "train",
        path.to_str().unwrap(),
        "--show-input",
        "--input",
        "project",
        "--front-end",
        "background",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("model input: the project's"));
    let plan: syrinx::train::TrainPlan =
        serde_json::from_str(stdout(&output).trim().lines().last().unwrap()).unwrap();
    let input = plan.input.spec;
    assert_eq!(
        plan.dataset.input, input,
        "the dataset trains on the plan's input"
    );
    assert_eq!(input.sample_rate_hz, 22_050);
    assert_eq!(
        input.normalization,
        syrinx::dsp::InputNormalization::BACKGROUND
    );
    // Background subtraction cannot stream: no context, whatever the setting.
    assert_eq!(input.context_frames, 0);
    assert!(!dir.path().join("models").exists());
}

#[test]
fn train_says_what_context_does_and_can_turn_it_off() {
    let dir = tempfile::tempdir().unwrap();
    let project = super::train::generated_project(dir.path(), 2);
    let path = dir.path().join("calls.syrinx");
    project.save(&path).unwrap();
    let plan_of = |extra: &[&str]| {
        let mut args = vec!["train", path.to_str().unwrap(), "--show-input"];
        args.extend_from_slice(extra);
        let output = syrinx(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        let plan: syrinx::train::TrainPlan =
            serde_json::from_str(stdout(&output).trim().lines().last().unwrap()).unwrap();
        (stdout(&output), plan)
    };
    let (said, on) = plan_of(&["--context", "on"]);
    assert!(on.settings.context && on.input.spec.context_frames > 0);
    assert_eq!(on.dataset.input, on.input.spec);
    assert!(said.contains("Context: the network sees"), "{said}");
    assert!(said.contains("hops are whole multiples of"), "{said}");
    let (said, off) = plan_of(&["--context", "off"]);
    assert!(!off.settings.context);
    assert_eq!(off.input.spec.context_frames, 0);
    assert!(!said.contains("Context: the network sees"), "{said}");
    let output = syrinx(&["train", path.to_str().unwrap(), "--context", "maybe"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("say on or off"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn detect_writes_a_table_per_recording_counts_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let project = super::train::generated_project(dir.path(), 4);
    let path = dir.path().join("calls.syrinx");
    project.save(&path).unwrap();
    let model = dir.path().join("model");
    let trained = syrinx(&[
        "train",
        path.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
        "--epochs",
        "1",
    ]);
    assert!(trained.status.success(), "{}", stderr(&trained));
    let out = dir.path().join("detections");
    let broken = dir.path().join("broken.wav");
    std::fs::write(&broken, b"RIFF....not audio").unwrap();
    let output = syrinx(&[
        "detect",
        "--model",
        model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--json",
        dir.path().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value =
        serde_json::from_str(stdout(&output).trim().lines().last().unwrap()).unwrap();
    assert_eq!(summary["files"], 4);
    assert_eq!(
        summary["failed"], 1,
        "the broken file is reported and the batch goes on"
    );
    assert!(stderr(&output).contains("broken.wav"));
    assert!((summary["audio_secs"].as_f64().unwrap() - 96.0).abs() < 0.1);
    for r in 0..4 {
        assert!(out.join(format!("rec{r:02}.selections.txt")).is_file());
    }
    let counts = std::fs::read_to_string(out.join("counts.csv")).unwrap();
    assert_eq!(counts.lines().count(), 5);
    // Shards split the file list without overlap.
    let mut seen = 0;
    for k in 1..=2 {
        let shard_out = dir.path().join(format!("shard{k}"));
        let output = syrinx(&[
            "detect",
            "--model",
            model.to_str().unwrap(),
            "--out",
            shard_out.to_str().unwrap(),
            "--shard",
            &format!("{k}/2"),
            "--json",
            dir.path().join("rec00.wav").to_str().unwrap(),
            dir.path().join("rec01.wav").to_str().unwrap(),
            dir.path().join("rec02.wav").to_str().unwrap(),
        ]);
        let summary: serde_json::Value =
            serde_json::from_str(stdout(&output).trim().lines().last().unwrap()).unwrap();
        seen += summary["files"].as_u64().unwrap();
    }
    assert_eq!(seen, 3);
    let bad = syrinx(&[
        "detect",
        "--model",
        model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--shard",
        "3/2",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!bad.status.success() && stderr(&bad).contains("--shard"));

    // Two sites' cards hold files of one name (AudioMoth names them by time): each gets its own
    // table, named with its folder, the same in a whole batch and in its shards.
    let cards = dir.path().join("cards");
    for (site, source) in [("north", "rec00.wav"), ("south", "rec01.wav")] {
        std::fs::create_dir_all(cards.join(site)).unwrap();
        std::fs::copy(
            dir.path().join(source),
            cards.join(site).join("20240518_052000.wav"),
        )
        .unwrap();
    }
    let tables_of = |out: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".selections.txt") && !n.starts_with("all_"))
            .collect();
        names.sort();
        names
    };
    let both = [
        "north_20240518_052000.selections.txt",
        "south_20240518_052000.selections.txt",
    ];
    let detect_cards = |out: &Path, shard: Option<&str>| {
        let mut args = vec!["detect", "--model", model.to_str().unwrap()];
        args.extend(["--out", out.to_str().unwrap()]);
        args.extend(shard.iter().flat_map(|k| ["--shard", *k]));
        args.push(cards.to_str().unwrap());
        let output = syrinx(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        tables_of(out)
    };
    assert_eq!(detect_cards(&dir.path().join("cards_out"), None), both);
    let mut from_shards = Vec::new();
    for k in ["1/2", "2/2"] {
        let shard_out = dir.path().join(format!("cards_shard{}", &k[..1]));
        from_shards.extend(detect_cards(&shard_out, Some(k)));
    }
    from_shards.sort();
    assert_eq!(from_shards, both);

    // --project: the run is stored in the project, every window's score with it; a recording
    // the project did not hold joins it.
    let extra = dir.path().join("extra");
    std::fs::create_dir(&extra).unwrap();
    std::fs::copy(dir.path().join("rec00.wav"), extra.join("new.wav")).unwrap();
    // One recording's Site/group (as the app's Site/group field sets it): its rows carry it.
    let (mut grouped, _) = syrinx::project::Project::load(&path).unwrap();
    let rec01 = grouped
        .recording_at(&dir.path().join("rec01.wav"))
        .unwrap()
        .id;
    grouped.recording_mut(rec01).unwrap().group = Some("North".to_owned());
    grouped.save(&path).unwrap();
    let output = syrinx(&[
        "detect",
        "--model",
        model.to_str().unwrap(),
        "--out",
        dir.path().join("into_project").to_str().unwrap(),
        "--project",
        path.to_str().unwrap(),
        dir.path().join("rec00.wav").to_str().unwrap(),
        dir.path().join("rec01.wav").to_str().unwrap(),
        extra.join("new.wav").to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("run 1 (3 recording(s)) stored in"),
        "{}",
        stdout(&output)
    );
    let (saved, _) = syrinx::project::Project::load(&path).unwrap();
    assert_eq!(saved.recordings.len(), 5);
    let run = &saved.detection_runs[0];
    assert_eq!(run.recordings.len(), 3);
    assert!(run.pending.is_empty());
    assert!(
        run.recordings
            .iter()
            .all(|r| !r.scores.get().unwrap().scores.is_empty())
    );
    let rows = syrinx::annotation::read_table(&dir.path().join("into_project/all_detections.csv"))
        .unwrap()
        .rows;
    let of_rec01 =
        |r: &syrinx::annotation::TableRow| r.file.as_ref().is_some_and(|f| f.name == "rec01.wav");
    assert!(rows.iter().any(of_rec01), "rec01 has detections");
    for row in &rows {
        assert_eq!(row.site() == "North", of_rec01(row), "{row:?}");
    }
    // The same tables as without --project.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("into_project/rec00.selections.txt")).unwrap(),
        std::fs::read_to_string(out.join("rec00.selections.txt")).unwrap()
    );

    // A cluster job array: each shard stores its run in a project of its own, and merging them
    // gives one run, the same as scoring everything in one go.
    let single = &saved.detection_runs[0];
    let mut shard_dirs = Vec::new();
    for k in 1..=2 {
        let shard_out = dir.path().join(format!("project_shard{k}"));
        let output = syrinx(&[
            "detect",
            "--model",
            model.to_str().unwrap(),
            "--out",
            shard_out.to_str().unwrap(),
            "--project",
            path.to_str().unwrap(),
            "--shard",
            &format!("{k}/2"),
            dir.path().join("rec00.wav").to_str().unwrap(),
            dir.path().join("rec01.wav").to_str().unwrap(),
            extra.join("new.wav").to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(
            stdout(&output).contains("merge-shards"),
            "{}",
            stdout(&output)
        );
        assert!(shard_out.join(format!("shard_{k}_of_2.syrinx")).is_file());
        shard_dirs.push(shard_out);
    }
    let (untouched, _) = syrinx::project::Project::load(&path).unwrap();
    assert_eq!(
        untouched.detection_runs.len(),
        1,
        "shards leave the project alone"
    );
    let merged = syrinx(&[
        "project",
        "merge-shards",
        path.to_str().unwrap(),
        shard_dirs[0].to_str().unwrap(),
        shard_dirs[1].to_str().unwrap(),
    ]);
    assert!(merged.status.success(), "{}", stderr(&merged));
    assert!(
        stdout(&merged).contains("run 2 (3 recording(s))"),
        "{}",
        stdout(&merged)
    );
    let (saved, _) = syrinx::project::Project::load(&path).unwrap();
    assert_eq!(saved.recordings.len(), 5, "no recording added twice");
    let run = &saved.detection_runs[1];
    assert_eq!(
        (run.model_id.as_str(), run.hop_secs),
        (single.model_id.as_str(), single.hop_secs)
    );
    for part in &single.recordings {
        let same = run.of_recording(part.recording).unwrap();
        assert_eq!(same.detections, part.detections);
        assert_eq!(*same.scores.get().unwrap(), *part.scores.get().unwrap());
    }
    // The shards' folders can go: the project holds its own copy of the scores.
    for shard in &shard_dirs {
        std::fs::remove_dir_all(shard).unwrap();
    }
    let (saved, _) = syrinx::project::Project::load(&path).unwrap();
    assert!(
        saved.detection_runs[1]
            .recordings
            .iter()
            .all(|r| r.scores.get().is_ok())
    );

    // A survey of the project's own recordings, named by scope instead of by path.
    let output = syrinx(&[
        "detect",
        "--model",
        model.to_str().unwrap(),
        "--out",
        dir.path().join("by_scope").to_str().unwrap(),
        "--project",
        path.to_str().unwrap(),
        "--scope",
        "all",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("run 3 (5 recording(s))"),
        "{}",
        stdout(&output)
    );
    let no_project = syrinx(&[
        "detect",
        "--model",
        model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--scope",
        "survey",
    ]);
    assert!(!no_project.status.success() && stderr(&no_project).contains("--project"));
}

/// A `syrinx detect` folder with three detections of site1 and its reference table (three
/// calls and a negative row): `(detections, truth)`.
fn evaluation_folder(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let detections = dir.join("detections");
    std::fs::create_dir(&detections).unwrap();
    std::fs::write(
        detections.join("counts.csv"),
        "recording,detections,audio_s\nsite1.wav,3,1800.000\n",
    )
    .unwrap();
    std::fs::write(
        detections.join("site1.selections.txt"),
        "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\tBegin File\tScore\n\
         1\tSpectrogram 1\t1\t9.5\t10.5\t0\t11025\tsite1.wav\t0.9\n\
         2\tSpectrogram 1\t1\t30\t31\t0\t11025\tsite1.wav\t0.4\n\
         3\tSpectrogram 1\t1\t41.5\t42.5\t0\t11025\tsite1.wav\t0.7\n",
    )
    .unwrap();
    // A report from an earlier `syrinx evaluate … > detections/report.txt` is not a table.
    std::fs::write(
        detections.join("report.txt"),
        "3 event(s) in 1 recording(s): …\n",
    )
    .unwrap();
    let truth = dir.join("site1.Table.1.selections.txt");
    std::fs::write(
        &truth,
        "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\tAnnotation\tKind\n\
         1\tSpectrogram 1\t1\t10\t11\t1000\t2000\tcall\tpositive\n\
         2\tSpectrogram 1\t1\t20\t21\t1000\t2000\tcall\tpositive\n\
         3\tSpectrogram 1\t1\t40\t41\t1000\t2000\tcall\tpositive\n\
         4\tSpectrogram 1\t1\t30\t31\t1000\t2000\tnoise\tnegative\n",
    )
    .unwrap();
    (detections, truth)
}

#[test]
fn evaluate_matches_detections_to_reference_events() {
    let dir = tempfile::tempdir().unwrap();
    let (detections, truth) = evaluation_folder(dir.path());
    let output = syrinx(&[
        "evaluate",
        "--detections",
        detections.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
        "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value =
        serde_json::from_str(stdout(&output).trim().lines().last().unwrap()).unwrap();
    // The human-readable report is on stdout too (`… > report.txt` keeps it), before the JSON.
    let text = stdout(&output);
    assert!(
        text.contains("2 found, 1 false positive(s)") && text.contains("1 missed"),
        "{text}"
    );
    assert!(text.contains("threshold  precision  recall"), "{text}");
    assert!(!stderr(&output).contains("threshold  precision"));
    let overall = &report["overall"];
    assert_eq!(overall["true_positives"], 2);
    assert_eq!(
        overall["false_positives"], 1,
        "the detection on the negative row"
    );
    assert_eq!(overall["false_negatives"], 1);
    assert!((overall["false_positives_per_hour"].as_f64().unwrap() - 2.0).abs() < 1e-9);
    // At 0.5 the low-scoring false positive is gone.
    let at_half = report["curve"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| (m["threshold"].as_f64().unwrap() - 0.5).abs() < 1e-6)
        .unwrap();
    assert_eq!(at_half["false_positives"], 0);
    assert_eq!(at_half["true_positives"], 2);
    // A folder that is not a detection folder is named.
    let bad = syrinx(&[
        "evaluate",
        "--detections",
        dir.path().to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
    ]);
    assert!(!bad.status.success() && stderr(&bad).contains("counts.csv"));
}

#[test]
fn evaluate_reports_the_dcase_rule_beside_syrinx_s() {
    let dir = tempfile::tempdir().unwrap();
    let (detections, truth) = evaluation_folder(dir.path());
    let output = syrinx(&[
        "evaluate",
        "--detections",
        detections.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
        "--rule",
        "dcase",
        "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let report: serde_json::Value =
        serde_json::from_str(text.trim().lines().last().unwrap()).unwrap();
    // 9.5–10.5 meets the call at 10–11 at IoU 1/3: a pair. 41.5–42.5 lies 1 s after the call
    // at 40–41 without touching it: Syrinx's tolerance pairs them, DCASE does not.
    assert_eq!(report["rule"], "dcase");
    let overall = &report["overall"];
    assert_eq!(
        (
            &overall["true_positives"],
            &overall["false_positives"],
            &overall["false_negatives"]
        ),
        (&1.into(), &2.into(), &2.into())
    );
    assert_eq!(report["by_rule"]["tolerance"]["true_positives"], 2);
    assert_eq!(report["by_rule"]["dcase"], *overall);
    // Both headlines are printed, the chosen rule's first, each saying how it matched.
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("event(s) in")).collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].contains("1 found") && lines[0].contains("DCASE"),
        "{text}"
    );
    assert!(
        lines[1].contains("2 found") && lines[1].contains("within 1.5 s"),
        "{text}"
    );
    // A rule it does not know is refused, naming the ones it does.
    let bad = syrinx(&[
        "evaluate",
        "--detections",
        detections.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
        "--rule",
        "strict",
    ]);
    assert!(!bad.status.success() && stderr(&bad).contains("dcase"));
}

#[test]
fn compare_says_what_a_later_run_kept_gained_and_lost() {
    let dir = tempfile::tempdir().unwrap();
    let folder = |name: &str, rows: &[(f64, f64, f64)]| {
        let path = dir.path().join(name);
        std::fs::create_dir(&path).unwrap();
        std::fs::write(
            path.join("counts.csv"),
            format!(
                "recording,detections,audio_s\nsite1.wav,{},600.000\n",
                rows.len()
            ),
        )
        .unwrap();
        let mut table = String::from(
            "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\tScore\n",
        );
        for (k, (start, end, score)) in rows.iter().enumerate() {
            table.push_str(&format!(
                "{}\tSpectrogram 1\t1\t{start}\t{end}\t0\t11025\t{score}\n",
                k + 1
            ));
        }
        std::fs::write(path.join("site1.selections.txt"), table).unwrap();
        path
    };
    let before = folder(
        "before",
        &[(10.0, 11.0, 0.9), (20.0, 21.0, 0.8), (30.0, 31.0, 0.7)],
    );
    let after = folder(
        "after",
        &[(10.2, 11.1, 0.95), (30.0, 31.0, 0.9), (50.0, 51.0, 0.6)],
    );
    let output = syrinx(&[
        "compare",
        "--before",
        before.to_str().unwrap(),
        "--after",
        after.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("1 recording(s): 2 kept, 1 gained, 1 lost"),
        "{}",
        stdout(&output)
    );
    let differences = std::fs::read_to_string(after.join("differences.csv")).unwrap();
    assert_eq!(
        differences.lines().collect::<Vec<_>>(),
        [
            "recording,change,start_s,end_s,score",
            "site1,gained,50,51,0.6",
            "site1,lost,20,21,0.8"
        ]
    );
    // Folders of other recordings are refused, naming both.
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(
        elsewhere.join("counts.csv"),
        "recording,detections,audio_s\nsite9.wav,0,600.000\n",
    )
    .unwrap();
    let refused = syrinx(&[
        "compare",
        "--before",
        elsewhere.to_str().unwrap(),
        "--after",
        after.to_str().unwrap(),
    ]);
    assert!(!refused.status.success() && stderr(&refused).contains("share no recording"));
}

#[test]
fn report_counts_detections_per_hour_and_date_by_site_and_draws_them() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("season");
    std::fs::create_dir(&folder).unwrap();
    // Times from the start_time column (as `syrinx detect` writes it) and from a name alone.
    std::fs::write(
        folder.join("all_detections.csv"),
        "recording,start_s,end_s,low_hz,high_hz,label,kind,score,verdict,start_time,Probability\n\
         NORTH_20240518_235950.wav,5,6,1000,3000,chirp,positive,0.99,,2024-05-18T23:59:55.000,0.9\n\
         NORTH_20240518_235950.wav,15,16,1000,3000,chirp,positive,0.98,,2024-05-19T00:00:05.000,0.8\n\
         SOUTH_20240519_053000.wav,60,61,1000,3000,chirp,positive,0.97,,,0.5\n\
         untimed.wav,1,2,1000,3000,chirp,positive,0.97,,,0.5\n",
    )
    .unwrap();
    let out = dir.path().join("report");
    let output = syrinx(&[
        "report",
        folder.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output)
            .contains("3 detection(s) at 2 site(s) (NORTH, SOUTH), 2024-05-18 to 2024-05-19"),
        "{}",
        stdout(&output)
    );
    assert!(stderr(&output).contains("1 detection(s) left out"));
    let by_hour = std::fs::read_to_string(out.join("activity_by_hour.csv")).unwrap();
    let lines: Vec<&str> = by_hour.lines().collect();
    assert_eq!(lines[0], "site,hour,detections,calls");
    assert_eq!(lines.len(), 1 + 2 * 24);
    assert!(lines.contains(&"NORTH,0,1,0.80") && lines.contains(&"NORTH,23,1,0.90"));
    assert!(lines.contains(&"SOUTH,5,1,0.50"));
    let by_date = std::fs::read_to_string(out.join("activity_by_date.csv")).unwrap();
    assert!(
        by_date.contains("NORTH,2024-05-18,1,0.90\nNORTH,2024-05-19,1,0.80"),
        "{by_date}"
    );
    for png in ["activity_by_hour.png", "activity_by_date.png"] {
        let bytes = std::fs::read(out.join(png)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{png}");
    }
    // A folder without any time of day says why.
    let untimed = dir.path().join("untimed");
    std::fs::create_dir(&untimed).unwrap();
    std::fs::write(
        untimed.join("all_detections.csv"),
        "recording,start_s,end_s,score\nplain.wav,1,2,0.9\n",
    )
    .unwrap();
    let refused = syrinx(&["report", untimed.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("YYYYMMDD_HHMMSS"),
        "{}",
        stderr(&refused)
    );
}

/// A detections folder of 300 detections over two recordings whose scores spread over logits
/// −2…9, each a call with probability σ(−2 + 1.2·logit(score)) (seeded); returns which are.
fn calibration_folder(dir: &std::path::Path) -> std::collections::BTreeMap<String, bool> {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    std::fs::create_dir_all(dir).unwrap();
    let mut csv = String::from("recording,start_s,end_s,low_hz,high_hz,label,kind,score,verdict\n");
    let mut truth = std::collections::BTreeMap::new();
    for i in 0..300 {
        let logit: f64 = rng.random_range(-2.0..9.0);
        let score = 1.0 / (1.0 + (-logit).exp());
        let call = rng.random::<f64>() < 1.0 / (1.0 + (2.0 - 1.2 * logit).exp());
        let recording = if i % 3 == 0 { "a.wav" } else { "b.wav" };
        let start = f64::from(i) * 2.0;
        csv.push_str(&format!(
            "{recording},{start},{},1000,3000,chirp,positive,{score},\n",
            start + 1.0
        ));
        truth.insert(format!("{recording}@{start}"), call);
    }
    std::fs::write(dir.join("all_detections.csv"), csv).unwrap();
    truth
}

/// Fills the verdict column of the review sample at `path` from `truth` (keyed
/// `recording@start`), as a reviewer would.
fn judge_sample(path: &std::path::Path, truth: &std::collections::BTreeMap<String, bool>) {
    let mut rows = syrinx::annotation::read_table(path).unwrap().rows;
    for row in &mut rows {
        let key = format!("{}@{}", row.file.as_ref().unwrap().name, row.start_secs);
        let verdict = if truth[&key] {
            "TruePositive"
        } else {
            "FalsePositive"
        };
        row.verdict = Some(verdict.to_owned());
    }
    syrinx::annotation::write_table(path, syrinx::annotation::TableFormat::Csv, &rows).unwrap();
}

#[test]
fn calibrate_samples_by_score_band_fits_the_verdicts_and_counts_calls() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("survey_01");
    let truth = calibration_folder(&folder);
    let f = folder.to_str().unwrap();
    let sampled = syrinx(&["calibrate", "sample", "--detections", f, "--seed", "3"]);
    assert!(sampled.status.success(), "{}", stderr(&sampled));
    assert!(
        stdout(&sampled).contains("30 detection(s) to judge"),
        "{}",
        stdout(&sampled)
    );
    let sample_path = folder.join("review_sample.csv");
    let sample = syrinx::annotation::read_table(&sample_path).unwrap();
    assert_eq!(sample.rows.len(), 30);
    for band in 1..=6 {
        let in_band = sample
            .rows
            .iter()
            .filter(|r| r.values["band"] == band.to_string())
            .count();
        assert_eq!(in_band, 5, "band {band}");
    }
    // Fitting before anything is judged says what to do.
    let unjudged = syrinx(&["calibrate", "fit", "--detections", f]);
    assert!(!unjudged.status.success());
    assert!(stderr(&unjudged).contains("judge"), "{}", stderr(&unjudged));
    // The reviewer's verdicts: the truth of each sampled detection.
    judge_sample(&sample_path, &truth);
    let fitted = syrinx(&["calibrate", "fit", "--detections", f, "--json"]);
    assert!(fitted.status.success(), "{}", stderr(&fitted));
    let text = stdout(&fitted);
    assert!(text.contains("threshold for precision 0.90"), "{text}");
    let classes: serde_json::Value =
        serde_json::from_str(text.trim().lines().last().unwrap()).unwrap();
    let class = &classes[0];
    assert_eq!(class["class"], "chirp");
    assert_eq!(class["calibration"]["verdicts"], 30);
    // What the detections above the chosen threshold really hold.
    let threshold = class["choice"]["threshold"].as_f64().unwrap();
    let folder_rows = syrinx::annotation::read_table(&folder.join("all_detections.csv")).unwrap();
    let is_call = |r: &syrinx::annotation::TableRow| {
        truth[&format!("{}@{}", r.file.as_ref().unwrap().name, r.start_secs)]
    };
    let above: Vec<_> = folder_rows
        .rows
        .iter()
        .filter(|r| r.score.unwrap() >= threshold - 1e-6)
        .collect();
    let real = above.iter().filter(|r| is_call(r)).count() as f64 / above.len() as f64;
    let estimated = class["precision_at_choice"]["value"].as_f64().unwrap();
    assert!(
        (real - estimated).abs() <= 0.1,
        "{real} against {estimated}"
    );
    // Each recording's calls: the interval covers the true number.
    for recording in class["recordings"].as_array().unwrap() {
        let name = recording["recording"].as_str().unwrap();
        let calls = folder_rows
            .rows
            .iter()
            .filter(|r| r.file.as_ref().unwrap().name == name && is_call(r))
            .count() as f64;
        let (low, high) = (
            recording["calls"]["low"].as_f64().unwrap(),
            recording["calls"]["high"].as_f64().unwrap(),
        );
        assert!(
            low <= calls && calls <= high,
            "{name}: {calls} outside {low}–{high}"
        );
    }
    let counts = std::fs::read_to_string(folder.join("counts_calibrated.csv")).unwrap();
    assert!(counts.starts_with("recording,class,detections,calls,calls_low"));
    assert_eq!(counts.lines().count(), 3);
    // Per recording and site (these names carry no date), as Review's summary lists them.
    let groups = std::fs::read_to_string(folder.join("calls_by_site_and_date.csv")).unwrap();
    assert!(
        groups.starts_with("kind,group,class,detections,calls,calls_low,calls_high\n"),
        "{groups}"
    );
    assert!(groups.contains("\nrecording,a.wav,chirp,100,"), "{groups}");
    assert!(groups.contains("\nsite,(no site),chirp,300,"), "{groups}");
    // Applied to another folder of the same model: its own detections, the same threshold.
    let other = dir.path().join("season");
    calibration_folder(&other);
    let applied = syrinx(&[
        "calibrate",
        "apply",
        "--calibration",
        folder.join("calibration.json").to_str().unwrap(),
        "--detections",
        other.to_str().unwrap(),
        "--json",
        "--recall",
        "9/10",
    ]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    // Divided by a recall of 9 in 10: more calls in the audio than among the detections.
    let groups = std::fs::read_to_string(other.join("calls_by_site_and_date.csv")).unwrap();
    assert!(
        groups
            .lines()
            .next()
            .unwrap()
            .ends_with(",calls_in_audio,calls_in_audio_low,calls_in_audio_high")
    );
    let site: Vec<f64> = groups
        .lines()
        .find(|l| l.starts_with("site,"))
        .unwrap()
        .split(',')
        .skip(4)
        .map(|v| v.parse().unwrap())
        .collect();
    assert!((site[3] - site[0] / 0.9).abs() < 0.02, "{site:?}");
    assert!(
        site[5] > site[2],
        "the recall's uncertainty widens the interval: {site:?}"
    );
    let refused = syrinx(&[
        "calibrate",
        "apply",
        "--calibration",
        folder.join("calibration.json").to_str().unwrap(),
        "--detections",
        other.to_str().unwrap(),
        "--recall",
        "11/10",
    ]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("11/10"), "{}", stderr(&refused));
    let applied: serde_json::Value =
        serde_json::from_str(stdout(&applied).trim().lines().last().unwrap()).unwrap();
    assert_eq!(
        applied[0]["choice"]["threshold"],
        class["choice"]["threshold"]
    );
    assert!(other.join("counts_calibrated.csv").is_file());
}

#[test]
fn reviewed_false_positives_in_a_detection_table_become_labelled_negatives() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = super::train::generated_project(dir.path(), 2);
    project.recordings[1].split = syrinx::project::Split::Test;
    project.labels.push(syrinx::project::LabelDef {
        name: "trill".to_owned(),
        kind: syrinx::annotation::SelectionKind::Positive,
        hotkey: None,
    });
    let path = dir.path().join("calls.syrinx");
    project.save(&path).unwrap();
    let (first, second) = (project.recordings[0].name(), project.recordings[1].name());
    // A reviewer filled the verdict column of `syrinx detect --format csv`'s table.
    let table = dir.path().join("reviewed.csv");
    std::fs::write(
        &table,
        format!(
            "recording,start_s,end_s,low_hz,high_hz,label,kind,score,verdict\n\
             {first},1.0,2.0,900,3100,chirp,positive,0.91,FalsePositive\n\
             {first},4.0,5.0,900,3100,chirp,positive,0.88,TruePositive\n\
             {first},7.0,8.0,900,3100,chirp,positive,0.70,\n\
             {first},10.0,11.0,900,3100,chirp,positive,0.80,is trill\n\
             {second},3.0,4.0,900,3100,chirp,positive,0.95,fp\n\
             elsewhere.wav,3.0,4.0,900,3100,chirp,positive,0.95,fp\n"
        ),
    )
    .unwrap();
    let add = |extra: &[&str]| {
        let mut args = vec![
            "project",
            "add-false-positives",
            path.to_str().unwrap(),
            table.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        syrinx(&args)
    };
    let output = add(&[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains(
            "1 false positive(s) added as negatives, 1 detection(s) of another class added as its positives (0 already there, 1 in test recordings"
        ),
        "{}",
        stdout(&output)
    );
    assert!(
        stderr(&output).contains("elsewhere.wav"),
        "{}",
        stderr(&output)
    );
    let (saved, _) = syrinx::project::Project::load(&path).unwrap();
    let added: Vec<_> = saved
        .selections
        .items()
        .iter()
        .filter(|s| {
            s.extra
                .get(syrinx::review::SOURCE_COLUMN)
                .map(String::as_str)
                == Some(syrinx::review::FALSE_POSITIVE_SOURCE)
        })
        .collect();
    assert_eq!(added.len(), 1);
    let negative = added[0];
    assert_eq!(negative.kind, syrinx::annotation::SelectionKind::Negative);
    assert_eq!(negative.label, "not chirp");
    assert_eq!((negative.start_secs, negative.end_secs), (1.0, 2.0));
    assert_eq!((negative.low_hz, negative.high_hz), (900.0, 3100.0));
    assert_eq!(negative.extra[syrinx::review::SCORE_COLUMN], "0.9100");
    // "is trill": the chirp detection was a trill, which becomes a trill positive.
    let tone = saved
        .selections
        .items()
        .iter()
        .find(|s| s.label == "trill")
        .unwrap();
    assert_eq!(tone.kind, syrinx::annotation::SelectionKind::Positive);
    assert_eq!((tone.start_secs, tone.end_secs), (10.0, 11.0));
    assert_eq!(
        tone.extra[syrinx::review::SOURCE_COLUMN],
        syrinx::review::RECLASSIFIED_SOURCE
    );
    assert_eq!(tone.extra[syrinx::review::DETECTED_AS_COLUMN], "chirp");
    // Again: nothing new; with --include-test the test recording's one joins, with a label.
    let again = add(&["--include-test", "--label", "noise"]);
    assert!(
        stdout(&again)
            .contains("1 false positive(s) added as negatives, 0 detection(s) of another class added as its positives (2 already there, 0 in test"),
        "{}",
        stdout(&again)
    );
    let (saved, _) = syrinx::project::Project::load(&path).unwrap();
    assert!(
        saved
            .selections
            .items()
            .iter()
            .any(|s| s.label == "noise" && s.recording == saved.recordings[1].id)
    );
}

#[test]
fn every_command_that_opens_a_project_says_a_recording_was_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let audio = dir.path().join("dawn_chorus.wav");
    std::fs::copy(fixture("third_party/spinetail.wav"), &audio).unwrap();
    let project = dir.path().join("survey.syrinx");
    let p = project.to_str().unwrap();
    assert!(
        syrinx(&["project", "add", p, audio.to_str().unwrap()])
            .status
            .success()
    );
    std::fs::rename(&audio, dir.path().join("moved.wav")).unwrap();
    let clips = dir.path().join("noise");
    std::fs::create_dir(&clips).unwrap();
    let out = dir.path().join("out");
    // Commands that read the project, and ones that change it under its lock.
    for args in [
        vec!["project", "show", p],
        vec![
            "project",
            "export",
            p,
            "--to",
            "raven",
            "--out",
            out.to_str().unwrap(),
        ],
        vec![
            "project",
            "add-clips",
            p,
            clips.to_str().unwrap(),
            "--kind",
            "negative",
        ],
    ] {
        let output = syrinx(&args);
        let said = stderr(&output);
        assert!(
            said.contains("were not found") && said.contains("dawn_chorus.wav"),
            "{args:?}: {said}"
        );
    }
    let (kept, _) = syrinx::project::Project::load(&project).unwrap();
    assert_eq!(kept.recordings.len(), 1, "the recording is kept to relink");
}

#[test]
fn detect_says_how_it_scored_the_windows() {
    let dir = tempfile::tempdir().unwrap();
    let project = super::train::generated_project(dir.path(), 2);
    let path = dir.path().join("calls.syrinx");
    project.save(&path).unwrap();
    let recording = dir.path().join("rec00.wav");
    for (context, said) in [
        ("off", "each scored on its own"),
        ("on", "scored densely: hops are whole multiples of"),
    ] {
        let model = dir.path().join(format!("model_{context}"));
        let trained = syrinx(&[
            "train",
            path.to_str().unwrap(),
            "--out",
            model.to_str().unwrap(),
            "--epochs",
            "1",
            "--context",
            context,
        ]);
        assert!(trained.status.success(), "{}", stderr(&trained));
        let out = dir.path().join(format!("detections_{context}"));
        let output = syrinx(&[
            "detect",
            "--model",
            model.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            recording.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(stdout(&output).contains(said), "{}", stdout(&output));
        assert!(out.join("rec00.selections.txt").is_file());
    }
}

#[test]
fn calibrate_fits_sites_judged_enough_on_their_own_and_counts_their_calls_with_it() {
    use rand::{RngExt, SeedableRng};
    // Two sites whose scores mean different things: at the noisy one a call needs a logit
    // above 4, at the quiet one above 0 (as a chorus or a fainter population would do).
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("season");
    std::fs::create_dir_all(&folder).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let mut csv = String::from("recording,start_s,end_s,low_hz,high_hz,label,kind,score,verdict\n");
    let mut truth = std::collections::BTreeMap::new();
    let mut calls_at = std::collections::BTreeMap::<&str, usize>::new();
    for i in 0..400 {
        let (recording, cut) = if i % 2 == 0 {
            ("NOISY_20240518_050000.wav", 4.0)
        } else {
            ("QUIET_20240518_050000.wav", 0.0)
        };
        let logit: f64 = rng.random_range(-3.0..8.0);
        let call = logit > cut;
        let start = f64::from(i) * 2.0;
        csv.push_str(&format!(
            "{recording},{start},{},1000,3000,chirp,positive,{},\n",
            start + 1.0,
            1.0 / (1.0 + (-logit).exp())
        ));
        truth.insert(format!("{recording}@{start}"), call);
        *calls_at.entry(recording).or_default() += usize::from(call);
    }
    std::fs::write(folder.join("all_detections.csv"), csv).unwrap();
    let f = folder.to_str().unwrap();
    let sampled = syrinx(&["calibrate", "sample", "--detections", f, "--per-band", "10"]);
    assert!(sampled.status.success(), "{}", stderr(&sampled));
    judge_sample(&folder.join("review_sample.csv"), &truth);
    let fitted = syrinx(&["calibrate", "fit", "--detections", f, "--json"]);
    assert!(fitted.status.success(), "{}", stderr(&fitted));
    let text = stdout(&fitted);
    assert!(
        text.contains("site NOISY has its own calibration"),
        "{text}"
    );
    let classes: serde_json::Value =
        serde_json::from_str(text.trim().lines().last().unwrap()).unwrap();
    let sites: Vec<&str> = classes[0]["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["site"].as_str().unwrap())
        .collect();
    assert_eq!(sites, ["NOISY", "QUIET"]);
    // Each site's recording counted with its own calibration: the interval holds its calls.
    for recording in classes[0]["recordings"].as_array().unwrap() {
        let name = recording["recording"].as_str().unwrap();
        let (low, high) = (
            recording["calls"]["low"].as_f64().unwrap(),
            recording["calls"]["high"].as_f64().unwrap(),
        );
        let calls = calls_at[name] as f64;
        assert!(
            low <= calls && calls <= high,
            "{name}: {calls} outside {low}–{high}"
        );
    }
}
