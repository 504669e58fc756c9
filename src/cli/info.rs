//! `syrinx info`: one line (or one JSON object) per file; a bad file does not stop the others.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::audio::{RecordingInfo, StartTimeSource, probe};

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Print one JSON object per line (keys: path, duration_secs, sample_rate_hz, channels,
    /// codec, …, or path and error).
    #[arg(long)]
    pub json: bool,
    /// Audio files (wav, flac, mp3, ogg, aiff).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

pub fn run(args: &InfoArgs) -> anyhow::Result<ExitCode> {
    let mut failed = 0;
    for path in &args.files {
        let line = match probe(path) {
            Ok(info) if args.json => json_line(&info).to_string(),
            Ok(info) => text_line(&info),
            Err(error) => {
                failed += 1;
                if args.json {
                    serde_json::json!({ "path": path, "error": error.to_string() }).to_string()
                } else {
                    format!("{}: error: {error}", path.display())
                }
            }
        };
        println!("{line}");
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn json_line(info: &RecordingInfo) -> serde_json::Value {
    serde_json::json!({
        "path": info.path,
        "duration_secs": info.duration_secs(),
        "sample_rate_hz": info.sample_rate_hz,
        "channels": info.channels,
        "codec": info.codec,
        "container": info.container,
        "bits_per_sample": info.bits_per_sample,
        "frames": info.frame_count,
        "start_time": info.start.as_ref().map(crate::audio::RecordingStart::to_iso8601),
        "start_time_source": info.start.as_ref().map(|s| s.source),
        "warnings": info.warnings,
    })
}

fn text_line(info: &RecordingInfo) -> String {
    // Short clips get more decimals so they do not read as "0.000 s".
    let decimals = if info.duration_secs() < 1.0 { 6 } else { 3 };
    let mut line = format!(
        "{}: {:.decimals$} s, {} Hz, {} channel{}, {} {}",
        info.path.display(),
        info.duration_secs(),
        info.sample_rate_hz,
        info.channels,
        if info.channels == 1 { "" } else { "s" },
        info.container,
        info.codec
    );
    if let Some(bits) = info.bits_per_sample {
        line.push_str(&format!(" {bits}-bit"));
    }
    if let Some(start) = &info.start {
        let source = match start.source {
            StartTimeSource::Guano => "GUANO",
            StartTimeSource::AudioMoth => "AudioMoth",
            StartTimeSource::FileName => "file name",
        };
        line.push_str(&format!(", starts {} ({source})", start.to_iso8601()));
    }
    for warning in &info.warnings {
        line.push_str(&format!("; warning: {warning}"));
    }
    line
}
