//! Scoring: a model over a recording. The recording's spectrogram is computed once, block by
//! block in bounded memory, and every window (on the spectrogram's hop grid, `hop_secs` apart)
//! is sliced from it — the same frames training cropped — and scored in batches. A model whose
//! input has context instead gets each block as a strip of the recording's normalised stream,
//! and [`dense`] scores all of its windows from one pass of the network. The scores of every
//! window are kept ([`WindowScores`]); [`crate::detect`] cuts them into calls.

pub mod dense;
pub mod domain;
pub mod files;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::audio::{AudioReader, ResamplingReader};
use crate::detect::WindowScores;
use crate::dsp::ModelInputSpec;
use crate::model::ModelArtifact;

pub use files::{FileEvent, score_recordings};

/// Errors detecting.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error(transparent)]
    Audio(#[from] crate::audio::AudioError),
    #[error("the model's input cannot be computed: {0}")]
    Input(#[from] crate::dsp::DspError),
    #[error("detection cancelled")]
    Cancelled,
    #[error(transparent)]
    Embed(crate::embed::EmbedError),
    #[error(
        "this model has {0} classes ({1}): it scores each class (score_recording_per_class), but \
         detection runs and tables take single-class models for now"
    )]
    MultiClass(usize, String),
}

/// Spectrogram frames computed per block (the block's audio is read, transformed and scored,
/// then dropped): about 48 s at the default 256-sample hop and 22.05 kHz. Halving it from
/// 8,192 took detection's peak memory on an hour-long file from 122–188 MB to 79–113 MB at
/// the same speed (a block's model inputs are most of it, and three are alive at once).
const BLOCK_FRAMES: usize = 4_096;

/// Windows scored per forward pass.
const DETECT_BATCH: usize = 32;

/// What a detection run measures beside the scores: the loudness of the model's calls' band
/// (its input's when it does not know them), kept at about a sixteenth of a typical call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct EnvelopeSpec {
    band_hz: (f64, f64),
    frame_secs: f64,
}

impl EnvelopeSpec {
    pub(crate) fn for_model(model: &ModelArtifact) -> Self {
        let input = &model.info.input;
        let spectrogram = &input.spectrogram;
        let band_hz = model
            .info
            .detection
            .and_then(|d| d.band_hz)
            .unwrap_or_else(|| {
                (
                    f64::from(spectrogram.min_hz),
                    spectrogram.effective_max_hz(input.sample_rate_hz),
                )
            });
        let call_secs = model
            .info
            .detection
            .map_or(0.5, |d| d.call_secs)
            .clamp(0.005, 10.0);
        Self {
            band_hz,
            frame_secs: call_secs / 16.0,
        }
    }
}

/// The hop between windows in spectrogram frames (at least one). A model whose input has
/// context scores densely, on a grid of [`NetworkConfig::dense_hop_frames`]: its hop is the
/// nearest multiple of that.
///
/// [`NetworkConfig::dense_hop_frames`]: crate::model::NetworkConfig::dense_hop_frames
#[must_use]
pub fn hop_frames(model: &ModelArtifact, hop_secs: f64) -> usize {
    let input = &model.info.input;
    let frame_secs = f64::from(input.spectrogram.hop_len) / f64::from(input.sample_rate_hz);
    ((model.info.hop_on_grid(hop_secs) / frame_secs).round() as usize).max(1)
}

/// Scores every window of the recording at `path`, `hop_secs` apart (rounded to whole
/// spectrogram frames). `progress(done_secs, total_secs)` reports; `cancel` stops between blocks.
pub fn score_recording(
    model: &ModelArtifact,
    path: &Path,
    hop_secs: f64,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f64, f64),
) -> Result<WindowScores, DetectError> {
    score_recording_in_blocks(model, path, hop_secs, BLOCK_FRAMES, cancel, progress)
}

/// [`score_recording`] with blocks of `block_frames` window starts (tests use small blocks to
/// check that block edges change nothing).
#[doc(hidden)]
pub fn score_recording_in_blocks(
    model: &ModelArtifact,
    path: &Path,
    hop_secs: f64,
    block_frames: usize,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f64, f64),
) -> Result<WindowScores, DetectError> {
    let outputs = model.info.network.outputs.max(1);
    if outputs > 1 {
        return Err(DetectError::MultiClass(
            outputs,
            model.info.classes.join(", "),
        ));
    }
    let mut per_output =
        score_outputs_in_blocks(model, path, hop_secs, block_frames, cancel, progress)?;
    Ok(per_output.swap_remove(0))
}

