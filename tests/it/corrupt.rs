//! A corpus of broken inputs generated from good ones: truncated, garbled, zero-length and
//! huge-header audio (WAV, FLAC, MP3, Ogg, AIFF), and malformed selection tables and projects.
//! Each must give a clear error naming the file (or the readable part, with a warning), never a
//! panic, and reading must stay bounded whatever the header claims.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use syrinx::audio::{AudioReader, WavEncoding, probe, write_wav};

use super::common::fixture;

/// Most frames any test read asks for at once (a lying header must not make us allocate more).
const READ_CHUNK_FRAMES: usize = 1 << 16;
/// Reads stop after this many chunks (more than any fixture holds).
const MAX_CHUNKS: usize = 400;

/// Broken variants of `bytes`, each with a name saying what was done.
fn variants(bytes: &[u8], seed: u64) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![("empty".to_owned(), Vec::new())];
    for keep in [1, 4, 12, 44, 100, 1_000] {
        if keep < bytes.len() {
            out.push((format!("first{keep}"), bytes[..keep].to_vec()));
        }
    }
    for percent in [5, 25, 50, 90, 99] {
        let keep = bytes.len() * percent / 100;
        out.push((format!("cut{percent}pc"), bytes[..keep].to_vec()));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for round in 0..6 {
        let mut garbled = bytes.to_vec();
        // Rounds 0–2 garble the header region, 3–5 the body.
        let (from, to) = if round < 3 {
            (0, garbled.len().min(128))
        } else {
            (garbled.len().min(128), garbled.len())
        };
        if to > from {
            for _ in 0..48 {
                let at = rng.random_range(from..to);
                garbled[at] = rng.random();
            }
        }
        out.push((format!("garbled{round}"), garbled));
    }
    let noise: Vec<u8> = (0..4_096).map(|_| rng.random()).collect();
    out.push(("noise".to_owned(), noise));
    out
}

/// Opens and reads `path` to its end in bounded chunks; a panic fails the test, an error must
/// name the file. Returns the frames read (`None`: refused).
fn open_and_read(path: &Path) -> Option<u64> {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        if let Err(error) = probe(path) {
            let message = error.to_string();
            assert!(
                message.contains(&name),
                "probe: {message} does not name {name}"
            );
        }
        let mut reader = match AudioReader::open(path) {
            Ok(reader) => reader,
            Err(error) => {
                let message = error.to_string();
                assert!(
                    message.contains(&name),
                    "open: {message} does not name {name}"
                );
                return None;
            }
        };
        let mut start = 0_u64;
        for _ in 0..MAX_CHUNKS {
            match reader.read_frames(start, READ_CHUNK_FRAMES) {
                Ok(samples) if samples.is_empty() => return Some(start),
                Ok(samples) => start += samples.len() as u64,
                Err(error) => {
                    let message = error.to_string();
                    assert!(
                        message.contains(&name),
                        "read: {message} does not name {name}"
                    );
                    return Some(start);
                }
            }
        }
        // A seek past everything is fine too.
        let _ = reader.read_secs(1e9, 1e9 + 1.0);
        Some(start)
    }));
    match outcome {
        Ok(frames) => frames,
        Err(panic) => {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            panic!("{} panicked: {why}", path.display());
        }
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn broken_audio_of_every_format_gives_errors_naming_the_file_and_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("source.wav");
    let tone = syrinx::util::synth::tone(1_000.0, 0.5, 16_000, 8_000);
    write_wav(&wav, &tone, 8_000, WavEncoding::Pcm16).unwrap();
    let float_wav = dir.path().join("source_float.wav");
    write_wav(&float_wav, &tone, 8_000, WavEncoding::Float32).unwrap();
    let sources = [
        (wav, "wav"),
        (float_wav, "wav"),
        (fixture("tones.flac"), "flac"),
        (fixture("tones.mp3"), "mp3"),
        (fixture("tones.ogg"), "ogg"),
        (fixture("tones_8k.aiff"), "aiff"),
    ];
    let (mut refused, mut partly_read) = (0, 0);
    for (index, (source, extension)) in sources.iter().enumerate() {
        let bytes = std::fs::read(source).unwrap();
        let whole = open_and_read(source).expect("the source reads");
        assert!(whole >= 8_000, "{}", source.display());
        for (what, broken) in variants(&bytes, index as u64) {
            let path = write(dir.path(), &format!("b{index}_{what}.{extension}"), &broken);
            match open_and_read(&path) {
                None => refused += 1,
                Some(frames) if frames < whole => partly_read += 1,
                Some(_) => {}
            }
        }
        // An empty file and random bytes are never taken for audio.
        for what in ["empty", "noise"] {
            let path = dir.path().join(format!("b{index}_{what}.{extension}"));
            assert!(probe(&path).is_err(), "{} opened", path.display());
        }
    }
    // Most broken files are refused; a truncated one gives what it has.
    assert!(refused > 30, "{refused} refused");
    assert!(partly_read > 10, "{partly_read} partly read");
}

