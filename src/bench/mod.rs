//! `syrinx bench`: throughput of decoding and spectrograms on generated hour-long recordings,
//! reported as "× real time". Inputs are generated deterministically and cached on disk.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::audio::{
    AudioError, AudioReader, Mp3Index, WavEncoding, write_flac, write_wav_streaming,
};
use crate::dsp::{SpectrogramParams, Stft};
use crate::util::synth::FieldSynth;

pub mod detection;
pub mod project_io;
pub mod similar;

/// Errors while preparing or running benchmarks.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("cannot prepare benchmark input: {detail}: {}", path.display())]
    Input {
        path: std::path::PathBuf,
        detail: String,
    },
    #[error(transparent)]
    Audio(#[from] crate::audio::AudioError),
}

/// Writes an MP3 of at least `min_secs` by repeating the audio frames of `source` (MP3 frames
/// are independent once the first frame of the source starts with an empty bit reservoir, which
/// encoders guarantee). Returns the duration written.
pub fn repeat_mp3(source: &Path, dest: &Path, min_secs: f64) -> Result<f64, BenchError> {
    let input_error = |path: &Path, detail: String| BenchError::Input {
        path: path.to_path_buf(),
        detail,
    };
    let bytes = std::fs::read(source).map_err(|e| input_error(source, e.to_string()))?;
    let (frames, sample_rate_hz, samples_per_frame) = Mp3Index::audio_frames(&bytes)
        .ok_or_else(|| input_error(source, "no MPEG Layer III frames".to_owned()))?;
    if frames.is_empty() {
        return Err(input_error(source, "no audio frames".to_owned()));
    }
    let frame_secs = f64::from(samples_per_frame) / f64::from(sample_rate_hz);
    let needed = (min_secs / frame_secs).ceil() as usize;
    let mut out = Vec::with_capacity(needed * frames[0].len());
    for frame in frames.iter().cycle().take(needed) {
        out.extend_from_slice(frame);
    }
    std::fs::write(dest, out).map_err(|e| input_error(dest, e.to_string()))?;
    Ok(needed as f64 * frame_secs)
}

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Where generated inputs are kept between runs.
    pub cache_dir: PathBuf,
    /// Length of each generated recording (one hour by default).
    pub secs: f64,
    /// Threads for the "all threads" items.
    pub threads: usize,
    /// Measure decoding and spectrograms.
    pub audio: bool,
    /// Measure the networks (training and inference).
    pub models: bool,
    /// Measure detection end to end (a folder of clips, long files in several formats).
    pub detection: bool,
    /// Timed steps per network item (after warm-up).
    pub model_steps: usize,
    /// Measure loading and saving a project whose detection runs cover this many hours
    /// (`None`: skip).
    pub project_hours: Option<usize>,
    /// Measure "find more like this" over an hour of audio.
    pub similar: bool,
}

impl BenchOptions {
    /// One hour, all cores, inputs cached under the user's cache directory.
    #[must_use]
    pub fn standard() -> Self {
        Self {
            cache_dir: default_cache_dir(),
            secs: 3600.0,
            threads: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            audio: true,
            models: true,
            detection: true,
            model_steps: 8,
            project_hours: Some(PROJECT_HOURS),
            similar: true,
        }
    }
}

/// `$XDG_CACHE_HOME/syrinx/bench`, `~/.cache/syrinx/bench`, or a temporary folder.
#[must_use]
pub fn default_cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("syrinx")
        .join("bench")
}

/// One measured item.
#[derive(Debug, Clone, Serialize)]
pub struct BenchItem {
    /// Machine-readable key, e.g. `decode_flac_x_realtime`.
    pub key: String,
    /// What was measured, for people.
    pub label: String,
    /// Seconds of audio processed.
    pub audio_secs: f64,
    /// Wall-clock seconds it took.
    pub wall_secs: f64,
}

impl BenchItem {
    #[must_use]
    pub fn x_realtime(&self) -> f64 {
        self.audio_secs / self.wall_secs.max(1e-9)
    }
}