/// [`score_recording_in_blocks`] with every window sliced and scored on its own, never
/// densely: what dense scoring must equal (tests), and the old path's cost (benchmarks).
#[doc(hidden)]
pub fn score_recording_window_by_window(
    model: &ModelArtifact,
    path: &Path,
    hop_secs: f64,
    block_frames: usize,
    cancel: &AtomicBool,
) -> Result<WindowScores, DetectError> {
    let mut per_output = score_outputs(
        model,
        path,
        hop_secs,
        block_frames,
        false,
        cancel,
        &mut |_, _| {},
    )?;
    Ok(per_output.swap_remove(0))
}

/// A multi-class model's scores of every window of the recording at `path`, one
/// [`WindowScores`] per class (in the order of `model.info.classes`); see [`score_recording`].
pub fn score_recording_per_class(
    model: &ModelArtifact,
    path: &Path,
    hop_secs: f64,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f64, f64),
) -> Result<Vec<WindowScores>, DetectError> {
    score_outputs_in_blocks(model, path, hop_secs, BLOCK_FRAMES, cancel, progress)
}

/// Every window's score for each of the model's outputs.
fn score_outputs_in_blocks(
    model: &ModelArtifact,
    path: &Path,
    hop_secs: f64,
    block_frames: usize,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f64, f64),
) -> Result<Vec<WindowScores>, DetectError> {
    score_outputs(model, path, hop_secs, block_frames, true, cancel, progress)
}

/// [`score_outputs_in_blocks`], densely where the model allows it and `dense_allowed`.
fn score_outputs(
    model: &ModelArtifact,
    path: &Path,
    hop_secs: f64,
    block_frames: usize,
    dense_allowed: bool,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f64, f64),
) -> Result<Vec<WindowScores>, DetectError> {
    if let Some(head) = &model.head {
        // A pretrained embedder and its head: windows are the embedder's, scored by the head.
        let embeddings = head
            .embedder
            .embed_file_with_progress(path, hop_secs, cancel, progress)
            .map_err(|e| match e {
                crate::embed::EmbedError::Cancelled => DetectError::Cancelled,
                crate::embed::EmbedError::Audio(e) => DetectError::Audio(e),
                other => DetectError::Embed(other),
            })?;
        return Ok(head.score_embeddings(&embeddings));
    }
    let outputs = model.info.network.outputs.max(1);
    let input = model.info.input;
    let step = hop_frames(model, hop_secs);
    let reader = ResamplingReader::new(AudioReader::open(path)?, input.sample_rate_hz)?;
    let total_secs = reader.frame_count() as f64 / f64::from(input.sample_rate_hz);
    let device = burn::tensor::Device::flex();
    let (out_bands, out_frames) = input.shape();
    // Batch norms folded into the convolutions: the same scores, one pass fewer per block.
    let nets = model.folded();
    let mut maker = BlockMaker::new(&input)?.with_envelope(EnvelopeSpec::for_model(model));
    let dense = dense_allowed && dense::applies(model, step);
    if dense {
        maker = maker.strips_only();
    }
    // A producer thread decodes, transforms and slices the next block while this one is scored
    // (a bounded channel keeps at most one block waiting: memory stays bounded).
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Result<Block, DetectError>>(1);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            maker.produce(reader, step, block_frames, cancel, &mut |block| {
                sender.send(block).is_ok()
            });
        });
        let mut results = vec![
            WindowScores {
                window_secs: input.window_secs(),
                ..WindowScores::default()
            };
            outputs
        ];
        for block in receiver {
            let block = block?;
            if cancel.load(Ordering::Relaxed) {
                return Err(DetectError::Cancelled);
            }
            if let Some(envelope) = block.envelope {
                for result in &mut results {
                    result.envelope = Some(envelope.clone());
                }
                continue;
            }
            let scores = match (&block.strip, dense) {
                (Some(strip), true) => {
                    dense::score_strip(&nets, strip, out_bands, out_frames, &device)
                }
                _ => crate::model::ensemble_scores(
                    &nets,
                    &block.inputs,
                    out_bands,
                    out_frames,
                    DETECT_BATCH,
                    &device,
                ),
            };
            for (output, result) in results.iter_mut().enumerate() {
                result.start_secs.extend_from_slice(&block.start_secs);
                if outputs == 1 {
                    result.scores.extend_from_slice(&scores);
                } else {
                    result
                        .scores
                        .extend(crate::metrics::column(&scores, outputs, output));
                }
            }
            progress(block.done_secs.min(total_secs), total_secs);
        }
        Ok(results)
    })
}

