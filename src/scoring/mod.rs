//! Scoring: a model over a recording. The recording's spectrogram is computed once, block by
//! block in bounded memory, and every window (on the spectrogram's hop grid, `hop_secs` apart)
//! is sliced from it — the same frames training cropped — and scored in batches. The scores of
//! every window are kept ([`WindowScores`]); [`crate::detect`] cuts them into calls.

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

/// The hop between windows in spectrogram frames (at least one).
#[must_use]
pub fn hop_frames(model: &ModelArtifact, hop_secs: f64) -> usize {
    let input = &model.info.input;
    let frame_secs = f64::from(input.spectrogram.hop_len) / f64::from(input.sample_rate_hz);
    ((hop_secs / frame_secs).round() as usize).max(1)
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
            let scores = crate::model::ensemble_scores(
                &nets,
                &block.inputs,
                out_bands,
                out_frames,
                DETECT_BATCH,
                &device,
            );
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
/// false, the recording ends, an error is sent, or `cancel` is set.
pub(crate) fn produce_blocks(
    input: &ModelInputSpec,
    reader: ResamplingReader,
    step: usize,
    block_frames: usize,
    cancel: &AtomicBool,
    emit: &mut dyn FnMut(Result<Block, DetectError>) -> bool,
) {
    match BlockMaker::new(input) {
        Ok(mut maker) => maker.produce(reader, step, block_frames, cancel, emit),
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
        })
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
        let finished =
            self.produce_windows(reader, step, block_frames, cancel, emit, &mut envelope);
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
}