#[test]
fn headers_that_claim_absurd_sizes_are_read_as_far_as_the_data_goes() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("source.wav");
    let tone = syrinx::util::synth::tone(1_000.0, 0.5, 8_000, 8_000);
    write_wav(&wav, &tone, 8_000, WavEncoding::Pcm16).unwrap();
    let bytes = std::fs::read(&wav).unwrap();
    let data_at = bytes.windows(4).position(|w| w == b"data").unwrap();
    let mut huge = bytes.clone();
    huge[4..8].copy_from_slice(&0xFFFF_FFF0_u32.to_le_bytes());
    huge[data_at + 4..data_at + 8].copy_from_slice(&0xFFFF_FFF0_u32.to_le_bytes());
    let path = write(dir.path(), "huge_header.wav", &huge);
    let mut reader = AudioReader::open(&path).unwrap();
    // The length comes from the file, not the header's 4 GB claim.
    assert!((reader.info().duration_secs() - 1.0).abs() < 0.01);
    let samples = reader.read_frames(0, 1 << 20).unwrap();
    assert_eq!(samples.len(), 8_000);
    // Absurd channel counts and rates are refused by name.
    let mut channels = bytes.clone();
    channels[22..24].copy_from_slice(&0_u16.to_le_bytes());
    assert_eq!(
        open_and_read(&write(dir.path(), "zero_channels.wav", &channels)),
        None
    );
    let mut rate = bytes;
    rate[24..28].copy_from_slice(&0_u32.to_le_bytes());
    assert_eq!(
        open_and_read(&write(dir.path(), "zero_rate.wav", &rate)),
        None
    );
}

#[test]
fn samples_that_are_not_numbers_are_read_as_silence_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("source.wav");
    let tone = syrinx::util::synth::tone(1_000.0, 0.5, 8_000, 8_000);
    write_wav(&wav, &tone, 8_000, WavEncoding::Float32).unwrap();
    let mut bytes = std::fs::read(&wav).unwrap();
    let data_at = bytes.windows(4).position(|w| w == b"data").unwrap() + 8;
    // A float WAV may hold NaN and infinities (a damaged MP3 can decode to them too).
    let poisoned_frames = [10_usize, 4_000, 7_999];
    let values = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY];
    for (frame, value) in poisoned_frames.iter().zip(values) {
        let at = data_at + frame * 4;
        bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }
    let path = write(dir.path(), "not_numbers.wav", &bytes);
    let mut reader = AudioReader::open(&path).unwrap();
    let samples = reader.read_frames(0, 8_000).unwrap();
    assert_eq!(samples.len(), 8_000);
    assert!(
        samples.iter().all(|s| s.is_finite()),
        "NaN or infinity reached the caller"
    );
    for frame in poisoned_frames {
        assert_eq!(samples[frame], 0.0, "frame {frame} should be silence");
    }
    // The rest of the recording is untouched.
    assert!((samples[11] - tone[11]).abs() < 1e-6);
    let warnings = reader.take_warnings();
    assert_eq!(
        warnings.len(),
        1,
        "one warning, not one per packet: {warnings:?}"
    );
    assert!(warnings[0].contains("not_numbers.wav") && warnings[0].contains("NaN"));
}