/// Everything `syrinx bench` measured.
#[derive(Debug, Clone, Default)]
pub struct BenchReport {
    pub items: Vec<BenchItem>,
    /// Bytes read from disk by a 10 s read from the middle of the 44.1 kHz FLAC recording.
    pub read_10s_bytes: u64,
    /// Seconds that read took (open excluded).
    pub read_10s_secs: f64,
    /// Peak resident memory of the process, when the OS reports it.
    pub peak_rss_mb: Option<f64>,
    /// Network throughputs: `(key, label, samples per second)`.
    pub rates: Vec<(String, String, f64)>,
}

impl BenchReport {
    /// One flat JSON object: `<key>` → × real time, plus the read and memory figures.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for item in &self.items {
            map.insert(
                item.key.clone(),
                serde_json::json!(round3(item.x_realtime())),
            );
        }
        map.insert(
            "read_10s_from_middle_bytes".into(),
            self.read_10s_bytes.into(),
        );
        map.insert(
            "read_10s_from_middle_ms".into(),
            serde_json::json!(round3(self.read_10s_secs * 1e3)),
        );
        for (key, _, value) in &self.rates {
            map.insert(key.clone(), serde_json::json!(round3(*value)));
        }
        if let Some(mb) = self.peak_rss_mb {
            map.insert("peak_rss_mb".into(), serde_json::json!(round3(mb)));
        }
        serde_json::Value::Object(map)
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Hours of detection runs in the generated project (two runs over 500 one-hour recordings).
pub const PROJECT_HOURS: usize = 1_000;

/// Sample rates every item is measured at.
const RATES_HZ: [u32; 2] = [22_050, 44_100];
/// Audio synthesised per STFT block (the same block is transformed again and again).
const STFT_BLOCK_SECS: f64 = 60.0;
/// Frames per read while decoding.
const DECODE_CHUNK_SECS: f64 = 10.0;

