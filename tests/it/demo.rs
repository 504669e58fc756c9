use syrinx::annotation::SelectionKind;
use syrinx::audio::{ChannelMode, probe, read_all};
use syrinx::demo::{
    CRICKET_LABEL, DEMO_RECORDINGS, TARGET_LABEL, WHISTLE_LABEL, render_recording, write_demo,
};
use syrinx::dsp::{SpectrogramParams, Stft};

#[test]
fn the_demo_is_deterministic_and_laid_out_as_documented() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let summary = write_demo(a.path()).unwrap();
    write_demo(b.path()).unwrap();
    assert_eq!(summary.recordings.len(), 11);
    assert!(
        summary.positives >= 80 && summary.negatives >= 60,
        "{summary:?}"
    );
    for (recording, table) in summary.recordings.iter().zip(&summary.tables) {
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
    let test = std::fs::read_dir(a.path().join("test")).unwrap().count();
    assert_eq!((train, test), (8, 3));
    let table = std::fs::read_to_string(&summary.tables[0]).unwrap();
    assert!(
        table
            .lines()
            .next()
            .unwrap()
            .ends_with("\tAnnotation\tKind")
    );
    assert!(
        table
            .lines()
            .skip(1)
            .all(|l| l.ends_with("\tpositive") || l.ends_with("\tnegative"))
    );
}

#[test]
fn the_truth_describes_every_sound_and_the_calls_are_audible() {
    let spec = &DEMO_RECORDINGS[0];
    let (samples, selections) = render_recording(spec);
    assert!(selections.len() >= 12);
    for pair in selections.windows(2) {
        assert!(
            pair[0].end_secs < pair[1].start_secs,
            "sounds do not overlap"
        );
    }
    for s in &selections {
        assert!(s.start_secs >= 0.0 && s.end_secs <= spec.secs && s.start_secs < s.end_secs);
        assert!(s.low_hz > 2500.0 && s.high_hz < 7000.0 && s.low_hz < s.high_hz);
        let expected_kind = if s.label == TARGET_LABEL {
            SelectionKind::Positive
        } else {
            SelectionKind::Negative
        };
        assert_eq!(s.kind, expected_kind);
        assert!([TARGET_LABEL, WHISTLE_LABEL, CRICKET_LABEL].contains(&s.label.as_str()));
    }
    // Inside a call's box the level stands clearly above the same band outside any call.
    let rate = 32_000;
    let params = SpectrogramParams {
        window_len: 512,
        hop_len: 256,
        ..SpectrogramParams::default()
    };
    let stft = Stft::new(&params, rate).unwrap();
    let spec_db = stft.compute(&samples);
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
                sum += spec_db.at(frame, band);
                n += 1.0;
            }
        }
        sum / n
    };
    let frame_of = |secs: f64| ((secs * f64::from(rate)) / 256.0) as usize;
    let quiet = band_mean(
        frame_of(selections[0].end_secs + 0.3),
        frame_of(selections[1].start_secs - 0.3),
        3500.0,
        6000.0,
    );
    let loud_enough = selections
        .iter()
        .filter(|s| {
            band_mean(
                frame_of(s.start_secs),
                frame_of(s.end_secs),
                s.low_hz,
                s.high_hz,
            ) > quiet + 6.0
        })
        .count();
    assert!(
        loud_enough * 10 >= selections.len() * 7,
        "{loud_enough} of {} stand out",
        selections.len()
    );
}