#[test]
fn malformed_tables_never_panic_and_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let raven = "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\tAnnotation\n\
                 1\tSpectrogram 1\t1\t1.0\t2.0\t100\t2000\tcall\n\
                 2\tSpectrogram 1\t1\t3.5\t4.25\t150\t2500\tcall\n";
    let audacity = "1.0\t2.0\tcall\n\\\t100\t2000\n3.5\t4.25\tother\n";
    let csv = "recording,start_s,end_s,low_hz,high_hz,label,kind,score,verdict\n\
               a.wav,1.0,2.0,100,2000,call,positive,,\n";
    let specials = [
        "Selection\tBegin Time (s)\tEnd Time (s)\n1\tNaN\tinf\n2\t-5\t-10\n3\t1e308\t1e309\n",
        "Selection\tBegin Time (s)\tEnd Time (s)\n1\t5\t2\n",
        "\u{feff}\u{feff}\r\n\r\n\t\t\t\n",
        "Selection\tBegin Time (s)\n",
        "1.0\t\n\\\t\t\n-1\t-1\t\n",
        "recording,start_s\n\"unterminated,1\n",
        "\0\0\0\0",
    ];
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, text) in [raven, audacity, csv].iter().enumerate() {
        for (what, bytes) in variants(text.as_bytes(), 100 + i as u64) {
            inputs.push((format!("t{i}_{what}.txt"), bytes));
        }
        inputs.push((format!("t{i}_long_line.txt"), {
            let mut long = text.as_bytes().to_vec();
            long.extend(std::iter::repeat_n(b'9', 200_000));
            long
        }));
    }
    for (i, text) in specials.iter().enumerate() {
        inputs.push((format!("special{i}.txt"), text.as_bytes().to_vec()));
    }
    for (name, bytes) in inputs {
        let path = write(dir.path(), &name, &bytes);
        let outcome = catch_unwind(AssertUnwindSafe(|| syrinx::annotation::read_table(&path)));
        match outcome {
            Err(_) => panic!("{name} panicked the table reader"),
            Ok(Ok(table)) => {
                for row in &table.rows {
                    assert!(
                        row.start_secs.is_finite() && row.end_secs.is_finite(),
                        "{name}: {row:?}"
                    );
                    assert!(row.end_secs >= row.start_secs, "{name}: {row:?}");
                }
            }
            Ok(Err(error)) => {
                let message = error.to_string();
                assert!(!message.is_empty(), "{name}");
            }
        }
    }
}

#[test]
fn malformed_projects_are_refused_by_name_and_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let project_dir = dir.path().join("p");
    std::fs::create_dir_all(&project_dir).unwrap();
    let good = super::train::generated_project(&project_dir, 1);
    let good_path = project_dir.join("good.syrinx");
    good.save(&good_path).unwrap();
    let bytes = std::fs::read(&good_path).unwrap();
    let mut inputs = variants(&bytes, 200);
    for text in [
        "{}",
        "[]",
        "null",
        r#"{"schema_version": "one"}"#,
        r#"{"schema_version": -1}"#,
        r#"{"schema_version": 1, "recordings": 5}"#,
        r#"{"schema_version": 1, "recordings": [{"id": 0}]}"#,
        r#"{"schema_version": 1, "selections": {"items": [{"id": 1}]}}"#,
        r#"{"schema_version": 99999999999999999999}"#,
    ] {
        inputs.push((format!("json{}", inputs.len()), text.as_bytes().to_vec()));
    }
    for (what, broken) in inputs {
        let name = format!("{what}.syrinx");
        let path = write(&project_dir, &name, &broken);
        let outcome = catch_unwind(AssertUnwindSafe(|| syrinx::project::Project::load(&path)));
        match outcome {
            Err(_) => panic!("{name} panicked the project reader"),
            Ok(Ok(_)) => {}
            Ok(Err(error)) => {
                let message = error.to_string();
                assert!(message.contains(&name), "{message} does not name {name}");
            }
        }
    }
}