/// Runs every benchmark, reporting progress lines through `progress`.
pub fn run(
    options: &BenchOptions,
    mut progress: impl FnMut(&str),
) -> Result<BenchReport, BenchError> {
    std::fs::create_dir_all(&options.cache_dir).map_err(|e| BenchError::Input {
        path: options.cache_dir.clone(),
        detail: e.to_string(),
    })?;
    let mut report = BenchReport::default();
    let pool = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| BenchError::Input {
                path: PathBuf::new(),
                detail: format!("thread pool: {e}"),
            })
    };
    let all_threads = pool(options.threads)?;
    if options.models {
        time_networks(options, &all_threads, &mut report, &mut progress)?;
    }
    if options.detection {
        progress("detecting over an hour of 22.05 kHz audio…");
        let path = prepare_input(options, "wav", 22_050)?;
        let first = crate::dsp::ModelInputSpec::default();
        reset_peak_rss();
        let rate = all_threads.install(|| time_detection(&path, first, 1, None))?;
        report.rates.push((
            "detect_x_realtime".to_owned(),
            "detect (first default input, hop 0.5 s, runs merged), × real time".to_owned(),
            rate,
        ));
        push_peak_rss(&mut report, "detect");
        // A proposed input as the demo gets one: its band, a 1.05 s window, PCEN, a dense hop
        // and peak picking; one network, then an ensemble of three. Each twice: with context
        // (scored densely, as `--context on` trains models) and without (each window on its
        // own, the default and the old path).
        let network = crate::model::NetworkConfig::default();
        let mut dense_one = 0.0;
        for members in [1, 3] {
            let input = bench_proposed_input();
            let defaults =
                crate::detect::DetectionDefaults::for_calls(0.6, input.window_secs(), None);
            for dense in [true, false] {
                let (key, how) = if dense {
                    (format!("detect_proposed_{members}"), "densely")
                } else {
                    (
                        format!("detect_proposed_{members}_window_by_window"),
                        "window by window (without context)",
                    )
                };
                progress(&format!(
                    "detecting with a proposed input, {members} network(s), {how}…"
                ));
                let input = if dense {
                    with_context(&network, input)
                } else {
                    input
                };
                reset_peak_rss();
                let rate = all_threads
                    .install(|| time_detection(&path, input, members, Some(defaults)))?;
                report.rates.push((
                    format!("{key}_x_realtime"),
                    format!(
                        "detect (proposed input, hop {:.3} s, peaks), {members} network(s), \
                         {how}, × real time",
                        defaults.hop_secs
                    ),
                    rate,
                ));
                push_peak_rss(&mut report, &key);
                if members == 1 && dense {
                    dense_one = rate;
                }
            }
        }
        // The same network in PyTorch scoring windows one by one, where a python with torch
        // is named (TORCH_PYTHON): the ratio is measured in this run, on this machine.
        let input = bench_proposed_input();
        let hop_secs = network.hop_on_grid(
            &with_context(&network, input),
            crate::detect::DetectionDefaults::for_calls(0.6, input.window_secs(), None).hop_secs,
        );
        if let Some(torch) =
            torch_window_by_window(&input, hop_secs, options.threads, &mut progress)
        {
            report.rates.push((
                "detect_proposed_1_torch_x_realtime".to_owned(),
                "  PyTorch, the same network scoring each window on its own (network only), \
                 × real time"
                    .to_owned(),
                torch,
            ));
            report.rates.push((
                "detect_proposed_1_vs_torch".to_owned(),
                "  Syrinx densely (end to end) ÷ PyTorch window by window (network only)"
                    .to_owned(),
                dense_one / torch.max(1e-9),
            ));
        }
        // Bats: the input proposed for 4–8 ms calls at 20–110 kHz recorded at 250 kHz, over a
        // sixth of the length (an hour at 250 kHz is 1.8 GB of WAV).
        let bat_options = BenchOptions {
            secs: (options.secs / 6.0).max(1.0),
            ..options.clone()
        };
        progress(&format!(
            "detecting over {:.0} s of 250 kHz audio with a bat input…",
            bat_options.secs
        ));
        let bat_path = prepare_input(&bat_options, "wav", 250_000)?;
        let (input, defaults) = bench_bat_input();
        for dense in [true, false] {
            let (key, how, input) = if dense {
                ("detect_bats_250k", "densely", with_context(&network, input))
            } else {
                (
                    "detect_bats_250k_window_by_window",
                    "window by window (without context)",
                    input,
                )
            };
            reset_peak_rss();
            let rate =
                all_threads.install(|| time_detection(&bat_path, input, 1, Some(defaults)))?;
            report.rates.push((
                format!("{key}_x_realtime"),
                format!(
                    "detect bats at 250 kHz (proposed input, {:.3} s window, hop {:.3} s), {how}, \
                     × real time",
                    input.window_secs(),
                    defaults.hop_secs
                ),
                rate,
            ));
            push_peak_rss(&mut report, key);
        }
    }
    if options.detection {
        detection::run(options, &all_threads, &mut report, &mut progress)?;
    }
    for rate in RATES_HZ.iter().copied().filter(|_| options.audio) {
        let suffix = if rate == RATES_HZ[0] {
            String::new()
        } else {
            format!("_{rate}hz")
        };
        let khz = f64::from(rate) / 1000.0;
        for format in ["wav", "flac", "mp3"] {
            progress(&format!(
                "preparing {:.0} s of {khz} kHz {format}…",
                options.secs
            ));
            let path = prepare_input(options, format, rate)?;
            progress(&format!("decoding {khz} kHz {format}…"));
            let (audio_secs, wall_secs) = time_decode(&path, 1)?;
            report.items.push(BenchItem {
                key: format!("decode_{format}{suffix}_x_realtime"),
                label: format!("decode {format} {khz} kHz, 1 thread"),
                audio_secs,
                wall_secs,
            });
            let (audio_secs, wall_secs) = time_decode(&path, options.threads)?;
            report.items.push(BenchItem {
                key: format!("decode_{format}{suffix}_all_threads_x_realtime"),
                label: format!("decode {format} {khz} kHz, {} threads", options.threads),
                audio_secs,
                wall_secs,
            });
            if format == "flac" && rate == 44_100 {
                let (bytes, secs) = time_short_read(&path)?;
                report.read_10s_bytes = bytes;
                report.read_10s_secs = secs;
            }
        }
        for (name, params) in [
            ("stft", SpectrogramParams::default()),
            ("mel", SpectrogramParams::default().mel(128)),
        ] {
            progress(&format!("{name} spectrogram of {khz} kHz audio…"));
            let (audio_secs, wall_secs) = time_stft(&params, rate, options.secs, None)?;
            report.items.push(BenchItem {
                key: format!("{name}{suffix}_x_realtime"),
                label: format!("{name} 512/256 {khz} kHz, 1 thread"),
                audio_secs,
                wall_secs,
            });
            let (audio_secs, wall_secs) =
                time_stft(&params, rate, options.secs, Some(&all_threads))?;
            report.items.push(BenchItem {
                key: format!("{name}{suffix}_all_threads_x_realtime"),
                label: format!("{name} 512/256 {khz} kHz, {} threads", options.threads),
                audio_secs,
                wall_secs,
            });
        }
    }
    if let Some(hours) = options.project_hours {
        progress(&format!(
            "writing a project with {hours} hours of detection runs…"
        ));
        let dir = options.cache_dir.join(format!("project_{hours}h"));
        // A fresh project each time: an older one may have been written by an older schema.
        let _ = std::fs::remove_dir_all(&dir);
        let path = project_io::write_run_project(&dir, hours.div_ceil(2), 2)?;
        progress("loading and saving it…");
        let times = project_io::time_project_io(&path)?;
        let _ = std::fs::remove_dir_all(&dir);
        let mut rate = |key: &str, label: String, value: f64| {
            report.rates.push((key.to_owned(), label, value));
        };
        let hours = times.run_hours;
        rate(
            "project_load_ms",
            format!("open a project with {hours:.0} h of runs (ms)"),
            times.load_secs * 1e3,
        );
        rate(
            "project_save_ms",
            "autosave it after one verdict (ms)".to_owned(),
            times.save_secs * 1e3,
        );
        rate(
            "project_file_mb",
            "its project file (MB)".to_owned(),
            times.project_bytes as f64 / 1e6,
        );
        rate(
            "project_scores_mb",
            "its window-score side files (MB)".to_owned(),
            times.side_bytes as f64 / 1e6,
        );
    }
    if options.similar {
        progress("indexing and searching an hour of 22.05 kHz audio for a box…");
        let path = prepare_input(options, "wav", 22_050)?;
        let times = similar::time_similar(&path)?;
        report.items.push(BenchItem {
            key: "similar_index_x_realtime".to_owned(),
            label: "index for find-more-like-this, 1 thread".to_owned(),
            audio_secs: times.audio_secs,
            wall_secs: times.index_secs,
        });
        report.rates.push((
            "similar_search_ms".to_owned(),
            format!(
                "search {:.0} h of index for a box (ms)",
                times.audio_secs / 3600.0
            ),
            times.search_secs * 1e3,
        ));
    }
    report.peak_rss_mb = overall_peak_rss_mb();
    Ok(report)
}