/// Reads the recording behind `reader` block by block and hands each block's model inputs
/// (windows `step` frames apart, on the spectrogram's hop grid) to `emit` until it returns
/// false, the recording ends, an error is sent, or `cancel` is set. With `strips_only` (and
/// context), blocks carry their strip without the windows sliced from it.
pub(crate) fn produce_blocks(
    input: &ModelInputSpec,
    reader: ResamplingReader,
    step: usize,
    block_frames: usize,
    strips_only: bool,
    cancel: &AtomicBool,
    emit: &mut dyn FnMut(Result<Block, DetectError>) -> bool,
) {
    match BlockMaker::new(input) {
        Ok(maker) => {
            let mut maker = if strips_only {
                maker.strips_only()
            } else {
                maker
            };
            maker.produce(reader, step, block_frames, cancel, emit);
        }
        Err(error) => {
            emit(Err(error));
        }
    }
}

/// Cuts recordings into blocks of model inputs with one STFT plan and its buffers, kept from
/// one recording to the next.
pub(crate) struct BlockMaker {
    input: ModelInputSpec,
    stft: crate::dsp::Stft,
    scratch: crate::dsp::StftScratch,
    db: Vec<f32>,
    /// Measure the band's envelope too, and send it in a last block of its own.
    envelope: Option<EnvelopeSpec>,
    /// With context, send each block's strip without slicing windows from it (the dense
    /// scorer reads them from the strip).
    strips_only: bool,
}

impl std::fmt::Debug for BlockMaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockMaker")
            .field("input", &self.input)
            .finish_non_exhaustive()
    }
}

impl BlockMaker {
    pub(crate) fn new(input: &ModelInputSpec) -> Result<Self, DetectError> {
        let stft = input.stft()?;
        Ok(Self {
            input: *input,
            scratch: stft.scratch(),
            stft,
            db: Vec::new(),
            envelope: None,
            strips_only: false,
        })
    }

    /// This maker sends strips without windows (inputs with context only).
    pub(crate) fn strips_only(mut self) -> Self {
        self.strips_only = self.input.context_frames > 0;
        self
    }

    /// This maker also measures `spec`'s envelope of each recording, and after its windows
    /// sends it in a block of its own (no windows, `envelope` set).
    pub(crate) fn with_envelope(mut self, spec: EnvelopeSpec) -> Self {
        self.envelope = Some(spec);
        self
    }

    fn envelope_builder(&self) -> Option<crate::detect::EnvelopeBuilder> {
        let spec = self.envelope?;
        let axis = self.stft.axis();
        let row_hz: Vec<f64> = (0..self.stft.bands())
            .map(|r| axis.hz_at_row(r as f64))
            .collect();
        let rate = f64::from(self.input.sample_rate_hz);
        let frame_secs = f64::from(self.input.spectrogram.hop_len) / rate;
        let first_secs = f64::from(self.input.spectrogram.window_len) / 2.0 / rate;
        let group = (spec.frame_secs / frame_secs).round().max(1.0) as usize;
        Some(crate::detect::EnvelopeBuilder::new(
            &row_hz,
            spec.band_hz,
            frame_secs,
            first_secs,
            group,
        ))
    }

    /// [`produce_blocks`] with this maker's plan (and the envelope, when asked for).
    pub(crate) fn produce(
        &mut self,
        reader: ResamplingReader,
        step: usize,
        block_frames: usize,
        cancel: &AtomicBool,
        emit: &mut dyn FnMut(Result<Block, DetectError>) -> bool,
    ) {
        let mut envelope = self.envelope_builder();
        let finished = if self.input.context_frames > 0 {
            self.produce_stream(reader, step, block_frames, cancel, emit, &mut envelope)
        } else {
            self.produce_windows(reader, step, block_frames, cancel, emit, &mut envelope)
        };
        if let (true, Some(envelope)) = (finished, envelope) {
            emit(Ok(Block {
                envelope: Some(envelope.finish()),
                ..Block::default()
            }));
        }
    }

