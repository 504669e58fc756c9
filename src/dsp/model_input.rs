//! The model-input builder: a window of audio → the fixed-size image the CNN sees. Training,
//! detection and the app's "what the model sees" panel all call this one function, so the
//! picture is the same at training and at deployment.

use serde::{Deserialize, Serialize};

use super::DspError;
use super::frontend;
use super::params::{FrequencyScale, SpectrogramParams};
use super::stft::Stft;

/// How dB values become network inputs (the front end; see [`super::frontend`]). Without
/// context every variant works on one window on its own; with context
/// ([`ModelInputSpec::context_frames`]) the fixed range and PCEN run over the recording as one
/// stream ([`StreamFrontEnd`]). Either way training crops and detection slices agree.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumDiscriminants,
)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[strum_discriminants(name(NormalizationKind), derive(strum::EnumIter))]
pub enum InputNormalization {
    /// `[low_db, high_db]` maps linearly to `[0, 1]`, clamped: absolute levels, so a fainter
    /// call or a noisier site looks different.
    DbRange { low_db: i16, high_db: i16 },
    /// Zero mean and unit variance per image: ignores recording level, but each window is
    /// normalised on its own.
    Standardize,
    /// Per-channel energy normalisation of the magnitudes (librosa's `pcen`), with its
    /// parameters in thousandths so the spec stays hashable: gain (α), bias (δ), power (r).
    Pcen {
        time_constant_ms: u32,
        gain_milli: u16,
        bias_milli: u32,
        power_milli: u16,
    },
    /// Each band's median over the window is subtracted (dB), then `[0, range_db]` above that
    /// background maps to `[0, 1]`.
    BackgroundSubtract { range_db: u16 },
}

impl InputNormalization {
    /// PCEN with librosa's defaults (0.4 s, α 0.98, δ 2, r 0.5).
    pub const PCEN: Self = Self::Pcen {
        time_constant_ms: 400,
        gain_milli: 980,
        bias_milli: 2000,
        power_milli: 500,
    };
    /// Background subtraction showing 0–40 dB above each band's median.
    pub const BACKGROUND: Self = Self::BackgroundSubtract { range_db: 40 };
    /// The first default: −100…−20 dBFS.
    pub const DB_RANGE: Self = Self::DbRange {
        low_db: -100,
        high_db: -20,
    };

    /// The front end of `kind` with its default parameters.
    #[must_use]
    pub fn default_of(kind: NormalizationKind) -> Self {
        match kind {
            NormalizationKind::DbRange => Self::DB_RANGE,
            NormalizationKind::Standardize => Self::Standardize,
            NormalizationKind::Pcen => Self::PCEN,
            NormalizationKind::BackgroundSubtract => Self::BACKGROUND,
        }
    }

    /// Every front end with its default parameters (the compiler lists the kinds, so a new one
    /// cannot be left out of a choice).
    pub fn defaults() -> impl Iterator<Item = Self> {
        <NormalizationKind as strum::IntoEnumIterator>::iter().map(Self::default_of)
    }

    /// PCEN's parameters, for a PCEN front end.
    #[must_use]
    pub fn pcen_params(self) -> Option<frontend::PcenParams> {
        match self {
            Self::Pcen {
                time_constant_ms,
                gain_milli,
                bias_milli,
                power_milli,
            } => Some(frontend::PcenParams {
                time_constant_secs: f64::from(time_constant_ms) / 1000.0,
                gain: f64::from(gain_milli) / 1000.0,
                bias: f64::from(bias_milli) / 1000.0,
                power: f64::from(power_milli) / 1000.0,
                ..frontend::PcenParams::default()
            }),
            _ => None,
        }
    }