/// Training and inference throughput of the default network (on the default model input) and of
/// the reference network of `shared/bench/torch_reference.py` (1 × 128 × 256 inputs), with the
/// reference script's batch sizes: 32 for training, 64 for inference.
fn time_networks(
    options: &BenchOptions,
    pool: &rayon::ThreadPool,
    report: &mut BenchReport,
    progress: &mut impl FnMut(&str),
) -> Result<(), BenchError> {
    let (bands, frames) = crate::dsp::ModelInputSpec::default().shape();
    let model_error = |e: crate::model::ModelError| BenchError::Input {
        path: PathBuf::new(),
        detail: e.to_string(),
    };
    let steps = options.model_steps.max(1);
    for (prefix, network, shape) in [
        ("", crate::model::NetworkConfig::default(), (bands, frames)),
        (
            "reference_",
            crate::model::NetworkConfig::reference(),
            (128, 256),
        ),
    ] {
        let name = if prefix.is_empty() {
            "default"
        } else {
            "reference"
        };
        progress(&format!("training the {name} network…"));
        reset_peak_rss();
        let breakdown = pool
            .install(|| {
                crate::model::bench::train_step_breakdown(&network, shape.0, shape.1, 32, 2, steps)
            })
            .map_err(model_error)?;
        report.rates.push((
            format!("{prefix}train_samples_per_sec"),
            format!("train {name} network, batch 32, {}×{}", shape.0, shape.1),
            breakdown.samples_per_sec(32),
        ));
        push_peak_rss(report, &format!("{prefix}train"));
        for (part, secs) in [
            ("forward", breakdown.forward_secs),
            ("backward", breakdown.backward_secs),
            ("optimizer", breakdown.optimizer_secs),
        ] {
            report.rates.push((
                format!("{prefix}train_{part}_ms"),
                format!("  {name} training step: {part} (ms)"),
                secs * 1e3,
            ));
        }
        progress(&format!("inference with the {name} network…"));
        reset_peak_rss();
        let infer = pool
            .install(|| {
                crate::model::bench::infer_samples_per_sec(&network, shape.0, shape.1, 64, 2, steps)
            })
            .map_err(model_error)?;
        report.rates.push((
            format!("{prefix}infer_samples_per_sec"),
            format!("infer {name} network, batch 64, {}×{}", shape.0, shape.1),
            infer,
        ));
        push_peak_rss(report, &format!("{prefix}infer"));
    }
    Ok(())
}