    /// Emits the blocks of windows; whether the recording was read to its end.
    fn produce_windows(
        &mut self,
        mut reader: ResamplingReader,
        step: usize,
        block_frames: usize,
        cancel: &AtomicBool,
        emit: &mut dyn FnMut(Result<Block, DetectError>) -> bool,
        envelope: &mut Option<crate::detect::EnvelopeBuilder>,
    ) -> bool {
        // Frames before this one are in the envelope already (blocks overlap by a window).
        let mut envelope_frame = 0_usize;
        let input = &self.input;
        let block_frames = block_frames.max(1);
        let bands = self.stft.bands();
        let native = input.native_frames();
        let hop = input.spectrogram.hop_len as usize;
        let window_len = input.spectrogram.window_len as usize;
        let rate = f64::from(input.sample_rate_hz);
        let total_samples = usize::try_from(reader.frame_count()).unwrap_or(usize::MAX);
        let total_frames = input.spectrogram.frame_count(total_samples);
        let total_secs = total_samples as f64 / rate;
        // Window starts in frames: 0, step, 2·step, … while the window fits.
        let mut next_start = 0_usize;
        while next_start + native <= total_frames.max(native) {
            if cancel.load(Ordering::Relaxed) {
                emit(Err(DetectError::Cancelled));
                return false;
            }
            // This block holds the windows starting in [next_start, next_start + block_frames).
            let first_frame = next_start;
            let last_start = (first_frame + block_frames)
                .min(total_frames.saturating_sub(native))
                .max(first_frame);
            let frames_needed = last_start - first_frame + native;
            let samples_needed = (frames_needed - 1) * hop + window_len;
            let mut audio = match reader.read_frames((first_frame * hop) as u64, samples_needed) {
                Ok(audio) => audio,
                Err(error) => {
                    emit(Err(error.into()));
                    return false;
                }
            };
            // A recording shorter than one window is padded with silence, as in training.
            audio.resize(samples_needed, 0.0);
            let frames = self
                .stft
                .compute_serial_into(&audio, &mut self.scratch, &mut self.db);
            if let Some(builder) = envelope.as_mut() {
                let from = envelope_frame.max(first_frame) - first_frame;
                if from < frames {
                    builder.push_frames(&self.db[from * bands..frames * bands], bands);
                    envelope_frame = first_frame + frames;
                }
            }
            let mut block = Block::default();
            let mut start = first_frame;
            while start <= last_start && start - first_frame + native <= frames {
                let offset = start - first_frame;
                let slice = &self.db[offset * bands..(offset + native) * bands];
                block
                    .inputs
                    .extend(input.from_spectrogram(slice, native, bands).values);
                block.start_secs.push(start as f64 * hop as f64 / rate);
                start += step.max(1);
            }
            block.done_secs = (start as f64 * hop as f64 / rate).min(total_secs);
            if !emit(Ok(block)) {
                return false;
            }
            if start <= next_start || total_frames < native {
                return true;
            }
            next_start = start;
        }
        true
    }
}

