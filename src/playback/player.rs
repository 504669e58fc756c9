//! The player: one playback session at a time, on its own thread.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rtrb::{Consumer, Producer, RingBuffer};
use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Async, FixedAsync, Indexing, Resampler, SincInterpolationParameters, SincInterpolationType,
    WindowFunction,
};

use super::filter::{FilterChain, PlaybackFilter};
use super::{PlaybackError, SPEED_RANGE};
use crate::audio::AudioReader;

/// Samples the ring holds (about 1.5 s at 44.1 kHz): enough to ride out a slow disk.
const RING_SAMPLES: usize = 1 << 16;
/// Source frames read per step.
const READ_FRAMES: usize = 4096;
/// Input frames per resampler call.
const RESAMPLER_CHUNK: usize = 1024;
/// How long the decoder thread waits for room in the ring (not the audio callback, which never
/// waits).
const RING_WAIT: Duration = Duration::from_millis(4);

/// What to play.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaybackRequest {
    pub start_frame: u64,
    pub end_frame: u64,
    /// 1.0 is real time; 0.1 plays ten times slower and a decade lower in pitch.
    pub speed: f64,
    pub filter: PlaybackFilter,
}

/// Counts what the output has played; written by the audio callback (atomics only).
#[derive(Debug, Default)]
pub struct OutputClock {
    played_frames: AtomicU64,
    failed: AtomicBool,
}

impl OutputClock {
    pub fn add_played(&self, frames: u64) {
        self.played_frames.fetch_add(frames, Ordering::Relaxed);
    }

    #[must_use]
    pub fn played(&self) -> u64 {
        self.played_frames.load(Ordering::Relaxed)
    }

    /// The device reported an error (unplugged, …).
    pub fn mark_failed(&self) {
        self.failed.store(true, Ordering::Relaxed);
    }

    #[must_use]
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }
}

/// An opened output: its rate, and whatever keeps it playing (dropped to stop it; it stays on
/// the playback thread, as sound-card streams need not be `Send`).
pub struct OpenOutput {
    pub sample_rate_hz: u32,
    pub guard: Box<dyn std::any::Any>,
}

impl std::fmt::Debug for OpenOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenOutput")
            .field("sample_rate_hz", &self.sample_rate_hz)
            .finish_non_exhaustive()
    }
}

/// A place sound goes to: the sound card, or a buffer for tests.
pub trait AudioOutput: Send + Sync {
    /// Opens an output on the calling thread that plays mono samples from `consumer` and counts
    /// the frames it played in `clock`.
    fn open(
        &self,
        consumer: Consumer<f32>,
        clock: Arc<OutputClock>,
    ) -> Result<OpenOutput, PlaybackError>;
}

/// An output that collects everything into memory as fast as it arrives (for tests, and to check
/// what would be heard).
#[derive(Debug, Clone, Default)]
pub struct CaptureOutput {
    pub sample_rate_hz: u32,
    pub captured: Arc<Mutex<Vec<f32>>>,
}

impl AudioOutput for CaptureOutput {
    fn open(
        &self,
        mut consumer: Consumer<f32>,
        clock: Arc<OutputClock>,
    ) -> Result<OpenOutput, PlaybackError> {
        let captured = Arc::clone(&self.captured);
        let drain = std::thread::Builder::new()
            .name("syrinx-capture".to_owned())
            .spawn(move || {
                let mut buffer = vec![0.0; 4096];
                loop {
                    let abandoned = consumer.is_abandoned();
                    let (read, _) = consumer.pop_partial_slice(&mut buffer);
                    let n = read.len();
                    if n > 0 {
                        if let Ok(mut out) = captured.lock() {
                            out.extend_from_slice(&buffer[..n]);
                        }
                        clock.add_played(n as u64);
                    } else if abandoned {
                        return;
                    } else {
                        std::thread::yield_now();
                    }
                }
            })
            .map_err(|e| PlaybackError::Setup {
                detail: e.to_string(),
            })?;
        Ok(OpenOutput {
            sample_rate_hz: self.sample_rate_hz,
            guard: Box::new(JoinOnDrop(Some(drain))),
        })
    }
}

struct JoinOnDrop(Option<JoinHandle<()>>);

impl Drop for JoinOnDrop {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            let _ = handle.join();
        }
    }
}

/// State shared between the player and its session thread.
#[derive(Debug, Default)]
struct SessionShared {
    stop: AtomicBool,
    finished: AtomicBool,
    start_frame: AtomicU64,
    end_frame: AtomicU64,
    /// Source frames per output frame (f64 bits); 0 until the output is open.
    source_per_output_bits: AtomicU64,
    clock: Mutex<Option<Arc<OutputClock>>>,
    error: Mutex<Option<PlaybackError>>,
}