/// `<key>_peak_rss_mb`: the peak resident memory since the item's [`reset_peak_rss`].
fn push_peak_rss(report: &mut BenchReport, key: &str) {
    if let Some(mb) = peak_rss_mb() {
        report.rates.push((
            format!("{key}_peak_rss_mb"),
            "  peak resident memory (MB)".to_owned(),
            mb,
        ));
    }
}

/// × real time of `scripts/torch_detect.py` (built in) under the python `TORCH_PYTHON` names,
/// scoring windows of `input` `hop_secs` apart one by one with `threads` threads; `None` (and
/// a note) when no such python is named or it fails.
fn torch_window_by_window(
    input: &crate::dsp::ModelInputSpec,
    hop_secs: f64,
    threads: usize,
    progress: &mut impl FnMut(&str),
) -> Option<f64> {
    const SCRIPT: &str = include_str!("../../scripts/torch_detect.py");
    let python = std::env::var_os("TORCH_PYTHON")?;
    progress("detecting with the same network in PyTorch, window by window…");
    let dir = tempfile::tempdir().ok()?;
    let script = dir.path().join("torch_detect.py");
    std::fs::write(&script, SCRIPT).ok()?;
    let (bands, frames) = input.shape();
    let output = std::process::Command::new(python)
        .arg(&script)
        .args([bands.to_string(), frames.to_string(), hop_secs.to_string()])
        .env("TORCH_THREADS", threads.to_string())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let parsed = text
        .lines()
        .last()
        .and_then(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .and_then(|v| v.get("x_realtime").and_then(serde_json::Value::as_f64));
    if parsed.is_none() {
        progress(&format!(
            "PyTorch side by side skipped: {}",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or("no output")
        ));
    }
    parsed
}

/// `input` with the context `network` needs, as training gives it.
fn with_context(
    network: &crate::model::NetworkConfig,
    input: crate::dsp::ModelInputSpec,
) -> crate::dsp::ModelInputSpec {
    crate::dsp::ModelInputSpec {
        context_frames: network.context_frames_for(&input),
        ..input
    }
}

/// What the proposal gives the demo's warbler (2.1–8.5 kHz, 1.05 s, 512/256 FFT, PCEN), at the
/// bench audio's 22.05 kHz.
fn bench_proposed_input() -> crate::dsp::ModelInputSpec {
    let spectrogram = SpectrogramParams {
        min_hz: 2_100,
        max_hz: Some(8_500),
        ..SpectrogramParams::default()
    };
    crate::dsp::ModelInputSpec {
        sample_rate_hz: 22_050,
        window_samples: 23_152,
        spectrogram,
        bands: spectrogram.bands(22_050).clamp(32, 128) as u16,
        frames: None,
        normalization: crate::dsp::InputNormalization::PCEN,
        context_frames: 0,
    }
}

/// What the proposal gives a bat project (two 250 kHz recordings, 20 calls each of 4–8 ms
/// between 20 and 110 kHz), with detection defaults for those calls.
fn bench_bat_input() -> (crate::dsp::ModelInputSpec, crate::detect::DetectionDefaults) {
    use crate::annotation::{
        ProjectRecordingId, Selection, SelectionId, SelectionKind, SelectionSet,
    };
    let mut project = crate::project::Project::default();
    let mut items = Vec::new();
    for r in 0..2_u32 {
        project.recordings.push(crate::project::ProjectRecording {
            id: ProjectRecordingId(r),
            path: format!("/bench/bats{r}.wav").into(),
            duration_secs: 600.0,
            sample_rate_hz: 250_000,
            channels: 1,
            size_bytes: 0,
            fingerprint: String::new(),
            fully_annotated: true,
            split: crate::project::Split::Auto,
            group: None,
        });
        for k in 0..20_u32 {
            let spread = f64::from(k % 10) / 9.0;
            let start_secs = 5.0 + 20.0 * f64::from(k);
            items.push(Selection {
                id: SelectionId(u64::from(r * 1_000 + k)),
                recording: ProjectRecordingId(r),
                start_secs,
                end_secs: start_secs + 0.004 + 0.004 * spread,
                low_hz: 20_000.0 + 4_500.0 * spread,
                high_hz: 110_000.0 - 4_500.0 * (1.0 - spread),
                label: "bat".to_owned(),
                kind: SelectionKind::Positive,
                extra: Default::default(),
            });
        }
    }
    project.selections = SelectionSet::from_items(items);
    let input = crate::dataset::propose_input(&project, &[]).input;
    let defaults = crate::detect::DetectionDefaults::for_calls(
        0.006,
        input.window_secs(),
        Some((20_000.0, 110_000.0)),
    );
    (input, defaults)
}

/// × real time of detection end to end (decode, spectrogram, network(s), merge) with the
/// default network (random weights: the speed is the same) and `members` networks averaged: at
/// a 0.5 s hop merging runs without `detection` defaults, at their hop with peaks otherwise.
fn time_detection(
    path: &Path,
    input: crate::dsp::ModelInputSpec,
    members: usize,
    detection: Option<crate::detect::DetectionDefaults>,
) -> Result<f64, BenchError> {
    let error = |detail: String| BenchError::Input {
        path: path.to_path_buf(),
        detail,
    };
    let device = crate::model::ComputeDevice::Cpu
        .device()
        .map_err(|e| error(e.to_string()))?;
    let network = crate::model::NetworkConfig::default();
    let mut model = crate::model::ModelArtifact::untrained(network.clone(), input, &device);
    model.members = (1..members)
        .map(|_| network.init(&model.info.input, &device))
        .collect();
    model.info.ensemble = members;
    model.info.detection = detection;
    let started = std::time::Instant::now();
    let mut audio_secs = 0.0;
    let scores = crate::scoring::score_recording(
        &model,
        path,
        model.info.detection_hop_secs(),
        &std::sync::atomic::AtomicBool::new(false),
        &mut |_, total| audio_secs = total,
    )
    .map_err(|e| error(e.to_string()))?;
    let _ = crate::detect::merge(
        &scores,
        &crate::detect::MergeSettings {
            threshold: 0.5,
            min_gap_secs: 0.0,
            min_duration_secs: 0.0,
            peaks: model.info.merge_settings().peaks,
        },
    );
    Ok(audio_secs / started.elapsed().as_secs_f64().max(1e-9))
}

/// The cached input for `format` at `rate`, generated on first use.
fn prepare_input(options: &BenchOptions, format: &str, rate: u32) -> Result<PathBuf, BenchError> {
    let secs = options.secs.round() as u64;
    let path = options
        .cache_dir
        .join(format!("field_{rate}hz_{secs}s.{format}"));
    if path.exists() {
        return Ok(path);
    }
    let partial = path.with_extension(format!("{format}.partial"));
    let frames = secs * u64::from(rate);
    let mut synth = FieldSynth::new(rate, u64::from(rate));
    match format {
        "wav" => {
            let encoding = WavEncoding::Pcm16;
            write_wav_streaming(&partial, rate, encoding, frames, |out| synth.fill(out))?;
        }
        "flac" => write_flac(&partial, rate, 16, frames, |out| synth.fill(out))?,
        _ => {
            let source = bench_mp3_source(&options.cache_dir, rate, format == "stereo.mp3")?;
            repeat_mp3(&source, &partial, options.secs)?;
        }
    }
    std::fs::rename(&partial, &path).map_err(|e| BenchError::Input {
        path: path.clone(),
        detail: e.to_string(),
    })?;
    Ok(path)
}

/// The shipped 10 s MP3s that are repeated into an hour (encoded from `FieldSynth` by LAME; see
/// `tests/fixtures/regenerate.sh`). Embedded, so an installed binary can benchmark too.
static MP3_SOURCE_22050: &[u8] = include_bytes!("../../assets/bench/field_22050hz.mp3");
static MP3_SOURCE_44100: &[u8] = include_bytes!("../../assets/bench/field_44100hz.mp3");

static MP3_STEREO_SOURCE_22050: &[u8] =
    include_bytes!("../../assets/bench/field_stereo_22050hz.mp3");
static MP3_STEREO_SOURCE_44100: &[u8] =
    include_bytes!("../../assets/bench/field_stereo_44100hz.mp3");

/// Writes the embedded MP3 source for `rate` (two channels if `stereo`) into the cache folder
/// and returns its path.
fn bench_mp3_source(cache_dir: &Path, rate: u32, stereo: bool) -> Result<PathBuf, BenchError> {
    let bytes = match (rate == 44_100, stereo) {
        (true, false) => MP3_SOURCE_44100,
        (false, false) => MP3_SOURCE_22050,
        (true, true) => MP3_STEREO_SOURCE_44100,
        (false, true) => MP3_STEREO_SOURCE_22050,
    };
    let channels = if stereo { "stereo_" } else { "" };
    let path = cache_dir.join(format!("source_{channels}{rate}hz.mp3"));
    std::fs::write(&path, bytes).map_err(|e| BenchError::Input {
        path: path.clone(),
        detail: e.to_string(),
    })?;
    Ok(path)
}

/// Decodes the whole recording in `threads` parallel parts; returns (audio secs, wall secs).
fn time_decode(path: &Path, threads: usize) -> Result<(f64, f64), BenchError> {
    let reader = AudioReader::open(path)?;
    let info = reader.info().clone();
    let started = Instant::now();
    let part = info.frame_count.div_ceil(threads as u64);
    let chunk = (DECODE_CHUNK_SECS * f64::from(info.sample_rate_hz)) as usize;
    let results: Vec<Result<u64, AudioError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads as u64)
            .map(|i| {
                let reader = reader.try_clone();
                scope.spawn(move || -> Result<u64, AudioError> {
                    let mut reader = reader?;
                    let (mut at, end) = (i * part, ((i + 1) * part).min(info.frame_count));
                    let mut buffer = Vec::with_capacity(chunk);
                    let mut checksum = 0_u64;
                    while at < end {
                        let n = usize::try_from((end - at).min(chunk as u64)).unwrap_or(0);
                        reader.read_frames_into(at, n, &mut buffer)?;
                        checksum = checksum.wrapping_add(buffer.len() as u64);
                        at += n as u64;
                    }
                    Ok(checksum)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(AudioError::Io {
                        path: path.to_path_buf(),
                        detail: "a decoding thread panicked".to_owned(),
                    })
                })
            })
            .collect()
    });
    let decoded: u64 = results.into_iter().sum::<Result<u64, AudioError>>()?;
    let wall = started.elapsed().as_secs_f64();
    Ok((decoded as f64 / f64::from(info.sample_rate_hz), wall))
}

