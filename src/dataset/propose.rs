//! The model input proposed from the data: the recordings' own sample rate, the band the
//! positives' boxes cover (plus a margin), a window long enough for most calls, and an FFT size
//! and hop that give the image useful resolution in time and frequency. The Train window and
//! `syrinx train` show the proposal with its reasons; the user may edit it.

use serde::{Deserialize, Serialize};

use crate::annotation::{ProjectRecordingId, SelectionKind};
use crate::dsp::{
    Amplitude, FrequencyScale, InputNormalization, ModelInputSpec, SpectrogramParams,
    WindowFunction,
};
use crate::project::Project;

/// The front end new models use: see the README's training section for what won on which data.
pub const DEFAULT_FRONT_END: InputNormalization = InputNormalization::PCEN;

/// Sample rates the proposal may downsample to (never above a recording's own rate).
const COMMON_RATES_HZ: [u32; 12] = [
    2_000, 4_000, 8_000, 11_025, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000, 96_000, 192_000,
];

/// Fewer positives than this get a warning.
const FEW_POSITIVES: usize = 20;

/// What the positives look like (the proposal and detection use it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CallStats {
    pub positives: usize,
    /// Median duration.
    pub median_secs: f64,
    /// 90th percentile of durations.
    pub long_secs: f64,
    /// 5th percentile of the boxes' low edges and 95th of their high edges, from boxes that
    /// have a band (not the whole spectrum); `None` when none has.
    pub band_hz: Option<(f64, f64)>,
}

/// A proposed model input and why.
#[derive(Debug, Clone, PartialEq)]
pub struct InputProposal {
    pub input: ModelInputSpec,
    /// Average-pooling of the image before the network (small images are not pooled).
    pub input_pool: usize,
    pub calls: Option<CallStats>,
    /// One line per choice, for people.
    pub reasons: Vec<String>,
    /// Things the user should know before training.
    pub warnings: Vec<String>,
}

/// The `q`-quantile (0…1) of `values` by linear interpolation; `None` when empty.
fn quantile(values: &[f64], q: f64) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let x = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let low = x.floor() as usize;
    let high = (low + 1).min(sorted.len() - 1);
    Some(sorted[low] + (sorted[high] - sorted[low]) * (x - low as f64))
}

/// The positives of the present recordings.
#[must_use]
pub fn call_stats(project: &Project, missing: &[ProjectRecordingId]) -> Option<CallStats> {
    let mut durations = Vec::new();
    let (mut lows, mut highs) = (Vec::new(), Vec::new());
    for recording in project
        .recordings
        .iter()
        .filter(|r| !missing.contains(&r.id))
    {
        let nyquist = recording.nyquist_hz();
        for s in project.selections.of_recording(recording.id) {
            if s.kind != SelectionKind::Positive || s.duration_secs() <= 0.0 {
                continue;
            }
            durations.push(s.duration_secs());
            // A box over the whole spectrum says nothing about the call's band.
            let whole_band = s.low_hz <= 1.0 && s.high_hz >= 0.99 * nyquist;
            if !whole_band && s.high_hz > s.low_hz {
                lows.push(s.low_hz.max(0.0));
                highs.push(s.high_hz.min(nyquist));
            }
        }
    }
    Some(CallStats {
        positives: durations.len(),
        median_secs: quantile(&durations, 0.5)?,
        long_secs: quantile(&durations, 0.9)?,
        band_hz: quantile(&lows, 0.05).zip(quantile(&highs, 0.95)),
    })
}

/// Width in hertz of the lowest of `bands` Slaney mel bands spanning `low_hz`–`high_hz`.
fn lowest_mel_band_hz(low_hz: f64, high_hz: f64, bands: usize) -> f64 {
    let formula = crate::dsp::MelFormula::Slaney;
    let (low, high) = (
        crate::dsp::hz_to_mel(low_hz, formula),
        crate::dsp::hz_to_mel(high_hz, formula),
    );
    let step = (high - low) / (bands as f64 + 1.0);
    crate::dsp::mel_to_hz(low + step, formula) - low_hz
}

/// Seconds for people: milliseconds below a tenth of a second (bat calls), else seconds.
fn duration_text(secs: f64) -> String {
    if secs < 0.1 {
        format!("{:.1} ms", secs * 1000.0)
    } else {
        format!("{secs:.2} s")
    }
}

