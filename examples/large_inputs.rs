//! Generates and times large inputs, for the figures in the README's "Large inputs" section:
//!
//! - `large_inputs project DIR [RECORDINGS] [SECS] [SELECTIONS]` writes a project of RECORDINGS
//!   recordings (default 100, of SECS = 60 s each) with SELECTIONS selections (default 50,000),
//!   then times loading and saving it and reports the file size and peak memory;
//! - `large_inputs batch DIR [FILES] [SECS]` writes FILES recordings (default 500, of 10 s) for
//!   a detection batch (`syrinx detect --model M --out OUT DIR`).
//!
//! Usage: `cargo run --release --example large_inputs -- project /tmp/large`

use std::path::PathBuf;
use std::time::Instant;

use syrinx::audio::{WavEncoding, write_wav_streaming};
use syrinx::bench::{peak_rss_mb, write_large_project};
use syrinx::project::Project;
use syrinx::util::synth::FieldSynth;

fn arg<T: std::str::FromStr>(args: &[String], index: usize, default: T) -> anyhow::Result<T> {
    match args.get(index) {
        None => Ok(default),
        Some(text) => text
            .parse()
            .map_err(|_| anyhow::anyhow!("not a number: {text}")),
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(what), Some(dir)) = (args.first(), args.get(1)) else {
        anyhow::bail!("usage: large_inputs project|batch DIR [COUNT] [SECS] [SELECTIONS]");
    };
    let dir = PathBuf::from(dir);
    match what.as_str() {
        "project" => {
            let recordings = arg(&args, 2, 100_usize)?;
            let secs = arg(&args, 3, 60.0_f64)?;
            let selections = arg(&args, 4, 50_000_usize)?;
            let path = write_large_project(&dir, recordings, secs, selections)?;
            let bytes = std::fs::metadata(&path)?.len();
            let started = Instant::now();
            let (project, _) = Project::load(&path)?;
            let load_secs = started.elapsed().as_secs_f64();
            let started = Instant::now();
            project.save(&path)?;
            let save_secs = started.elapsed().as_secs_f64();
            println!(
                "{}: {} recordings, {} selections, {:.1} MB; load {:.3} s, save {:.3} s, peak memory {:.0} MB",
                path.display(),
                project.recordings.len(),
                project.selections.len(),
                bytes as f64 / 1e6,
                load_secs,
                save_secs,
                peak_rss_mb().unwrap_or(f64::NAN)
            );
        }
        "batch" => {
            let files = arg(&args, 2, 500_usize)?;
            let secs = arg(&args, 3, 10.0_f64)?;
            std::fs::create_dir_all(&dir)?;
            let rate_hz = 22_050;
            for index in 0..files {
                let mut synth = FieldSynth::new(rate_hz, index as u64);
                write_wav_streaming(
                    &dir.join(format!("batch_{index:04}.wav")),
                    rate_hz,
                    WavEncoding::Pcm16,
                    (secs * f64::from(rate_hz)) as u64,
                    |block| synth.fill(block),
                )?;
            }
            println!("{}: {files} recordings of {secs} s", dir.display());
        }
        other => anyhow::bail!("unknown input kind {other}: project or batch"),
    }
    Ok(())
}
