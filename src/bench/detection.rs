//! Detection items of `syrinx bench`, end to end through
//! [`crate::workflow::detect::run_batch`] (what `syrinx detect` runs): a folder of 500
//! ten-second clips, as AudioMoth schedules and clip surveys produce, and single long files as
//! 16-bit WAV and as mono and stereo MP3 at 22.05 and 44.1 kHz. Each item also reports the peak
//! resident memory it reached.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use super::{BenchError, BenchOptions, BenchReport, peak_rss_mb, prepare_input, reset_peak_rss};
use crate::audio::{WavEncoding, write_wav};
use crate::util::synth::FieldSynth;
use crate::workflow::detect::{BatchEvent, BatchPlan, run_batch};

/// Clips in the folder item, and their length.
pub const CLIP_COUNT: usize = 500;
pub const CLIP_SECS: f64 = 10.0;
const CLIP_RATE_HZ: u32 = 22_050;

/// Runs the detection items into `report` (keys `detect_clips_x_realtime`,
/// `detect_<format>_<rate>_x_realtime`, each with a `…_peak_rss_mb`).
pub fn run(
    options: &BenchOptions,
    pool: &rayon::ThreadPool,
    report: &mut BenchReport,
    progress: &mut impl FnMut(&str),
) -> Result<(), BenchError> {
    let model_dir = options.cache_dir.join("detect_model");
    write_model(&model_dir, false)?;
    let dense_dir = options.cache_dir.join("detect_model_context");
    write_model(&dense_dir, true)?;
    progress(&format!(
        "preparing {CLIP_COUNT} clips of {CLIP_SECS:.0} s…"
    ));
    let clips = prepare_clips(&options.cache_dir)?;
    progress("detecting over the clips…");
    let x_realtime = pool.install(|| time_batch(&model_dir, clips))?;
    push(
        report,
        "detect_clips",
        &format!("detect {CLIP_COUNT} × {CLIP_SECS:.0} s WAV clips (syrinx detect), × real time"),
        x_realtime,
    );
    progress("detecting over the clips with a model trained with context…");
    let clips = prepare_clips(&options.cache_dir)?;
    let x_realtime = pool.install(|| time_batch(&dense_dir, clips))?;
    push(
        report,
        "detect_clips_dense",
        &format!(
            "detect {CLIP_COUNT} × {CLIP_SECS:.0} s WAV clips, the same input with context \
             (scored densely, file by file), × real time"
        ),
        x_realtime,
    );
    for (format, rate) in [
        ("wav", 22_050),
        ("wav", 44_100),
        ("mp3", 22_050),
        ("mp3", 44_100),
        ("stereo.mp3", 22_050),
        ("stereo.mp3", 44_100),
    ] {
        let khz = f64::from(rate) / 1000.0;
        let name = format.replace(".mp3", " mp3");
        progress(&format!(
            "detecting over {:.0} s of {khz} kHz {name}…",
            options.secs
        ));
        let path = prepare_input(options, format, rate)?;
        let x_realtime = pool.install(|| time_batch(&model_dir, vec![path]))?;
        push(
            report,
            &format!("detect_{}_{rate}", format.replace(".mp3", "_mp3")),
            &format!(
                "detect one {:.0} s {khz} kHz {name} (syrinx detect), × real time",
                options.secs
            ),
            x_realtime,
        );
    }
    Ok(())
}

/// One item's rate and the peak memory since the item started.
fn push(report: &mut BenchReport, key: &str, label: &str, (x_realtime, peak): (f64, Option<f64>)) {
    report
        .rates
        .push((format!("{key}_x_realtime"), label.to_owned(), x_realtime));
    if let Some(mb) = peak {
        report.rates.push((
            format!("{key}_peak_rss_mb"),
            "  peak resident memory (MB)".to_owned(),
            mb,
        ));
    }
}

/// The default network with random weights (speed does not depend on the weights), saved
/// where `run_batch` loads it from; with `context`, its input has the context the network
/// needs (as `syrinx train --context on` gives it), so it scores densely.
fn write_model(dir: &Path, context: bool) -> Result<(), BenchError> {
    let error = |detail: String| BenchError::Input {
        path: dir.to_path_buf(),
        detail,
    };
    let device = crate::model::ComputeDevice::Cpu
        .device()
        .map_err(|e| error(e.to_string()))?;
    let network = crate::model::NetworkConfig::default();
    let mut input = crate::dsp::ModelInputSpec::default();
    if context {
        input.context_frames = network.context_frames_for(&input);
    }
    let model = crate::model::ModelArtifact::untrained(network, input, &device);
    model.save(dir).map_err(|e| error(e.to_string()))
}

/// The clip folder, written on first use (each clip its own stretch of field sound).
fn prepare_clips(cache_dir: &Path) -> Result<Vec<PathBuf>, BenchError> {
    let dir = cache_dir.join(format!(
        "clips_{CLIP_RATE_HZ}hz_{CLIP_COUNT}x{CLIP_SECS:.0}s"
    ));
    let paths: Vec<PathBuf> = (0..CLIP_COUNT)
        .map(|i| dir.join(format!("clip_{i:03}.wav")))
        .collect();
    if paths.iter().all(|p| p.exists()) {
        return Ok(paths);
    }
    let error = |path: &Path, detail: String| BenchError::Input {
        path: path.to_path_buf(),
        detail,
    };
    std::fs::create_dir_all(&dir).map_err(|e| error(&dir, e.to_string()))?;
    let frames = (CLIP_SECS * f64::from(CLIP_RATE_HZ)) as usize;
    for (i, path) in paths.iter().enumerate() {
        let samples = FieldSynth::new(CLIP_RATE_HZ, 1_000 + i as u64).take(frames);
        let partial = path.with_extension("wav.partial");
        write_wav(&partial, &samples, CLIP_RATE_HZ, WavEncoding::Pcm16)?;
        std::fs::rename(&partial, path).map_err(|e| error(path, e.to_string()))?;
    }
    Ok(paths)
}

/// × real time of `run_batch` over `files`, and the peak resident memory meanwhile.
fn time_batch(model_dir: &Path, files: Vec<PathBuf>) -> Result<(f64, Option<f64>), BenchError> {
    let first = files.first().cloned().unwrap_or_default();
    let plan = BatchPlan {
        model_dir: model_dir.to_path_buf(),
        files,
        folder: None,
        hop_secs: None,
        per_class: false,
        adapt: false,
    };
    let mut failure = None;
    reset_peak_rss();
    let started = Instant::now();
    let totals = run_batch(&plan, &AtomicBool::new(false), &mut |event| {
        if let BatchEvent::Scored {
            path,
            result: Err(e),
            ..
        } = event
        {
            failure.get_or_insert((path, e.detail));
        }
    })
    .map_err(|e| BenchError::Input {
        path: first,
        detail: e.to_string(),
    })?;
    let wall_secs = started.elapsed().as_secs_f64();
    if let Some((path, detail)) = failure {
        return Err(BenchError::Input { path, detail });
    }
    Ok((totals.audio_secs / wall_secs.max(1e-9), peak_rss_mb()))
}
