use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use syrinx::audio::{AudioReader, ChannelMode, WavEncoding, write_wav};
use syrinx::dsp::{SpectrogramParams, Stft};
use syrinx::spectrogram::{
    RecordingId, SpectrogramKey, TILE_COLUMNS, TileEngine, TileKey, average_power,
};
use syrinx::util::synth::FieldSynth;

/// An engine whose waker feeds a channel, so tests wait for events, not for time.
fn engine(cache_bytes: usize) -> (TileEngine, mpsc::Receiver<()>) {
    let (sender, receiver) = mpsc::channel();
    let sender = std::sync::Mutex::new(sender);
    let waker = Arc::new(move || {
        if let Ok(s) = sender.lock() {
            let _ = s.send(());
        }
    });
    (TileEngine::new(cache_bytes, 1, waker), receiver)
}

/// Waits for wake-ups until `ready` holds; fails if nothing happens for 60 s (a hung engine).
fn wait_until<T>(wakes: &mpsc::Receiver<()>, mut ready: impl FnMut() -> Option<T>) -> T {
    loop {
        if let Some(value) = ready() {
            return value;
        }
        wakes
            .recv_timeout(Duration::from_secs(60))
            .expect("the engine stopped making progress");
    }
}

#[test]
fn tiles_equal_the_spectrogram_averaged_in_power() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("field.wav");
    let rate = 8000;
    let samples = FieldSynth::new(rate, 12).take(rate as usize * 300);
    write_wav(&path, &samples, rate, WavEncoding::Float32).unwrap();
    let params = SpectrogramParams {
        window_len: 256,
        hop_len: 128,
        ..SpectrogramParams::default()
    };
    let stft = Stft::new(&params, rate).unwrap();
    let mut power = Vec::new();
    let frames = stft.compute_power_into(&samples, &mut power);
    let bands = stft.bands();

    let (engine, wakes) = engine(64 << 20);
    let id = RecordingId(7);
    engine.add_recording(id, AudioReader::open(&path).unwrap());
    let spectrogram = SpectrogramKey {
        recording: id,
        params,
        channel: ChannelMode::Mix,
    };
    let summary_level = engine.summary_level(&spectrogram).unwrap();
    assert_eq!(summary_level, 7);
    let key = |level: u8, index: u64| TileKey {
        recording: id,
        params,
        channel: ChannelMode::Mix,
        level,
        index,
    };
    // Direct tiles (below the summary level) and coarse tiles (from the summary), including the
    // last, partial tile of the recording.
    let wanted = [
        key(0, 3),
        key(2, 5),
        key(summary_level, 0),
        key(summary_level + 1, 0),
        key(0, 73),
    ];
    engine.request(&wanted, &[spectrogram]);
    for tile_key in wanted {
        let tile = wait_until(&wakes, || {
            engine.tile(&tile_key).filter(|t| {
                t.columns == TILE_COLUMNS
                    || engine
                        .summary_progress(&spectrogram)
                        .is_some_and(|p| p.is_complete())
            })
        });
        let factor = 1_usize << tile_key.level;
        let first = usize::try_from(tile_key.first_frame()).unwrap();
        let end = (first + TILE_COLUMNS * factor).min(frames);
        let mut expected = average_power(
            &power[first * bands..end * bands],
            end - first,
            bands,
            factor,
        );
        stft.power_to_db(&mut expected);
        assert_eq!(tile.bands, bands);
        assert_eq!(tile.columns, expected.len() / bands, "{tile_key:?}");
        let worst = tile
            .db
            .iter()
            .zip(&expected)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0_f32, f32::max);
        assert!(worst < 1e-3, "{tile_key:?} differs by {worst} dB");
    }
    assert!(engine.cache_bytes() > 0);
    assert!(engine.take_errors().is_empty());
}

#[test]
fn the_cache_stays_within_its_budget() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("noise.wav");
    let rate = 8000;
    write_wav(
        &path,
        &FieldSynth::new(rate, 1).take(rate as usize * 120),
        rate,
        WavEncoding::Pcm16,
    )
    .unwrap();
    let params = SpectrogramParams::default();
    let one_tile = TILE_COLUMNS * 257 * 4;
    let (engine, wakes) = engine(3 * one_tile + 1024);
    let id = RecordingId(1);
    engine.add_recording(id, AudioReader::open(&path).unwrap());
    for index in 0..8 {
        let key = TileKey {
            recording: id,
            params,
            channel: ChannelMode::Mix,
            level: 0,
            index,
        };
        engine.request(&[key], &[]);
        wait_until(&wakes, || engine.tile(&key));
        assert!(
            engine.cache_bytes() <= 3 * one_tile + 1024,
            "{} bytes",
            engine.cache_bytes()
        );
    }
}

#[test]
fn unreadable_recordings_report_instead_of_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("short.wav");
    write_wav(
        &path,
        &FieldSynth::new(8000, 1).take(80_000),
        8000,
        WavEncoding::Pcm16,
    )
    .unwrap();
    let reader = AudioReader::open(&path).unwrap();
    std::fs::remove_file(&path).unwrap(); // the file disappears after it was opened
    let (engine, wakes) = engine(1 << 20);
    let id = RecordingId(3);
    engine.add_recording(id, reader);
    let key = TileKey {
        recording: id,
        params: SpectrogramParams::default(),
        channel: ChannelMode::Mix,
        level: 0,
        index: 0,
    };
    engine.request(&[key], &[]);
    let errors = wait_until(&wakes, || {
        Some(engine.take_errors()).filter(|e| !e.is_empty())
    });
    assert!(errors[0].contains("short.wav"), "{errors:?}");
    assert_eq!(engine.pending(), 0, "a failed tile is not retried forever");
}