/// Plays one span at a time; starting another stops the first.
pub struct Player {
    output: Arc<dyn AudioOutput>,
    waker: Option<Arc<dyn Fn() + Send + Sync>>,
    session: Option<(Arc<SessionShared>, JoinHandle<()>)>,
    last_error: Option<PlaybackError>,
}

impl std::fmt::Debug for Player {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Player")
            .field("playing", &self.is_playing())
            .finish_non_exhaustive()
    }
}

impl Player {
    /// A player on `output`; `waker` (if any) is called when a session ends or fails.
    pub fn new(output: Arc<dyn AudioOutput>, waker: Option<Arc<dyn Fn() + Send + Sync>>) -> Self {
        Self {
            output,
            waker,
            session: None,
            last_error: None,
        }
    }

    /// Starts playing `request` from `reader` (stopping what was playing). Returns at once;
    /// device problems arrive through [`take_error`](Self::take_error).
    pub fn play(&mut self, reader: AudioReader, request: PlaybackRequest) {
        self.stop();
        let shared = Arc::new(SessionShared::default());
        shared
            .start_frame
            .store(request.start_frame, Ordering::Relaxed);
        shared.end_frame.store(request.end_frame, Ordering::Relaxed);
        let thread_shared = Arc::clone(&shared);
        let output = Arc::clone(&self.output);
        let waker = self.waker.clone();
        let spawned = std::thread::Builder::new()
            .name("syrinx-playback".to_owned())
            .spawn(move || {
                let result = run_session(output.as_ref(), reader, request, &thread_shared);
                if let Err(error) = result
                    && let Ok(mut slot) = thread_shared.error.lock()
                {
                    *slot = Some(error);
                }
                thread_shared.finished.store(true, Ordering::Release);
                if let Some(waker) = waker {
                    waker();
                }
            });
        match spawned {
            Ok(handle) => self.session = Some((shared, handle)),
            Err(e) => {
                self.last_error = Some(PlaybackError::Setup {
                    detail: e.to_string(),
                });
            }
        }
    }

    /// Stops playback (waits for the session thread, which stops within one read step).
    pub fn stop(&mut self) {
        if let Some((shared, handle)) = self.session.take() {
            shared.stop.store(true, Ordering::Release);
            let _ = handle.join();
            self.collect_error(&shared);
        }
    }

    #[must_use]
    pub fn is_playing(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(|(shared, _)| !shared.finished.load(Ordering::Acquire))
    }

    /// The recording frame being heard now (while playing).
    #[must_use]
    pub fn position_frame(&self) -> Option<u64> {
        let (shared, _) = self.session.as_ref()?;
        if shared.finished.load(Ordering::Acquire) {
            return None;
        }
        let ratio = f64::from_bits(shared.source_per_output_bits.load(Ordering::Relaxed));
        let played = shared.clock.lock().ok()?.as_ref().map_or(0, |c| c.played());
        let start = shared.start_frame.load(Ordering::Relaxed);
        let end = shared.end_frame.load(Ordering::Relaxed);
        Some((start + (played as f64 * ratio) as u64).min(end))
    }

    /// A playback problem (no device, device lost, unreadable audio), once.
    pub fn take_error(&mut self) -> Option<PlaybackError> {
        if let Some(shared) = self.session.as_ref().map(|(s, _)| Arc::clone(s)) {
            self.collect_error(&shared);
        }
        self.last_error.take()
    }