    /// Name for command lines and files.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::DbRange { .. } => "db-range",
            Self::Standardize => "standardize",
            Self::Pcen { .. } => "pcen",
            Self::BackgroundSubtract { .. } => "background",
        }
    }

    /// One sentence for people.
    #[must_use]
    pub fn describe(self) -> String {
        match self {
            Self::DbRange { low_db, high_db } => {
                format!("fixed range {low_db}…{high_db} dB → 0…1 (absolute levels)")
            }
            Self::Standardize => "standardised per window (mean 0, variance 1)".to_owned(),
            Self::Pcen {
                time_constant_ms, ..
            } => format!(
                "PCEN: each band divided by its own {:.2} s running level (ignores gain and \
                 steady noise)",
                f64::from(time_constant_ms) / 1000.0
            ),
            Self::BackgroundSubtract { range_db } => format!(
                "background subtracted: 0…{range_db} dB above each band's median in the window"
            ),
        }
    }
}

impl std::str::FromStr for InputNormalization {
    type Err = crate::util::choice::ChoiceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::util::choice::parse_choice(s, Self::defaults(), Self::name, "front end")
    }
}

/// Everything needed to reproduce a model input from audio. Stored in every model artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ModelInputSpec {
    /// Audio is resampled to this rate first.
    pub sample_rate_hz: u32,
    /// The window's length in samples at `sample_rate_hz`.
    pub window_samples: u32,
    pub spectrogram: SpectrogramParams,
    /// Rows of the input. A mel spectrogram must have this many bands; a linear one is
    /// interpolated to it.
    pub bands: u16,
    /// Columns of the input; `None` keeps the spectrogram's own frame count (no time
    /// interpolation, so detection can compute one spectrogram for many overlapping windows).
    pub frames: Option<u16>,
    pub normalization: InputNormalization,
    /// Spectrogram frames of context the network sees on each side of the window (0: the
    /// window alone, each normalised on its own, as every model before issue 31). With
    /// context, the front end runs over the recording's stream ([`StreamFrontEnd`]) and the
    /// network pools only the window's own cells, so detection can run the convolutions once
    /// over a whole block and score every window from the shared features.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub context_frames: u16,
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_zero(n: &u16) -> bool {
    *n == 0
}

impl Default for ModelInputSpec {
    /// 2.5 s at 22.05 kHz, 512-sample Hann window with 50 % overlap, 128 Slaney mel bands over the
    /// whole 0–11.025 kHz range: 128 × 214, with −100…−20 dB mapped to 0…1.
    fn default() -> Self {
        Self {
            sample_rate_hz: 22_050,
            window_samples: 55_125,
            spectrogram: SpectrogramParams::default().mel(128),
            bands: 128,
            frames: None,
            normalization: InputNormalization::DbRange {
                low_db: -100,
                high_db: -20,
            },
            context_frames: 0,
        }
    }
}

/// A model input image, band-major: `values[band * frames + frame]`, band 0 lowest.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInput {
    pub bands: usize,
    pub frames: usize,
    pub values: Vec<f32>,
}

impl ModelInputSpec {
    #[must_use]
    pub fn window_secs(&self) -> f64 {
        f64::from(self.window_samples) / f64::from(self.sample_rate_hz)
    }

    /// Spectrogram frames in one window.
    #[must_use]
    pub fn native_frames(&self) -> usize {
        self.spectrogram.frame_count(self.window_samples as usize)
    }

    /// `(bands, frames)` of every input the network gets: the window's frames and its
    /// context on both sides.
    #[must_use]
    pub fn shape(&self) -> (usize, usize) {
        (
            usize::from(self.bands),
            self.window_frames() + 2 * usize::from(self.context_frames),
        )
    }

    /// Columns of the window itself (without context).
    #[must_use]
    pub fn window_frames(&self) -> usize {
        self.frames
            .map_or_else(|| self.native_frames(), usize::from)
    }

    /// Whether this input can be given context (see [`Self::context_frames`]): its front end
    /// runs on a stream (a fixed dB range or PCEN; per-window statistics cannot) and its time
    /// axis is the spectrogram's own.
    #[must_use]
    pub fn can_stream(&self) -> bool {
        self.frames.is_none()
            && matches!(
                self.normalization,
                InputNormalization::DbRange { .. } | InputNormalization::Pcen { .. }
            )
    }