/// Opens the file, then times a 10 s read from its middle; returns (bytes read, secs).
fn time_short_read(path: &Path) -> Result<(u64, f64), BenchError> {
    let mut reader = AudioReader::open(path)?;
    let middle = reader.info().duration_secs() / 2.0;
    let before = reader.bytes_read();
    let started = Instant::now();
    reader.read_secs(middle, middle + 10.0)?;
    Ok((
        reader.bytes_read() - before,
        started.elapsed().as_secs_f64(),
    ))
}

/// Transforms `secs` of audio (one synthesised block, again and again) on one thread or in
/// `pool`; returns (audio secs, wall secs).
fn time_stft(
    params: &SpectrogramParams,
    rate: u32,
    secs: f64,
    pool: Option<&rayon::ThreadPool>,
) -> Result<(f64, f64), BenchError> {
    let stft = Stft::new(params, rate).map_err(|e| BenchError::Input {
        path: PathBuf::new(),
        detail: e.to_string(),
    })?;
    let block_frames = (STFT_BLOCK_SECS * f64::from(rate)) as usize;
    let block = FieldSynth::new(rate, 99).take(block_frames);
    let repeats = (secs / STFT_BLOCK_SECS).ceil().max(1.0) as usize;
    let mut out = Vec::new();
    let mut scratch = stft.scratch();
    let started = Instant::now();
    for _ in 0..repeats {
        match pool {
            Some(pool) => pool.install(|| stft.compute_into(&block, &mut out)),
            None => stft.compute_serial_into(&block, &mut scratch, &mut out),
        };
    }
    Ok((
        repeats as f64 * STFT_BLOCK_SECS,
        started.elapsed().as_secs_f64(),
    ))
}

