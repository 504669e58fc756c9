//! "What the model sees": the exact fixed-size input the CNN gets for the window under the
//! cursor, built in the background by the same function training and detection use.

use std::sync::Arc;

use eframe::egui;

use super::prefs::DisplaySettings;
use super::textures::{Colorizer, image_of_columns};
use crate::audio::{AudioReader, ResamplingReader};
use crate::dsp::{FrequencyScale, InputNormalization, ModelInput, ModelInputSpec};
use crate::render::Colormap;

/// Seconds the pointer must move before the picture is rebuilt.
const MIN_MOVE_SECS: f64 = 0.02;

/// Builds one picture: (centre, input).
type Job = crate::util::jobs::Job<(), (f64, ModelInput)>;

/// The panel's state: the spec, what is shown and what is being built.
#[derive(Default)]
pub struct ModelView {
    pub spec: ModelInputSpec,
    job: Option<Job>,
    /// A request that arrived while a job ran (the latest wins).
    queued: Option<(AudioReader, f64)>,
    shown: Option<(f64, egui::TextureHandle)>,
    error: Option<String>,
}

impl ModelView {
    /// Asks for the input centred on `center_secs` of `reader`'s recording.
    pub fn request(
        &mut self,
        reader: &AudioReader,
        center_secs: f64,
        waker: &Arc<dyn Fn() + Send + Sync>,
    ) {
        if self
            .shown
            .as_ref()
            .is_some_and(|(secs, _)| (secs - center_secs).abs() < MIN_MOVE_SECS)
        {
            return;
        }
        let Ok(reader) = reader.try_clone() else {
            return;
        };
        if self.job.is_some() {
            self.queued = Some((reader, center_secs));
            return;
        }
        self.start(reader, center_secs, Arc::clone(waker));
    }

    fn start(&mut self, reader: AudioReader, center_secs: f64, waker: crate::util::jobs::Waker) {
        let spec = self.spec;
        match crate::util::jobs::Job::spawn("model view", waker, move |context| {
            build_input(reader, &spec, center_secs)
                .map(|input| (center_secs, input))
                .map_err(|e| context.failed(e))
        }) {
            Ok(job) => self.job = Some(job),
            Err(error) => self.error = Some(error.to_string()),
        }
    }

    /// Takes a finished picture (call once a frame).
    pub fn poll(&mut self, ctx: &egui::Context, waker: &Arc<dyn Fn() + Send + Sync>) {
        let Some(job) = &mut self.job else { return };
        let Some(result) = job.poll() else { return };
        self.job = None;
        // A panic while building is shown like any other failure.
        match result {
            Ok((secs, input)) => {
                let image = input_image(&input, self.spec.normalization);
                let texture = ctx.load_texture("model input", image, egui::TextureOptions::NEAREST);
                self.shown = Some((secs, texture));
                self.error = None;
            }
            Err(error) => self.error = Some(error.to_string()),
        }
        if let Some((reader, secs)) = self.queued.take() {
            self.start(reader, secs, Arc::clone(waker));
        }
    }

    pub fn view_ui(&self, ui: &mut egui::Ui) {
        let spec = &self.spec;
        let (bands, frames) = spec.shape();
        let band_text = match spec.spectrogram.scale {
            FrequencyScale::Mel { bands, .. } => format!("{bands} mel bands"),
            FrequencyScale::Linear => format!("{bands} rows (linear)"),
        };
        let max_hz = spec.spectrogram.effective_max_hz(spec.sample_rate_hz);
        ui.label(format!(
            "{:.0} Hz · {:.2} s window · {band_text} {}–{:.0} Hz · {frames} frames",
            f64::from(spec.sample_rate_hz),
            spec.window_secs(),
            spec.spectrogram.min_hz,
            max_hz
        ));
        let normalisation = spec.normalization.describe();
        ui.label(format!(
            "{}-sample {} window, hop {}, {normalisation}",
            spec.spectrogram.window_len,
            spec.spectrogram.window.label(),
            spec.spectrogram.hop_len
        ));
        match (&self.shown, &self.error) {
            (_, Some(error)) => {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            (Some((secs, texture)), None) => {
                let width = ui.available_width().min(frames as f32 * 1.5);
                let height = width * bands as f32 / frames as f32;
                ui.add(egui::Image::new((texture.id(), egui::vec2(width, height))));
                ui.label(format!("centred on {secs:.2} s ({bands} × {frames})"));
            }
            (None, None) => {
                ui.label("Point at the spectrogram to see the model's input there.");
            }
        }
    }
}

/// Reads the window around `center_secs` at the model's rate (zero-padded at the recording's
/// ends) and builds the input.
fn build_input(
    reader: AudioReader,
    spec: &ModelInputSpec,
    center_secs: f64,
) -> Result<ModelInput, crate::spectrogram::SpectrogramError> {
    let mut resampling = ResamplingReader::new(reader, spec.sample_rate_hz)?;
    let window = spec.window_samples as usize;
    let center = (center_secs * f64::from(spec.sample_rate_hz)).round() as i64;
    // With context, the input's audio reaches before and after the window.
    let before = (spec.frames_before() * spec.spectrogram.hop_len as usize) as i64;
    let start = center - (window / 2) as i64 - before;
    let audio = resampling.read_padded(start, spec.input_samples())?;
    let stft = spec.stft()?;
    Ok(spec.build(&stft, &audio)?)
}

/// A model input as a viridis image (the picture the network gets), low bands at the bottom.
pub(super) fn input_image(
    input: &ModelInput,
    normalization: InputNormalization,
) -> egui::ColorImage {
    let colorizer = Colorizer::new(&DisplaySettings {
        floor_db: 0.0,
        range_db: 1.0,
        gain_db: 0.0,
        colormap: Colormap::Viridis,
    });
    normalised_image(input, &colorizer, normalization)
}

/// The input as an image, low bands at the bottom; values mapped 0–1 (or ±3 σ when standardised).
fn normalised_image(
    input: &ModelInput,
    colorizer: &Colorizer,
    normalization: InputNormalization,
) -> egui::ColorImage {
    let (bands, frames) = (input.bands, input.frames);
    let scale = |v: f32| match normalization {
        InputNormalization::DbRange { .. } | InputNormalization::BackgroundSubtract { .. } => v,
        InputNormalization::Standardize => (v + 3.0) / 6.0,
        // PCEN of a quiet band is ≈ 0; calls reach 1–3.
        InputNormalization::Pcen { .. } => v / 2.0,
    };
    // Band-major input → column-major for the shared image builder.
    let mut columns = vec![0.0; bands * frames];
    for band in 0..bands {
        for frame in 0..frames {
            columns[frame * bands + band] = scale(input.values[band * frames + frame]);
        }
    }
    // A model input is a few hundred pixels a side: no graphics card needs it smaller.
    image_of_columns(&columns, frames, bands, colorizer, usize::MAX)
}