    /// Frames the stream front end runs before a training crop's context so that its state
    /// (PCEN's smoother) has forgotten where it started: eight time constants, after which the
    /// start's weight is e⁻⁸ ≈ 3·10⁻⁴. 0 without context or for a stateless front end.
    #[must_use]
    pub fn warmup_frames(&self) -> usize {
        match self.normalization {
            InputNormalization::Pcen {
                time_constant_ms, ..
            } if self.context_frames > 0 => {
                let frame_secs = self.spectrogram.hop_secs(self.sample_rate_hz);
                (8.0 * f64::from(time_constant_ms) / 1000.0 / frame_secs.max(1e-9)).ceil() as usize
            }
            _ => 0,
        }
    }

    /// Spectrogram frames a crop holds before the window: warm-up and context.
    #[must_use]
    pub fn frames_before(&self) -> usize {
        self.warmup_frames() + usize::from(self.context_frames)
    }

    /// Audio samples [`Self::build`] takes: the window, and with context the warm-up and
    /// context frames before it and the context after it (on the window's hop grid).
    #[must_use]
    pub fn input_samples(&self) -> usize {
        let hop = self.spectrogram.hop_len as usize;
        self.window_samples as usize
            + (self.frames_before() + usize::from(self.context_frames)) * hop
    }

    pub fn validate(&self) -> Result<(), DspError> {
        let invalid = |detail: String| Err(DspError::InvalidParams { detail });
        self.spectrogram.validate(self.sample_rate_hz)?;
        if self.native_frames() < 2 {
            return invalid(format!(
                "a {:.3} s window holds fewer than two spectrogram frames",
                self.window_secs()
            ));
        }
        if self.bands == 0 || self.frames == Some(0) {
            return invalid("model inputs need at least one band and one frame".to_owned());
        }
        if let FrequencyScale::Mel { bands, .. } = self.spectrogram.scale
            && bands != self.bands
        {
            return invalid(format!(
                "the mel spectrogram has {bands} bands but the model input {}",
                self.bands
            ));
        }
        if let InputNormalization::DbRange { low_db, high_db } = self.normalization
            && low_db >= high_db
        {
            return invalid(format!("dB range {low_db}..{high_db} is empty"));
        }
        Ok(())
    }

    /// The STFT this spec uses.
    pub fn stft(&self) -> Result<Stft, DspError> {
        self.validate()?;
        Stft::new(&self.spectrogram, self.sample_rate_hz)
    }

    /// The model input for one window of audio (at `sample_rate_hz`, exactly
    /// [`Self::input_samples`] long, i.e. `window_samples` for an input without context;
    /// padding short clips is the caller's decision).
    pub fn build(&self, stft: &Stft, audio: &[f32]) -> Result<ModelInput, DspError> {
        if audio.len() != self.input_samples() {
            return Err(DspError::WrongLength {
                expected: self.input_samples(),
                actual: audio.len(),
            });
        }
        if stft.params() != &self.spectrogram || stft.sample_rate_hz() != self.sample_rate_hz {
            return Err(DspError::InvalidParams {
                detail: "the STFT was made for other parameters than this model input".to_owned(),
            });
        }
        let mut scratch = stft.scratch();
        let mut db = Vec::new();
        let frames = stft.compute_serial_into(audio, &mut scratch, &mut db);
        Ok(self.from_spectrogram(&db, frames, stft.bands()))
    }