/// `value` rounded down (`up = false`) or up to a step of about a tenth of `scale`'s order of
/// magnitude (e.g. 10 Hz for a band a few hundred hertz wide).
fn round_to_step(value: f64, scale: f64, up: bool) -> f64 {
    let step = 10f64.powf((scale.max(1.0).log10()).floor() - 1.0).max(1.0);
    if up {
        (value / step).ceil() * step
    } else {
        (value / step).floor() * step
    }
}

/// FFT length and hop for a band `width_hz` wide and a window of `window_samples` at `rate_hz`:
/// the image closest to about 96 rows × 128 columns (rows: FFT bins in the band), preferring
/// less overlap when it is as good.
fn fft_size(width_hz: f64, window_samples: usize, rate_hz: u32) -> (u32, u32, usize, usize) {
    let rate = f64::from(rate_hz);
    let mut best: Option<(f64, u32, u32, usize, usize)> = None;
    for power in 5..=15 {
        let n: u32 = 1 << power;
        for (divisor, penalty) in [(2, 0.0), (4, 0.08), (8, 0.16)] {
            let hop = n / divisor;
            let frames = SpectrogramParams {
                window_len: n,
                hop_len: hop,
                ..SpectrogramParams::default()
            }
            .frame_count(window_samples);
            let bins = (width_hz * f64::from(n) / rate).floor() as usize;
            if frames < 8 || bins < 4 {
                continue;
            }
            let cost =
                (bins as f64 / 96.0).ln().abs() + (frames as f64 / 128.0).ln().abs() + penalty;
            if best.is_none_or(|b| cost < b.0) {
                best = Some((cost, n, hop, bins, frames));
            }
        }
    }
    best.map_or((512, 256, 64, 64), |(_, n, hop, bins, frames)| {
        (n, hop, bins, frames)
    })
}