    fn collect_error(&mut self, shared: &SessionShared) {
        if let Ok(mut slot) = shared.error.lock()
            && let Some(error) = slot.take()
        {
            self.last_error = Some(error);
        }
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run_session(
    output: &dyn AudioOutput,
    mut reader: AudioReader,
    request: PlaybackRequest,
    shared: &SessionShared,
) -> Result<(), PlaybackError> {
    let (mut producer, consumer) = RingBuffer::<f32>::new(RING_SAMPLES);
    let clock = Arc::new(OutputClock::default());
    let opened = output.open(consumer, Arc::clone(&clock))?;
    if let Ok(mut slot) = shared.clock.lock() {
        *slot = Some(Arc::clone(&clock));
    }
    let source_hz = reader.info().sample_rate_hz;
    let speed = request
        .speed
        .clamp(*SPEED_RANGE.start(), *SPEED_RANGE.end());
    let effective_hz = f64::from(source_hz) * speed;
    let ratio = f64::from(opened.sample_rate_hz) / effective_hz;
    shared.source_per_output_bits.store(
        (effective_hz / f64::from(opened.sample_rate_hz)).to_bits(),
        Ordering::Relaxed,
    );
    let mut resampler = if (ratio - 1.0).abs() < 1e-9 {
        None
    } else {
        let params = SincInterpolationParameters::new(128, WindowFunction::BlackmanHarris2)
            .oversampling_factor(128)
            .interpolation(SincInterpolationType::Cubic);
        Some(
            Async::<f32>::new_sinc(ratio, 1.0, &params, RESAMPLER_CHUNK, 1, FixedAsync::Input)
                .map_err(|e| PlaybackError::Setup {
                    detail: e.to_string(),
                })?,
        )
    };
    // The resampler's start-up delay is dropped so the playhead stays in step.
    let mut delay_to_skip = resampler.as_ref().map_or(0, Resampler::output_delay);
    let mut filter = FilterChain::new(request.filter, source_hz);
    let mut pending: Vec<f32> = Vec::new();
    let mut block = Vec::new();
    let mut at = request.start_frame;
    let end = request.end_frame.min(reader.info().frame_count);
    // The resampler pads its last chunk and flush with silence; emit exactly the span's length.
    let expected_out = (end.saturating_sub(at) as f64 * ratio).round() as u64;
    let mut emitted = 0_u64;
    let mut pushed = 0_u64;
    let mut push = |samples: &[f32], producer: &mut Producer<f32>| -> bool {
        let mut rest = samples;
        while !rest.is_empty() {
            if shared.stop.load(Ordering::Acquire) || clock.failed() {
                return false;
            }
            let (written, remainder) = producer.push_partial_slice(rest);
            pushed += written.len() as u64;
            rest = remainder;
            if !rest.is_empty() {
                std::thread::sleep(RING_WAIT);
            }
        }
        true
    };
    let mut running = true;
    while running && (at < end || !pending.is_empty()) {
        if at < end {
            let n = usize::try_from((end - at).min(READ_FRAMES as u64)).unwrap_or(READ_FRAMES);
            reader
                .read_frames_into(at, n, &mut block)
                .map_err(|e| PlaybackError::Audio(e.to_string()))?;
            if block.is_empty() {
                at = end; // the recording ended early
            }
            at += block.len() as u64;
            filter.run_in_place(&mut block);
            pending.extend_from_slice(&block);
        }
        let Some(resampler) = resampler.as_mut() else {
            running = push(&pending, &mut producer);
            pending.clear();
            continue;
        };
        let last = at >= end;
        while running && (pending.len() >= RESAMPLER_CHUNK || (last && !pending.is_empty())) {
            // A short last chunk is padded with silence and marked as partial.
            let take = pending.len().min(RESAMPLER_CHUNK);
            let mut chunk = [0.0_f32; RESAMPLER_CHUNK];
            chunk[..take].copy_from_slice(&pending[..take]);
            pending.drain(..take);
            let out = resample_chunk(resampler, &chunk, take)?;
            let skip = delay_to_skip.min(out.len());
            delay_to_skip -= skip;
            let keep = (out.len() - skip).min(usize::try_from(expected_out - emitted).unwrap_or(0));
            emitted += keep as u64;
            running = push(&out[skip..skip + keep], &mut producer);
        }
        let mut flushes = 0;
        while last && running && emitted < expected_out && flushes < 8 {
            // Flush what the resampler still holds (a few chunks at most: its delay is short).
            flushes += 1;
            let out = resample_chunk(resampler, &[0.0; RESAMPLER_CHUNK], 0)?;
            let skip = delay_to_skip.min(out.len());
            delay_to_skip -= skip;
            let keep = (out.len() - skip).min(usize::try_from(expected_out - emitted).unwrap_or(0));
            emitted += keep as u64;
            running = push(&out[skip..skip + keep], &mut producer);
        }
    }
    // Let the output play what is queued, unless stopped.
    while clock.played() < pushed && !shared.stop.load(Ordering::Acquire) && !clock.failed() {
        std::thread::sleep(RING_WAIT);
    }
    drop(producer);
    drop(opened);
    if clock.failed() {
        return Err(PlaybackError::Device {
            detail: "the device stopped while playing (unplugged?)".to_owned(),
        });
    }
    Ok(())
}

fn resample_chunk(
    resampler: &mut Async<f32>,
    chunk: &[f32],
    valid: usize,
) -> Result<Vec<f32>, PlaybackError> {
    let input = InterleavedSlice::new(chunk, 1, chunk.len()).map_err(|e| PlaybackError::Setup {
        detail: e.to_string(),
    })?;
    let indexing = Indexing::new().partial_len(valid);
    resampler
        .process(&input, Some(&indexing))
        .map(rubato::audioadapter_buffers::owned::InterleavedOwned::take_data)
        .map_err(|e| PlaybackError::Setup {
            detail: e.to_string(),
        })
}
