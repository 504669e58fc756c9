use syrinx::annotation::SelectionKind;
use syrinx::audio::{ChannelMode, probe, read_all};
use syrinx::demo::{
    CHIRP_LABEL, CRICKET_LABEL, DEMO_RECORDINGS, TARGET_LABEL, WHISTLE_LABEL, render_recording,
    write_demo,
};
use syrinx::dsp::{SpectrogramParams, Stft};
use syrinx::project::{Project, Split};

#[test]
fn the_demo_is_deterministic_and_laid_out_as_documented() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let written = write_demo(a.path()).unwrap();
    write_demo(b.path()).unwrap();
    assert_eq!(written.recordings.len(), 15);
    assert!(
        written.positives >= 80 && written.negatives >= 60,
        "{written:?}"
    );
    for (recording, table) in written.recordings.iter().zip(&written.tables) {
        let relative = recording.strip_prefix(a.path()).unwrap();
        assert_eq!(
            std::fs::read(recording).unwrap(),
            std::fs::read(b.path().join(relative)).unwrap()
        );
        let stem = recording.file_stem().unwrap().to_string_lossy();
        assert!(
            table.ends_with(format!("truth/{stem}.Table.1.selections.txt")),
            "{}",
            table.display()
        );
        let info = probe(recording).unwrap();
        assert_eq!((info.sample_rate_hz, info.channels), (32_000, 1));
        assert!(
            info.start.is_some(),
            "AudioMoth-style names carry the start time"
        );
        let (_, samples) = read_all(recording, ChannelMode::Mix).unwrap();
        assert!(
            samples.iter().any(|s| s.abs() > 0.05),
            "{stem} is not silent"
        );
    }
    let train = std::fs::read_dir(a.path().join("train")).unwrap().count();
    let survey = std::fs::read_dir(a.path().join("survey")).unwrap().count();
    let test = std::fs::read_dir(a.path().join("test")).unwrap().count();
    assert_eq!((train, survey, test), (8, 4, 3));
    let table = std::fs::read_to_string(&written.tables[0]).unwrap();
    assert!(table.lines().next().unwrap().contains("\tAnnotation\tKind"));
    assert!(
        table
            .lines()
            .skip(1)
            .all(|l| l.ends_with("\tpositive") || l.ends_with("\tnegative"))
    );

    // The project: training recordings fully annotated with the truth; survey ones in the
    // training split, unannotated (what review teaches from); test ones in the test split.
    let (project, report) = Project::load(&a.path().join("demo.syrinx")).unwrap();
    assert!(
        report.missing.is_empty() && report.changed.is_empty(),
        "{report:?}"
    );
    assert_eq!(project.recordings.len(), 15);
    let annotated: Vec<_> = project
        .recordings
        .iter()
        .filter(|r| r.fully_annotated)
        .collect();
    assert_eq!(annotated.len(), 8);
    let survey: Vec<_> = project.survey_recordings().collect();
    assert_eq!(survey.len(), 4);
    assert!(
        survey
            .iter()
            .all(|r| r.split == Split::Train && r.path.to_string_lossy().contains("survey"))
    );
    assert_eq!(
        project
            .recordings
            .iter()
            .filter(|r| !r.fully_annotated && r.split == Split::Test)
            .count(),
        3
    );
    assert_eq!(project.recordings[0].group.as_deref(), Some("SITE1"));
    let summary = project.summary();
    let positives: usize = summary
        .by_label
        .iter()
        .filter(|((kind, _), _)| *kind == SelectionKind::Positive)
        .map(|(_, n)| n)
        .sum();
    assert!(positives >= 60, "{summary:?}");
    assert!(
        project
            .selections
            .items()
            .iter()
            .all(|s| annotated.iter().any(|r| r.id == s.recording))
    );
    let saved = std::fs::read_to_string(a.path().join("demo.syrinx")).unwrap();
    assert!(
        saved.contains("\"train/SITE1_20240512_053000.wav\""),
        "paths are relative"
    );
}

#[test]
fn the_truth_describes_every_sound_and_the_calls_are_audible() {
    let spec = &DEMO_RECORDINGS[0];
    let (samples, rows) = render_recording(spec);
    assert!(rows.len() >= 12);
    for pair in rows.windows(2) {
        assert!(
            pair[0].end_secs < pair[1].start_secs,
            "sounds do not overlap"
        );
    }
    for row in &rows {
        assert!(
            row.start_secs >= 0.0 && row.end_secs <= spec.secs && row.start_secs < row.end_secs
        );
        let (low, high) = (row.low_hz.unwrap(), row.high_hz.unwrap());
        assert!(low > 2500.0 && high < 7000.0 && low < high);
        let expected = if row.label == TARGET_LABEL {
            SelectionKind::Positive
        } else {
            SelectionKind::Negative
        };
        assert_eq!(row.kind, Some(expected));
        assert!([TARGET_LABEL, WHISTLE_LABEL, CRICKET_LABEL].contains(&row.label.as_str()));
    }
    // The falling chirps sing only away from the training sites: a first model never hears them.
    for spec in &DEMO_RECORDINGS {
        let chirps = render_recording(spec)
            .1
            .iter()
            .filter(|r| r.label == CHIRP_LABEL && r.kind == Some(SelectionKind::Negative))
            .count();
        assert_eq!(
            spec.split == "train",
            chirps == 0,
            "{}: {chirps}",
            spec.stem
        );
    }
    // Inside a call's box the level stands clearly above the same band outside any call.
    let rate = 32_000;
    let params = SpectrogramParams {
        window_len: 512,
        hop_len: 256,
        ..SpectrogramParams::default()
    };
    let stft = Stft::new(&params, rate).unwrap();
    let spectrogram = stft.compute(&samples);
    let axis = stft.axis();
    let band_mean = |first_frame: usize, last_frame: usize, low_hz: f64, high_hz: f64| -> f32 {
        let (low, high) = (
            axis.row_at_hz(low_hz).round() as usize,
            axis.row_at_hz(high_hz).round() as usize,
        );
        let mut sum = 0.0;
        let mut n = 0.0;
        for frame in first_frame..last_frame {
            for band in low..=high {
                sum += spectrogram.at(frame, band);
                n += 1.0;
            }
        }
        sum / n
    };
    let frame_of = |secs: f64| ((secs * f64::from(rate)) / 256.0) as usize;
    let quiet = band_mean(
        frame_of(rows[0].end_secs + 0.3),
        frame_of(rows[1].start_secs - 0.3),
        3500.0,
        6000.0,
    );
    let loud_enough = rows
        .iter()
        .filter(|r| {
            band_mean(
                frame_of(r.start_secs),
                frame_of(r.end_secs),
                r.low_hz.unwrap(),
                r.high_hz.unwrap(),
            ) > quiet + 6.0
        })
        .count();
    assert!(
        loud_enough * 10 >= rows.len() * 7,
        "{loud_enough} of {} stand out",
        rows.len()
    );
}