impl BlockMaker {
    /// [`Self::produce_windows`] for an input with context: the recording is one stream of
    /// frames, from `context_frames` before its start (silence) to as far after its last
    /// window, each frame computed and normalised once, in order ([`StreamFrontEnd`] carries
    /// PCEN's state across blocks). Each block holds the stretch of the stream its windows and
    /// their context cover (its strip), and the windows sliced from it unless
    /// [`Self::strips_only`].
    ///
    /// [`StreamFrontEnd`]: crate::dsp::StreamFrontEnd
    fn produce_stream(
        &mut self,
        mut reader: ResamplingReader,
        step: usize,
        block_frames: usize,
        cancel: &AtomicBool,
        emit: &mut dyn FnMut(Result<Block, DetectError>) -> bool,
        envelope: &mut Option<crate::detect::EnvelopeBuilder>,
    ) -> bool {
        let input = self.input;
        let step = step.max(1);
        let source_bands = self.stft.bands();
        let (bands, crop) = input.shape();
        let context = usize::from(input.context_frames);
        let native = input.native_frames();
        let hop = input.spectrogram.hop_len as usize;
        let window_len = input.spectrogram.window_len as usize;
        let rate = f64::from(input.sample_rate_hz);
        let total_samples = usize::try_from(reader.frame_count()).unwrap_or(usize::MAX);
        let total_frames = input.spectrogram.frame_count(total_samples);
        let total_secs = total_samples as f64 / rate;
        let last_window = total_frames.saturating_sub(native);
        let mut front = crate::dsp::StreamFrontEnd::new(&input, source_bands);
        // Normalised frames, frame-major, from stream frame `normed_first` on.
        let mut normed: Vec<f32> = Vec::new();
        let mut normed_first = -(context as i64);
        let mut next_frame = normed_first;
        let mut next_start = 0_usize;
        while next_start <= last_window {
            if cancel.load(Ordering::Relaxed) {
                emit(Err(DetectError::Cancelled));
                return false;
            }
            let last_start = (next_start + block_frames.max(1)).min(last_window);
            let starts: Vec<usize> = (next_start..=last_start.max(next_start))
                .step_by(step)
                .collect();
            let last = starts.last().copied().unwrap_or(next_start);
            let end_frame = (last + native + context) as i64;
            if end_frame > next_frame {
                let frames = usize::try_from(end_frame - next_frame).unwrap_or(0);
                let samples = (frames - 1) * hop + window_len;
                let audio = match reader.read_padded(next_frame * hop as i64, samples) {
                    Ok(audio) => audio,
                    Err(error) => {
                        emit(Err(error.into()));
                        return false;
                    }
                };
                let computed =
                    self.stft
                        .compute_serial_into(&audio, &mut self.scratch, &mut self.db);
                if let Some(builder) = envelope.as_mut() {
                    // The envelope counts from the recording's first frame.
                    let from = usize::try_from(-next_frame).unwrap_or(0).min(computed);
                    builder.push_frames(
                        &self.db[from * source_bands..computed * source_bands],
                        source_bands,
                    );
                }
                front.push(&self.db[..computed * source_bands], &mut normed);
                next_frame = end_frame;
            }
            let strip_first = next_start as i64 - context as i64;
            let dropped = usize::try_from(strip_first - normed_first).unwrap_or(0);
            normed.drain(..(dropped * bands).min(normed.len()));
            normed_first = strip_first;
            let frames = usize::try_from(end_frame - strip_first).unwrap_or(0);
            let mut strip = Strip {
                values: vec![0.0; bands * frames],
                frames,
                offsets: starts.iter().map(|s| s - next_start).collect(),
            };
            for (frame, column) in normed.chunks_exact(bands).take(frames).enumerate() {
                for (band, v) in column.iter().enumerate() {
                    strip.values[band * frames + frame] = *v;
                }
            }
            let mut block = Block::default();
            if !self.strips_only {
                block.inputs = strip.windows(bands, crop);
            }
            block.start_secs = starts.iter().map(|s| (s * hop) as f64 / rate).collect();
            block.done_secs = (((last + step) * hop) as f64 / rate).min(total_secs);
            block.strip = Some(strip);
            if !emit(Ok(block)) {
                return false;
            }
            next_start = last + step;
        }
        true
    }
}

/// The stretch of a recording's normalised stream that one block's windows and their context
/// cover (inputs with context).
#[derive(Debug, Default, Clone)]
pub struct Strip {
    /// Band-major, `bands × frames`.
    pub values: Vec<f32>,
    pub frames: usize,
    /// Where each window's input (context included) starts in the strip, in frames.
    pub offsets: Vec<usize>,
}

impl Strip {
    /// Every window's input sliced from the strip (`bands` rows, `crop` frames each), one
    /// after another.
    #[must_use]
    pub fn windows(&self, bands: usize, crop: usize) -> Vec<f32> {
        let mut inputs = Vec::with_capacity(self.offsets.len() * bands * crop);
        for &offset in &self.offsets {
            for band in 0..bands {
                let row = &self.values[band * self.frames..(band + 1) * self.frames];
                inputs.extend_from_slice(&row[offset..offset + crop]);
            }
        }
        inputs
    }

    /// Only the windows `keep` says (by position), the strip cut to the frames they need.
    #[must_use]
    pub fn keeping(&self, keep: &[bool], bands: usize, crop: usize) -> Option<Self> {
        let offsets: Vec<usize> = self
            .offsets
            .iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(o, _)| *o)
            .collect();
        let (&first, &last) = (offsets.first()?, offsets.last()?);
        let frames = (last + crop - first).min(self.frames - first);
        let mut values = Vec::with_capacity(bands * frames);
        for band in 0..bands {
            let row = &self.values[band * self.frames..(band + 1) * self.frames];
            values.extend_from_slice(&row[first..first + frames]);
        }
        Some(Self {
            values,
            frames,
            offsets: offsets.iter().map(|o| o - first).collect(),
        })
    }
}

/// One block's windows, ready to score.
#[derive(Debug, Default)]
pub(crate) struct Block {
    pub start_secs: Vec<f64>,
    /// The windows' model inputs, one after another.
    pub inputs: Vec<f32>,
    /// Seconds of the recording covered once these are scored.
    pub done_secs: f64,
    /// The recording's band envelope, in a last block without windows (see
    /// [`BlockMaker::with_envelope`]).
    pub envelope: Option<crate::detect::BandEnvelope>,
    /// With context, the stretch of the stream the windows lie in.
    pub strip: Option<Strip>,
}
