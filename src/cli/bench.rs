//! `syrinx bench`: decoding and spectrogram throughput as "× real time".

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::bench::{BenchOptions, run as run_bench};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Print one JSON object (keys such as decode_wav_x_realtime, stft_x_realtime, mel_x_realtime).
    #[arg(long)]
    pub json: bool,
    /// Length of the generated recordings in seconds.
    #[arg(long, default_value_t = 3600.0, value_name = "SECONDS")]
    pub secs: f64,
    /// Where generated inputs are kept between runs (default: ~/.cache/syrinx/bench).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Threads for the "all threads" items and the networks (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Measure only this part: audio (decoding, spectrograms), models (training, inference),
    /// detection (end to end over 500 ten-second clips and over long WAV and MP3 files),
    /// project (opening and autosaving a project with 1,000 hours of detection runs) or similar
    /// (indexing and searching an hour for "find more like this").
    #[arg(long, value_parser = ["audio", "models", "detection", "project", "similar"])]
    pub only: Option<String>,
    /// Timed steps per network item (more steps, steadier numbers).
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub model_steps: usize,
    /// Hours of detection runs in the project item's generated project.
    #[arg(long, default_value_t = crate::bench::PROJECT_HOURS, value_name = "HOURS")]
    pub project_hours: usize,
}

pub fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    let mut options = BenchOptions::standard();
    options.secs = args.secs.max(1.0);
    if let Some(dir) = &args.cache_dir {
        options.cache_dir.clone_from(dir);
    }
    if let Some(threads) = args.threads {
        options.threads = threads.max(1);
    }
    options.model_steps = args.model_steps.max(1);
    options.project_hours = Some(args.project_hours.max(1));
    if let Some(only) = args.only.as_deref() {
        options.audio = only == "audio";
        options.models = only == "models";
        options.detection = only == "detection";
        options.similar = only == "similar";
        if only != "project" {
            options.project_hours = None;
        }
    }
    let report = run_bench(&options, |line| eprintln!("{line}"))?;
    if args.json {
        println!("{}", report.to_json());
    } else {
        for item in &report.items {
            println!(
                "{:<38} {:>9.0}× real time  ({:.2} s for {:.0} s of audio)",
                item.label,
                item.x_realtime(),
                item.wall_secs,
                item.audio_secs
            );
        }
        for (_, label, value) in &report.rates {
            let unit = if label.ends_with(')') || label.ends_with("real time") {
                ""
            } else {
                " samples/s"
            };
            println!("{label:<44} {value:>9.1}{unit}");
        }
        if options.audio {
            println!(
                "10 s read from the middle of the 44.1 kHz FLAC: {:.1} ms, {:.0} kB read from disk",
                report.read_10s_secs * 1e3,
                report.read_10s_bytes as f64 / 1e3
            );
        }
        if let Some(mb) = report.peak_rss_mb {
            println!("peak resident memory: {mb:.0} MB");
        }
    }
    Ok(ExitCode::SUCCESS)
}
