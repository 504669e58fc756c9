//! `syrinx spectrogram`: a PNG figure of a recording or a span of it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;

use super::parse_time_secs;
use crate::audio::{AudioReader, ChannelMode};
use crate::dsp::{
    Amplitude, FrequencyScale, MelFormula, MelNorm, SpectrogramParams, Stft, WindowFunction,
};
use crate::render::{Colormap, ColumnImage, FigureOptions, plot_size, write_spectrogram_png};
use crate::spectrogram::stream_spectrogram;
use crate::util::timefmt::format_time_secs;

#[derive(Debug, Args)]
pub struct SpectrogramArgs {
    /// Audio file (wav, flac, mp3, ogg, aiff).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// PNG file to write.
    #[arg(long, short, value_name = "OUT.png")]
    pub out: PathBuf,
    /// Start of the span (seconds, m:ss or h:mm:ss).
    #[arg(long, value_parser = parse_time_secs, default_value = "0")]
    pub start: f64,
    /// End of the span (default: end of the recording).
    #[arg(long, value_parser = parse_time_secs)]
    pub end: Option<f64>,
    /// Window (FFT) length in samples; any size.
    #[arg(long, default_value_t = 512, value_name = "SAMPLES")]
    pub window: u32,
    /// Step between frames in samples (default: from --overlap).
    #[arg(long, value_name = "SAMPLES", conflicts_with = "overlap")]
    pub hop: Option<u32>,
    /// Overlap between frames in percent.
    #[arg(long, default_value_t = 50.0, value_name = "PERCENT")]
    pub overlap: f64,
    /// Window function: hann, hamming, blackman, blackman-harris, rectangular.
    #[arg(long = "window-fn", default_value = "hann")]
    pub window_fn: WindowFunction,
    /// Frequency scale: linear or mel.
    #[arg(long, default_value = "linear", value_parser = ["linear", "mel"])]
    pub scale: String,
    /// Mel bands (with --scale mel).
    #[arg(long, default_value_t = 128, value_name = "N")]
    pub mel_bands: u16,
    /// Mel filter normalisation: slaney (unit area) or peak (triangles peak at 1).
    #[arg(long, default_value = "slaney", value_parser = ["slaney", "peak"])]
    pub mel_norm: String,
    /// Lowest frequency shown.
    #[arg(long, default_value_t = 0, value_name = "HZ")]
    pub min_hz: u32,
    /// Highest frequency shown (default: half the sample rate).
    #[arg(long, value_name = "HZ")]
    pub max_hz: Option<u32>,
    /// Levels are computed from power (default) or magnitude (matters with mel filters).
    #[arg(long, default_value = "power", value_parser = ["power", "magnitude"])]
    pub amplitude: String,
    /// Levels below this are clamped to it.
    #[arg(long, default_value_t = -120, value_name = "DB", allow_negative_numbers = true)]
    pub floor_db: i16,
    /// Dynamic range shown (contrast): levels more than this below the ceiling are dark.
    #[arg(long, default_value_t = 80.0, value_name = "DB")]
    pub range_db: f32,
    /// Level drawn brightest (default: the loudest level in the figure).
    #[arg(long, value_name = "DB", allow_negative_numbers = true)]
    pub ceiling_db: Option<f32>,
    /// Colour map: viridis, magma, grey, inverted-grey.
    #[arg(long, default_value = "viridis")]
    pub colormap: Colormap,
    /// Channel: mix (mean of all) or a channel number counting from 0.
    #[arg(long, default_value = "mix", value_parser = parse_channel)]
    pub channel: ChannelMode,
    /// Figure width in pixels.
    #[arg(long, default_value_t = 1200)]
    pub width: u32,
    /// Figure height in pixels.
    #[arg(long, default_value_t = 500)]
    pub height: u32,
    /// Title (default: file name, span and settings).
    #[arg(long)]
    pub title: Option<String>,
}

/// A `--channel` that is neither `mix` nor a channel number.
#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not 'mix' or a channel number")]
struct ChannelError(String);

fn parse_channel(text: &str) -> Result<ChannelMode, ChannelError> {
    if text.eq_ignore_ascii_case("mix") {
        return Ok(ChannelMode::Mix);
    }
    text.parse()
        .map(ChannelMode::Channel)
        .map_err(|_| ChannelError(text.to_owned()))
}