    /// The model input from an already computed frame-major dB block of `frames × bands`
    /// (e.g. a slice of a long recording's spectrogram). With context, the block is the
    /// stream from where the front end starts: its last [`Self::shape`] frames are the input
    /// and the frames before them only warm the front end up.
    #[must_use]
    pub fn from_spectrogram(&self, db: &[f32], frames: usize, bands: usize) -> ModelInput {
        if self.context_frames > 0 {
            return self.normalise_stream(db, frames, bands);
        }
        let (out_bands, out_frames) = self.shape();
        let mut values = vec![0.0; out_bands * out_frames];
        // Linear interpolation on both axes (identity when the sizes already match).
        let source_at = |i: usize, out: usize, src: usize| -> (usize, usize, f32) {
            if out == src || src < 2 || out < 2 {
                let j = (i * src / out.max(1)).min(src.saturating_sub(1));
                return (j, j, 0.0);
            }
            let x = i as f64 * (src - 1) as f64 / (out - 1) as f64;
            let lo = (x.floor() as usize).min(src - 1);
            (lo, (lo + 1).min(src - 1), (x - lo as f64) as f32)
        };
        for band in 0..out_bands {
            let (b0, b1, fb) = source_at(band, out_bands, bands);
            for frame in 0..out_frames {
                let (f0, f1, ff) = source_at(frame, out_frames, frames);
                let at = |f: usize, b: usize| db.get(f * bands + b).copied().unwrap_or(0.0);
                let low = at(f0, b0) * (1.0 - ff) + at(f1, b0) * ff;
                let high = at(f0, b1) * (1.0 - ff) + at(f1, b1) * ff;
                values[band * out_frames + frame] = low * (1.0 - fb) + high * fb;
            }
        }
        // Frames after any time interpolation: what PCEN's time constant counts in.
        let frame_secs = self.window_secs() / out_frames.max(1) as f64;
        normalize(
            &mut values,
            out_bands,
            out_frames,
            frame_secs,
            self.normalization,
        );
        ModelInput {
            bands: out_bands,
            frames: out_frames,
            values,
        }
    }
}

impl ModelInputSpec {
    /// [`Self::from_spectrogram`] with context: the stream front end over all `frames`, the
    /// last `shape().1` of them kept, band-major.
    fn normalise_stream(&self, db: &[f32], frames: usize, bands: usize) -> ModelInput {
        let (out_bands, out_frames) = self.shape();
        let mut front = StreamFrontEnd::new(self, bands);
        let mut normed = Vec::new();
        front.push(&db[..(frames * bands).min(db.len())], &mut normed);
        let have = normed.len() / out_bands.max(1);
        let mut values = vec![0.0; out_bands * out_frames];
        // Fewer frames than the input (a caller's short block) leaves the start silent.
        let skip = have.saturating_sub(out_frames);
        let pad = out_frames.saturating_sub(have);
        for frame in 0..out_frames - pad {
            let source = &normed[(skip + frame) * out_bands..(skip + frame + 1) * out_bands];
            for (band, v) in source.iter().enumerate() {
                values[band * out_frames + pad + frame] = *v;
            }
        }
        ModelInput {
            bands: out_bands,
            frames: out_frames,
            values,
        }
    }
}

/// The front end of an input with context, run over a recording's spectrogram frame by frame
/// in order: the bands are resampled to the input's, then mapped (a fixed dB range) or
/// normalised by PCEN with its smoother carried from frame to frame (started in its steady
/// state on the first frame, as per window before). Output is frame-major, `bands` values a
/// frame.
#[derive(Debug, Clone)]
pub struct StreamFrontEnd {
    normalization: InputNormalization,
    source_bands: usize,
    bands: usize,
    /// PCEN's smoother per band, `None` before the first frame.
    smooth: Option<Vec<f32>>,
    pcen: frontend::PcenParams,
    /// PCEN's smoothing coefficient per frame.
    pcen_b: f64,
    column: Vec<f32>,
}

impl StreamFrontEnd {
    #[must_use]
    pub fn new(spec: &ModelInputSpec, source_bands: usize) -> Self {
        let (pcen, pcen_b) = match spec.normalization.pcen_params() {
            Some(params) => {
                let frame_secs = spec.spectrogram.hop_secs(spec.sample_rate_hz);
                let b = frontend::pcen_smoothing(params.time_constant_secs, frame_secs);
                (params, b)
            }
            None => (frontend::PcenParams::default(), 0.0),
        };
        Self {
            normalization: spec.normalization,
            source_bands,
            bands: usize::from(spec.bands),
            smooth: None,
            pcen,
            pcen_b,
            column: Vec::new(),
        }
    }

    /// Normalises the frame-major dB frames `db` (`source_bands` values a frame) and appends
    /// them to `out`.
    pub fn push(&mut self, db: &[f32], out: &mut Vec<f32>) {
        let source_bands = self.source_bands.max(1);
        out.reserve(db.len() / source_bands * self.bands);
        for frame in db.chunks_exact(source_bands) {
            resample_bands(frame, self.bands, &mut self.column);
            self.normalise_column();
            out.extend_from_slice(&self.column);
        }
    }