/// The app is handed every kind of broken file at once (with one good recording), then a broken
/// project: each broken file is either read as far as it goes or gets an error message naming
/// it, the good recording opens and can still be zoomed, and the project in use is kept.
#[cfg(feature = "gui")]
#[test]
fn the_app_reports_each_broken_file_by_name_and_stays_usable() {
    use eframe::egui;
    use egui_kittest::kittest::Queryable;
    use std::time::Duration;

    use super::gui::{app_with, settle};

    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.wav");
    write_wav(
        &good,
        &syrinx::util::synth::tone(1_000.0, 0.5, 8_000 * 20, 8_000),
        8_000,
        WavEncoding::Pcm16,
    )
    .unwrap();
    let sources = [
        (good.clone(), "wav"),
        (fixture("tones.flac"), "flac"),
        (fixture("tones.mp3"), "mp3"),
        (fixture("tones.ogg"), "ogg"),
        (fixture("tones_8k.aiff"), "aiff"),
    ];
    let mut broken = Vec::new();
    for (index, (source, extension)) in sources.iter().enumerate() {
        let bytes = std::fs::read(source).unwrap();
        for (what, bytes) in variants(&bytes, 300 + index as u64) {
            if ["empty", "first12", "cut50pc", "garbled0", "noise"].contains(&what.as_str()) {
                broken.push(write(
                    dir.path(),
                    &format!("broken{index}_{what}.{extension}"),
                    &bytes,
                ));
            }
        }
    }
    let mut files = broken.clone();
    files.push(good.clone());
    let mut harness = app_with(files, Default::default(), None, Duration::from_secs(3600));
    settle(&mut harness);
    let app = harness.state();
    // The status bar shows the latest few; the log (Help ▸ Messages) keeps every one.
    let errors: Vec<&str> = app
        .session
        .message_log
        .iter()
        .filter(|m| m.is_error)
        .map(|m| m.text.as_str())
        .collect();
    for path in &broken {
        let name = path.file_name().unwrap().to_string_lossy();
        let opened = app.workspace.recordings.iter().any(|r| &r.path == path);
        assert!(
            opened || errors.iter().any(|e| e.contains(name.as_ref())),
            "{name}: neither opened nor reported; errors: {errors:#?}"
        );
    }
    assert!(errors.len() >= 10, "{} errors: {errors:#?}", errors.len());
    assert!(app.workspace.recordings.iter().any(|r| r.path == good));
    // Still usable: show the good recording and zoom in with the keyboard.
    let good_index = app
        .workspace
        .recordings
        .iter()
        .position(|r| r.path == good)
        .unwrap();
    harness.state_mut().workspace.active =
        Some(harness.state().workspace.recordings[good_index].id);
    harness.run();
    let span_before = harness
        .state()
        .active_recording()
        .unwrap()
        .viewport
        .span_secs;
    harness.key_press(egui::Key::Plus);
    harness.run();
    let span_after = harness
        .state()
        .active_recording()
        .unwrap()
        .viewport
        .span_secs;
    assert!(span_after < span_before, "{span_before} → {span_after}");
    // The status bar offers every message of the session.
    harness.get_by_label_contains("Messages (").click();
    harness.run();
    harness.get_by_label_contains("error(s) this session");
    // A broken project is refused by name; what is open stays open.
    let project = write(
        dir.path(),
        "broken.syrinx",
        b"{\"schema_version\": 1, \"recor",
    );
    let open_before = harness.state().workspace.recordings.len();
    harness.state_mut().open_paths(vec![project]);
    settle(&mut harness);
    assert!(
        harness
            .state()
            .session
            .message_log
            .iter()
            .any(|m| m.is_error && m.text.contains("broken.syrinx")),
        "no message names broken.syrinx"
    );
    assert_eq!(harness.state().workspace.recordings.len(), open_before);
}