/// Peak resident set size of this process in MB since the last [`reset_peak_rss`] (Linux
/// `VmHWM`; `None` elsewhere).
pub fn peak_rss_mb() -> Option<f64> {
    Some(vm_hwm_kb()? as f64 / 1024.0)
}

/// The process's peak resident set size in MB over its whole life, resets included.
pub fn overall_peak_rss_mb() -> Option<f64> {
    let before = PEAK_BEFORE_RESETS_KB.load(std::sync::atomic::Ordering::Relaxed);
    Some(vm_hwm_kb()?.max(before) as f64 / 1024.0)
}

/// Starts a new peak-memory measurement: Linux resets `VmHWM` to the current resident size
/// when "5" is written to `/proc/self/clear_refs`. The peak so far is kept for
/// [`overall_peak_rss_mb`]. Elsewhere nothing happens and peaks stay whole-process.
pub fn reset_peak_rss() {
    if let Some(kb) = vm_hwm_kb() {
        PEAK_BEFORE_RESETS_KB.fetch_max(kb, std::sync::atomic::Ordering::Relaxed);
    }
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

static PEAK_BEFORE_RESETS_KB: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn vm_hwm_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Writes a large project for measuring what big surveys cost: `recording_count` recordings of
/// `recording_secs` each (16-bit WAV at 22.05 kHz, `rec_NNN.wav`) in `dir`, and
/// `selection_count` selections spread evenly over them (five labels, both kinds, an extra
/// column on every tenth, as imported tables bring), saved as `dir/large.syrinx`.
pub fn write_large_project(
    dir: &Path,
    recording_count: usize,
    recording_secs: f64,
    selection_count: usize,
) -> Result<PathBuf, BenchError> {
    use crate::annotation::{Selection, SelectionId, SelectionKind, SelectionSet};
    const RATE_HZ: u32 = 22_050;
    const LABELS: [&str; 5] = ["warbler", "whistle", "cricket", "rain", "unknown"];
    let input_error = |path: &Path, detail: String| BenchError::Input {
        path: path.to_path_buf(),
        detail,
    };
    std::fs::create_dir_all(dir).map_err(|e| input_error(dir, e.to_string()))?;
    let mut project = crate::project::Project::default();
    let frames = (recording_secs * f64::from(RATE_HZ)) as u64;
    let mut ids = Vec::with_capacity(recording_count);
    for index in 0..recording_count {
        let path = dir.join(format!("rec_{index:03}.wav"));
        let mut synth = FieldSynth::new(RATE_HZ, index as u64);
        write_wav_streaming(&path, RATE_HZ, WavEncoding::Pcm16, frames, |block| {
            synth.fill(block);
        })?;
        let info = crate::audio::probe(&path)?;
        ids.push(
            project
                .add_recording(&info)
                .map_err(|e| input_error(&path, e.to_string()))?,
        );
    }
    let per_recording = selection_count.div_ceil(recording_count.max(1)).max(1);
    let step_secs = recording_secs / per_recording as f64;
    // No recordings, no selections (there would be nothing to hang them on).
    let selections = (0..selection_count)
        .filter(|_| !ids.is_empty())
        .map(|n| {
            let (recording, slot) = (n / per_recording, n % per_recording);
            let start_secs = slot as f64 * step_secs;
            let low_hz = 500.0 + (n % 40) as f64 * 150.0;
            let mut extra = std::collections::BTreeMap::new();
            if n % 10 == 0 {
                extra.insert("Notes".to_owned(), format!("checked by observer {}", n % 7));
            }
            Selection {
                id: SelectionId(n as u64),
                recording: ids[recording.min(ids.len() - 1)],
                start_secs,
                end_secs: start_secs + step_secs * 0.6,
                low_hz,
                high_hz: low_hz + 2_000.0,
                label: LABELS[n % LABELS.len()].to_owned(),
                kind: if n % LABELS.len() == 0 {
                    SelectionKind::Positive
                } else {
                    SelectionKind::Negative
                },
                extra,
            }
        })
        .collect();
    project.selections = SelectionSet::from_items(selections);
    let path = dir.join("large.syrinx");
    project
        .save(&path)
        .map_err(|e| input_error(&path, e.to_string()))?;
    Ok(path)
}