    fn normalise_column(&mut self) {
        match self.normalization {
            InputNormalization::DbRange { low_db, high_db } => {
                frontend::db_range(&mut self.column, f32::from(low_db), f32::from(high_db));
            }
            InputNormalization::Pcen { .. } => {
                // In f32, with exp2/log2 and a square root for librosa's power of ½: this runs
                // on every pixel of a recording (a 250 kHz bat recording has 20 times the
                // pixels per second of a 22 kHz bird one), where f64 `powf`/`ln`/`exp` made it
                // the slowest step. Training and detection both run this function.
                let p = self.pcen;
                let (b, gain, eps, bias) = (
                    self.pcen_b as f32,
                    p.gain as f32,
                    p.eps as f32,
                    p.bias as f32,
                );
                let power = p.power as f32;
                let bias_root = bias.powf(power);
                let smooth = self.smooth.get_or_insert_with(|| {
                    self.column
                        .iter()
                        .map(|v| db_to_pcen_magnitude_fast(*v))
                        .collect()
                });
                for (v, m) in self.column.iter_mut().zip(smooth.iter_mut()) {
                    let energy = db_to_pcen_magnitude_fast(*v);
                    *m = (1.0 - b) * *m + b * energy;
                    let agc = (-gain * (eps + *m).log2()).exp2();
                    let x = energy * agc + bias;
                    *v = if power == 0.5 {
                        x.sqrt()
                    } else {
                        x.powf(power)
                    } - bias_root;
                }
            }
            // Per-window statistics have no stream form ([`ModelInputSpec::can_stream`]).
            InputNormalization::Standardize | InputNormalization::BackgroundSubtract { .. } => {}
        }
    }
}

/// dB → magnitude, scaled as librosa's examples scale audio (×2³¹) so that ε and the bias act
/// at the levels PCEN was tuned for.
fn db_to_pcen_magnitude(db: f32) -> f32 {
    10f32.powf((db + PCEN_SCALE_DB) / 20.0)
}

/// 20·log10(2³¹): see [`db_to_pcen_magnitude`].
const PCEN_SCALE_DB: f32 = 186.64;

/// [`db_to_pcen_magnitude`] through `exp2` (faster; the stream front end's).
fn db_to_pcen_magnitude_fast(db: f32) -> f32 {
    ((db + PCEN_SCALE_DB) * (std::f32::consts::LOG2_10 / 20.0)).exp2()
}

/// One frame's `source` bands linearly interpolated to `bands` (a copy when they agree), as
/// [`ModelInputSpec::from_spectrogram`] interpolates them.
fn resample_bands(source: &[f32], bands: usize, out: &mut Vec<f32>) {
    out.clear();
    let src = source.len();
    if src == bands || src < 2 || bands < 2 {
        out.extend((0..bands).map(|i| {
            let j = (i * src / bands.max(1)).min(src.saturating_sub(1));
            source.get(j).copied().unwrap_or(0.0)
        }));
        return;
    }
    out.extend((0..bands).map(|i| {
        let x = i as f64 * (src - 1) as f64 / (bands - 1) as f64;
        let lo = (x.floor() as usize).min(src - 1);
        let hi = (lo + 1).min(src - 1);
        let f = (x - lo as f64) as f32;
        source[lo] * (1.0 - f) + source[hi] * f
    }));
}

fn normalize(
    values: &mut [f32],
    bands: usize,
    frames: usize,
    frame_secs: f64,
    normalization: InputNormalization,
) {
    match normalization {
        InputNormalization::DbRange { low_db, high_db } => {
            frontend::db_range(values, f32::from(low_db), f32::from(high_db));
        }
        InputNormalization::Standardize => frontend::standardize(values),
        InputNormalization::Pcen { .. } => {
            for v in values.iter_mut() {
                *v = db_to_pcen_magnitude(*v);
            }
            let params = normalization.pcen_params().unwrap_or_default();
            frontend::pcen(values, bands, frames, &params, frame_secs);
        }
        InputNormalization::BackgroundSubtract { range_db } => {
            frontend::subtract_background(values, bands, frames, f32::from(range_db));
        }
    }
}