impl SpectrogramArgs {
    fn params(&self) -> SpectrogramParams {
        let mut params = SpectrogramParams {
            window_len: self.window,
            window: self.window_fn,
            min_hz: self.min_hz,
            max_hz: self.max_hz,
            floor_db: self.floor_db,
            amplitude: if self.amplitude == "magnitude" {
                Amplitude::Magnitude
            } else {
                Amplitude::Power
            },
            ..SpectrogramParams::default()
        }
        .with_overlap_percent(self.overlap);
        if let Some(hop) = self.hop {
            params.hop_len = hop;
        }
        if self.scale == "mel" {
            params.scale = FrequencyScale::Mel {
                bands: self.mel_bands,
                norm: if self.mel_norm == "peak" {
                    MelNorm::Peak
                } else {
                    MelNorm::Slaney
                },
                formula: MelFormula::Slaney,
            };
        }
        params
    }
}

pub fn run(args: &SpectrogramArgs) -> anyhow::Result<ExitCode> {
    let mut reader = AudioReader::open(&args.file)?;
    reader.set_channel_mode(args.channel)?;
    let info = reader.info().clone();
    for warning in &info.warnings {
        eprintln!("warning: {warning}");
    }
    let duration = info.duration_secs();
    let end_secs = args.end.unwrap_or(duration).min(duration);
    let start_secs = args.start;
    if start_secs >= end_secs {
        bail!(
            "the span {start_secs:.3}–{end_secs:.3} s is empty (the recording lasts {duration:.3} s): {}",
            args.file.display()
        );
    }
    let params = args.params();
    let stft = Stft::new(&params, info.sample_rate_hz)
        .with_context(|| format!("cannot draw {}", args.file.display()))?;
    let start_sample = info.frame_at_secs(start_secs);
    let end_sample = info.frame_at_secs(end_secs);
    if params.frame_count(usize::try_from(end_sample - start_sample).unwrap_or(0)) == 0 {
        bail!(
            "the span is shorter than one {}-sample window: {}",
            params.window_len,
            args.file.display()
        );
    }

    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let options = FigureOptions {
        width_px: args.width,
        height_px: args.height,
        colormap: args.colormap,
        range_db: args.range_db,
        ceiling_db: args.ceiling_db,
        title: args
            .title
            .clone()
            .unwrap_or_else(|| default_title(&file_name, start_secs, end_secs, &params)),
    };
    let (columns, _) = plot_size(&options)?;
    let mut image = ColumnImage::new(columns, stft.bands());
    let rate = f64::from(info.sample_rate_hz);
    let (hop, half_window) = (
        f64::from(params.hop_len),
        f64::from(params.window_len) / 2.0,
    );
    let span_secs = end_secs - start_secs;
    let bands = stft.bands();
    stream_spectrogram(
        &mut reader,
        &stft,
        start_sample,
        end_sample,
        true,
        |first_frame, power: &[f32], frames| {
            for i in 0..frames {
                let centre_secs =
                    (start_sample as f64 + (first_frame + i) as f64 * hop + half_window) / rate;
                let column = ((centre_secs - start_secs) / span_secs * columns as f64).floor();
                if column >= 0.0 {
                    image.add_frame(column as usize, &power[i * bands..(i + 1) * bands]);
                }
            }
        },
    )?;
    for warning in reader.take_warnings() {
        eprintln!("warning: {warning}");
    }
    image.finish(|values| stft.power_to_db(values));
    write_spectrogram_png(
        &image,
        &stft.axis(),
        start_secs..end_secs,
        &options,
        &args.out,
    )?;
    Ok(ExitCode::SUCCESS)
}

fn default_title(
    file_name: &str,
    start_secs: f64,
    end_secs: f64,
    params: &SpectrogramParams,
) -> String {
    let scale = match params.scale {
        FrequencyScale::Linear => "linear frequency".to_owned(),
        FrequencyScale::Mel { bands, .. } => format!("{bands} mel bands"),
    };
    let span = if end_secs >= 60.0 {
        format!(
            "{}–{}",
            format_time_secs(start_secs, end_secs),
            format_time_secs(end_secs, end_secs)
        )
    } else {
        format!("{start_secs:.2}–{end_secs:.2} s")
    };
    format!(
        "{file_name}  ·  {span}  ·  {}-sample {} window, {:.0} % overlap, {scale}",
        params.window_len,
        params.window.label(),
        params.overlap_percent()
    )
}