/// Proposes a model input for training on `project` (leaving `missing` recordings out).
#[must_use]
pub fn propose_input(project: &Project, missing: &[ProjectRecordingId]) -> InputProposal {
    let mut reasons = Vec::new();
    let mut warnings = Vec::new();
    let rates: Vec<u32> = project
        .recordings
        .iter()
        .filter(|r| !missing.contains(&r.id) && r.sample_rate_hz > 0)
        .map(|r| r.sample_rate_hz)
        .collect();
    let calls = call_stats(project, missing);
    let lowest_rate = rates.iter().copied().min().unwrap_or(22_050);
    let highest_rate = rates.iter().copied().max().unwrap_or(lowest_rate);
    // The band first: it decides which rate is needed.
    let (mut low_hz, mut high_hz) = match calls.and_then(|c| c.band_hz) {
        Some((low, high)) => {
            let (margin_low, margin_high) = (low * 0.7, high * 4.0 / 3.0);
            let width = margin_high - margin_low;
            let (l, h) = (
                round_to_step(margin_low, width, false).max(0.0),
                round_to_step(margin_high, width, true),
            );
            reasons.push(format!(
                "Band {l:.0}–{h:.0} Hz: 90 % of the positives' boxes lie within {low:.0}–{high:.0} Hz \
                 (5th percentile of low edges, 95th of high edges), widened by 30 % below and a \
                 third above."
            ));
            (l, h)
        }
        None => {
            reasons.push(
                "Band: the whole spectrum, since no positive box has its own frequency range."
                    .to_owned(),
            );
            (0.0, f64::from(lowest_rate) / 2.0)
        }
    };
    // The rate: a recording's own (never an upsampling of every file); the lowest one that
    // keeps the band when rates differ; a common lower rate when the band is far below Nyquist.
    let keeps_band =
        |rate: u32| f64::from(rate) / 2.0 >= high_hz.min(f64::from(highest_rate) / 2.0);
    let mut own_rates = rates.clone();
    own_rates.sort_unstable();
    own_rates.dedup();
    let mut rate_hz = own_rates
        .iter()
        .copied()
        .find(|r| keeps_band(*r))
        .unwrap_or(highest_rate);
    let below: Vec<u32> = own_rates
        .iter()
        .copied()
        .filter(|r| !keeps_band(*r))
        .collect();
    if !below.is_empty() && calls.and_then(|c| c.band_hz).is_some() {
        warnings.push(format!(
            "The band reaches {high_hz:.0} Hz, above the Nyquist frequency of recordings at {}: \
             they lack the top of the band.",
            below
                .iter()
                .map(|r| format!("{r} Hz"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let own = rate_hz;
    if calls.and_then(|c| c.band_hz).is_some()
        && let Some(lower) = COMMON_RATES_HZ
            .iter()
            .copied()
            .find(|r| f64::from(*r) >= 2.5 * high_hz && *r < own)
        && f64::from(own) > 4.0 * high_hz
    {
        rate_hz = lower;
        reasons.push(format!(
            "Sample rate {rate_hz} Hz: the band tops out at {high_hz:.0} Hz, far below the \
             recordings' Nyquist frequency ({:.0} Hz), so they are downsampled (less to compute, \
             nothing of the calls lost).",
            f64::from(own) / 2.0
        ));
    } else {
        reasons.push(format!(
            "Sample rate {rate_hz} Hz: the recordings' own rate{}.",
            if own_rates.len() > 1 {
                ", the lowest that keeps the band"
            } else {
                " (nothing is resampled)"
            }
        ));
    }
    if own_rates.len() > 1 {
        warnings.push(format!(
            "The recordings have different sample rates ({}): all are resampled to {rate_hz} Hz.",
            own_rates
                .iter()
                .map(|r| format!("{r} Hz"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let nyquist = f64::from(rate_hz) / 2.0;
    if high_hz > nyquist {
        high_hz = nyquist;
        if let Some(band) = reasons.first_mut() {
            band.push_str(&format!(
                " The top is cut to {nyquist:.0} Hz, the Nyquist frequency at {rate_hz} Hz."
            ));
        }
    }
    low_hz = low_hz.min(high_hz * 0.5);
    // The window: long enough for 90 % of the calls, with room to place them.
    let window_secs = match calls {
        Some(c) => {
            let secs = (c.long_secs * 1.25).clamp(0.05, 10.0);
            let secs = (secs * 20.0).ceil() / 20.0;
            reasons.push(format!(
                "Window {}: 90 % of the {} positive calls last {} or less (median {}); longer \
                 calls are cropped.",
                duration_text(secs),
                c.positives,
                duration_text(c.long_secs),
                duration_text(c.median_secs)
            ));
            secs
        }
        None => {
            reasons.push("Window 2.50 s: no positives yet to measure calls by.".to_owned());
            2.5
        }
    };
    match calls {
        None => warnings.push("There are no positive selections yet.".to_owned()),
        Some(c) if c.positives < FEW_POSITIVES => warnings.push(format!(
            "Only {} positive selection(s): the model will be unreliable; aim for {FEW_POSITIVES} \
             or more.",
            c.positives
        )),
        Some(_) => {}
    }
    let window_samples = ((window_secs * f64::from(rate_hz)).round() as u32).max(64);
    let width_hz = (high_hz - low_hz).max(1.0);
    let (window_len, hop_len, bins, frames) = fft_size(width_hz, window_samples as usize, rate_hz);
    // Mel when the band spans many octaves above 1 kHz (where mel spacing departs from
    // linear), and only with enough bands no narrower than an FFT bin (narrower ones would
    // repeat or miss bins).
    let octaves = (high_hz / low_hz.max(high_hz / 256.0)).log2();
    let bin_hz = f64::from(rate_hz) / f64::from(window_len);
    let mel_bands = (32..=bins.min(128))
        .rev()
        .find(|b| lowest_mel_band_hz(low_hz, high_hz, *b) >= bin_hz);
    let mel = octaves > 3.0 && high_hz > 2_000.0 && mel_bands.is_some_and(|b| b >= 48);
    let mut spectrogram = SpectrogramParams {
        window_len,
        hop_len,
        window: WindowFunction::Hann,
        scale: FrequencyScale::Linear,
        min_hz: low_hz as u32,
        max_hz: Some(high_hz.ceil() as u32),
        amplitude: Amplitude::Power,
        floor_db: -120,
    };
    // Rows: the FFT bins in the band (interpolated into 32–128 when there are fewer or more).
    let bands = if let (true, Some(b)) = (mel, mel_bands) {
        b
    } else {
        spectrogram.bands(rate_hz).clamp(32, 128)
    };
    if mel {
        spectrogram = spectrogram.mel(bands as u16);
    }
    reasons.push(format!(
        "FFT {window_len} samples ({:.1} Hz per bin, {:.1} ms hop): {bands} {} × {frames} frames \
         per window{}.",
        f64::from(rate_hz) / f64::from(window_len),
        1000.0 * f64::from(hop_len) / f64::from(rate_hz),
        if mel { "mel bands" } else { "rows" },
        if mel {
            format!(" (mel: the band spans {octaves:.1} octaves)")
        } else {
            format!(" (linear: the band spans {octaves:.1} octaves)")
        }
    ));
    let input = ModelInputSpec {
        sample_rate_hz: rate_hz,
        window_samples,
        spectrogram,
        bands: bands as u16,
        frames: None,
        normalization: DEFAULT_FRONT_END,
        context_frames: 0,
    };
    reasons.push(format!("Front end: {}.", DEFAULT_FRONT_END.describe()));
    let input_pool = if bands >= 96 && frames >= 96 { 2 } else { 1 };
    InputProposal {
        input,
        input_pool,
        calls,
        reasons,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotation::{Selection, SelectionId, SelectionSet};
    use crate::project::{ProjectRecording, Split};

    fn recording(id: u32, rate_hz: u32) -> ProjectRecording {
        ProjectRecording {
            id: ProjectRecordingId(id),
            path: format!("/data/rec{id}.wav").into(),
            duration_secs: 900.0,
            sample_rate_hz: rate_hz,
            channels: 1,
            size_bytes: 0,
            fingerprint: String::new(),
            fully_annotated: true,
            split: Split::Auto,
            group: None,
        }
    }

    /// `calls` positives per recording: durations and bands spread by a fixed pattern.
    fn project(rates: &[u32], calls: usize, secs: (f64, f64), band: (f64, f64)) -> Project {
        let mut project = Project::default();
        let mut items = Vec::new();
        for (r, &rate) in rates.iter().enumerate() {
            project.recordings.push(recording(r as u32, rate));
            for k in 0..calls {
                let f = (k % 10) as f64 / 9.0;
                let start = 10.0 + 20.0 * k as f64;
                let width = band.1 - band.0;
                items.push(Selection {
                    id: SelectionId((r * 1000 + k) as u64),
                    recording: ProjectRecordingId(r as u32),
                    start_secs: start,
                    end_secs: start + secs.0 + (secs.1 - secs.0) * f,
                    low_hz: band.0 + 0.05 * width * f,
                    high_hz: band.1 - 0.05 * width * (1.0 - f),
                    label: "call".to_owned(),
                    kind: SelectionKind::Positive,
                    extra: Default::default(),
                });
            }
        }
        project.selections = SelectionSet::from_items(items);
        project
    }

    #[test]
    fn a_hydrophone_project_keeps_its_rate_and_the_calls_band() {
        // 2 kHz recordings, upcalls of about 1 s between 50 and 300 Hz.
        let p = propose_input(
            &project(&[2_000, 2_000, 2_000], 15, (0.8, 1.2), (50.0, 300.0)),
            &[],
        );
        let spec = p.input;
        assert_eq!(spec.sample_rate_hz, 2_000, "{:?}", p.reasons);
        let low = f64::from(spec.spectrogram.min_hz);
        let high = spec.spectrogram.effective_max_hz(2_000);
        assert!((25.0..=40.0).contains(&low), "low {low}");
        assert!((370.0..=430.0).contains(&high), "high {high}");
        assert!(
            (1.2..=1.6).contains(&spec.window_secs()),
            "{}",
            spec.window_secs()
        );
        spec.validate()
            .expect("the proposal is a valid model input");
        let (bands, frames) = spec.shape();
        assert!(bands >= 32 && frames >= 32, "{bands} × {frames}");
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn a_bird_project_at_32_khz_gets_its_band_and_a_short_window() {
        let p = propose_input(
            &project(&[32_000; 4], 12, (0.35, 1.0), (3_350.0, 6_350.0)),
            &[],
        );
        let spec = p.input;
        assert_eq!(spec.sample_rate_hz, 32_000);
        assert!(matches!(spec.spectrogram.scale, FrequencyScale::Linear));
        assert!(spec.spectrogram.min_hz >= 2_000 && spec.spectrogram.min_hz <= 2_500);
        let (bands, frames) = spec.shape();
        assert!(
            (64..=128).contains(&bands) && (64..=256).contains(&frames),
            "{bands} × {frames}"
        );
        assert!(spec.window_secs() < 1.5);
        spec.validate().expect("valid");
    }

    #[test]
    fn bats_at_250_khz_and_low_frogs_at_48_khz() {
        // Bat calls: 5 ms, 20–110 kHz, at 250 kHz: the rate stays, the window is short.
        let bats = propose_input(
            &project(&[250_000; 2], 20, (0.004, 0.008), (20_000.0, 110_000.0)),
            &[],
        );
        assert_eq!(bats.input.sample_rate_hz, 250_000);
        assert!(bats.input.window_secs() <= 0.05);
        bats.input.validate().expect("valid");
        let (bands, frames) = bats.input.shape();
        assert!(bands >= 32 && frames >= 16, "{bands} × {frames}");
        // A frog at 200–800 Hz recorded at 48 kHz is downsampled, never upsampled.
        let frogs = propose_input(&project(&[48_000; 2], 20, (0.5, 0.9), (200.0, 800.0)), &[]);
        assert!(frogs.input.sample_rate_hz < 48_000 && frogs.input.sample_rate_hz >= 2_000);
        assert!(
            frogs
                .input
                .spectrogram
                .effective_max_hz(frogs.input.sample_rate_hz)
                >= 800.0
        );
        frogs.input.validate().expect("valid");
    }

    #[test]
    fn wide_bird_bands_are_mel_unless_the_low_bands_would_be_narrower_than_a_bin() {
        // 1–10 kHz songs at 22.05 kHz: many octaves, mel with bands at least a bin wide.
        let songs = propose_input(
            &project(&[22_050; 2], 20, (1.0, 2.0), (1_000.0, 10_000.0)),
            &[],
        );
        let spec = songs.input;
        let FrequencyScale::Mel { bands, .. } = spec.spectrogram.scale else {
            panic!("{:?}", songs.reasons);
        };
        let bin_hz = 22_050.0 / f64::from(spec.spectrogram.window_len);
        let low = f64::from(spec.spectrogram.min_hz);
        let high = spec.spectrogram.effective_max_hz(22_050);
        assert!(lowest_mel_band_hz(low, high, usize::from(bands)) >= bin_hz);
        spec.validate().expect("valid");
        // spinetail.wav's calls (4–13.5 kHz at 44.1 kHz, 0.4 s): short calls want a short FFT,
        // whose bins are wider than the lowest mel bands would be, so the axis stays linear.
        let spinetail = propose_input(
            &project(&[44_100], 14, (0.3, 0.45), (4_000.0, 13_500.0)),
            &[],
        );
        assert!(
            matches!(spinetail.input.spectrogram.scale, FrequencyScale::Linear),
            "{:?}",
            spinetail.reasons
        );
    }

    #[test]
    fn mixed_rates_few_positives_and_a_band_above_nyquist_are_warned_about() {
        let p = propose_input(
            &project(&[8_000, 44_100], 3, (0.5, 0.6), (2_000.0, 6_000.0)),
            &[],
        );
        // 6 kHz × 4/3 = 8 kHz needs 16 kHz: the 44.1 kHz file keeps the band, and 22.05 kHz
        // still does, with less to compute.
        assert_eq!(p.input.sample_rate_hz, 22_050, "{:?}", p.reasons);
        let text = p.warnings.join("\n");
        assert!(text.contains("different sample rates"), "{text}");
        assert!(text.contains("resampled to 22050 Hz"), "{text}");
        assert!(text.contains("above the Nyquist"), "{text}");
        assert!(text.contains("Only 6 positive"), "{text}");
        // No positives at all: the whole band, a 2.5 s window, and a warning.
        let empty = propose_input(&project(&[22_050], 0, (1.0, 1.0), (0.0, 0.0)), &[]);
        assert!((empty.input.window_secs() - 2.5).abs() < 0.01);
        assert!(empty.warnings.join(" ").contains("no positive"));
        empty.input.validate().expect("valid");
    }
}
