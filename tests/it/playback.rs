use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use syrinx::audio::{AudioReader, WavEncoding, write_wav};
use syrinx::playback::{
    AudioOutput, CaptureOutput, OpenOutput, OutputClock, PlaybackError, PlaybackFilter,
    PlaybackRequest, Player,
};
use syrinx::util::synth::tone;

use crate::common::{dominated_by, tone_power};

/// A player on a capture output; the receiver hears when a session ends.
fn player(output_hz: u32) -> (Player, Arc<Mutex<Vec<f32>>>, mpsc::Receiver<()>) {
    let output = CaptureOutput {
        sample_rate_hz: output_hz,
        captured: Arc::default(),
    };
    let captured = Arc::clone(&output.captured);
    let (sender, receiver) = mpsc::channel();
    let sender = Mutex::new(sender);
    let waker = Arc::new(move || {
        let _ = sender.lock().map(|s| s.send(()));
    });
    (
        Player::new(Arc::new(output), Some(waker)),
        captured,
        receiver,
    )
}

fn recording(dir: &tempfile::TempDir, samples: &[f32], rate: u32) -> AudioReader {
    let path = dir.path().join("clip.wav");
    write_wav(&path, samples, rate, WavEncoding::Float32).unwrap();
    AudioReader::open(&path).unwrap()
}

fn request(frames: u64, speed: f64) -> PlaybackRequest {
    PlaybackRequest {
        start_frame: 0,
        end_frame: frames,
        speed,
        filter: PlaybackFilter::default(),
    }
}

#[test]
fn plays_at_the_device_rate_keeping_pitch() {
    let dir = tempfile::tempdir().unwrap();
    let reader = recording(&dir, &tone(1000.0, 0.5, 22_050, 22_050), 22_050);
    let (mut player, captured, done) = player(44_100);
    player.play(reader, request(22_050, 1.0));
    done.recv_timeout(Duration::from_secs(60)).unwrap();
    assert!(!player.is_playing());
    assert!(player.take_error().is_none());
    let out = captured.lock().unwrap().clone();
    assert!(
        (out.len() as i64 - 44_100).abs() < 2_000,
        "{} samples",
        out.len()
    );
    assert!(dominated_by(&out[4000..40_000], 1000.0, 500.0, 44_100));
}

#[test]
fn slow_playback_lowers_the_pitch_and_lasts_longer() {
    let dir = tempfile::tempdir().unwrap();
    let reader = recording(&dir, &tone(4000.0, 0.5, 44_100, 44_100), 44_100);
    let (mut player, captured, done) = player(44_100);
    player.play(reader, request(44_100, 0.25));
    done.recv_timeout(Duration::from_secs(60)).unwrap();
    let out = captured.lock().unwrap().clone();
    assert!(
        (out.len() as i64 - 4 * 44_100).abs() < 4_000,
        "{} samples",
        out.len()
    );
    assert!(dominated_by(&out[10_000..160_000], 1000.0, 4000.0, 44_100));
}

#[test]
fn the_filter_removes_what_the_listener_does_not_want() {
    let dir = tempfile::tempdir().unwrap();
    let mut mixed = tone(200.0, 0.3, 16_000, 16_000);
    for (m, t) in mixed.iter_mut().zip(tone(5000.0, 0.3, 16_000, 16_000)) {
        *m += t;
    }
    let reader = recording(&dir, &mixed, 16_000);
    let (mut player, captured, done) = player(16_000);
    let filter = PlaybackFilter {
        high_pass_hz: Some(2000.0),
        low_pass_hz: None,
    };
    player.play(
        reader,
        PlaybackRequest {
            filter,
            ..request(16_000, 1.0)
        },
    );
    done.recv_timeout(Duration::from_secs(60)).unwrap();
    let out = captured.lock().unwrap().clone();
    assert_eq!(out.len(), 16_000, "same rate: no resampling");
    let (low, high) = (
        tone_power(&out[4000..], 200.0, 16_000),
        tone_power(&out[4000..], 5000.0, 16_000),
    );
    assert!(low * 10_000.0 < high, "200 Hz left at {low} vs {high}");
}

#[test]
fn stop_ends_a_long_playback_and_a_new_one_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let reader = recording(&dir, &tone(440.0, 0.5, 8000 * 600, 8000), 8000);
    /// An output that never plays: the ring fills and the session waits on it.
    struct StuckOutput;
    impl AudioOutput for StuckOutput {
        fn open(
            &self,
            consumer: rtrb::Consumer<f32>,
            _clock: Arc<OutputClock>,
        ) -> Result<OpenOutput, PlaybackError> {
            Ok(OpenOutput {
                sample_rate_hz: 8000,
                guard: Box::new(consumer),
            })
        }
    }
    let mut player = Player::new(Arc::new(StuckOutput), None);
    player.play(reader.try_clone().unwrap(), request(8000 * 600, 1.0));
    assert!(player.is_playing());
    assert_eq!(player.position_frame(), Some(0), "nothing was heard yet");
    player.stop();
    assert!(!player.is_playing());
    assert!(player.position_frame().is_none());
}

#[test]
fn no_sound_device_is_reported_not_fatal() {
    struct NoDevice;
    impl AudioOutput for NoDevice {
        fn open(
            &self,
            _consumer: rtrb::Consumer<f32>,
            _clock: Arc<OutputClock>,
        ) -> Result<OpenOutput, PlaybackError> {
            Err(PlaybackError::NoDevice {
                detail: "no card".to_owned(),
            })
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let reader = recording(&dir, &tone(440.0, 0.5, 8000, 8000), 8000);
    let (sender, receiver) = mpsc::channel();
    let sender = Mutex::new(sender);
    let waker = Arc::new(move || {
        let _ = sender.lock().map(|s| s.send(()));
    });
    let mut player = Player::new(Arc::new(NoDevice), Some(waker));
    player.play(reader, request(8000, 1.0));
    receiver.recv_timeout(Duration::from_secs(60)).unwrap();
    let error = player.take_error().unwrap();
    assert!(matches!(error, PlaybackError::NoDevice { .. }));
    assert!(error.to_string().contains("everything else works"));
    assert!(player.take_error().is_none(), "reported once");
}
