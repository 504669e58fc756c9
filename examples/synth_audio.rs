//! Writes a deterministic field-like recording (`FieldSynth`) as 16-bit WAV or FLAC, streamed so
//! any length fits in memory: the source of the committed compressed fixtures (see
//! `tests/fixtures/regenerate.sh`) and of long files for trying Syrinx on hours of audio.
//! Usage: `cargo run --release --example synth_audio -- OUT.{wav,flac} SECONDS SAMPLE_RATE_HZ SEED`

use std::path::PathBuf;

use syrinx::audio::{WavEncoding, write_flac, write_wav_streaming};
use syrinx::util::synth::FieldSynth;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, secs, rate, seed] = args.as_slice() else {
        anyhow::bail!("usage: synth_audio OUT.{{wav,flac}} SECONDS SAMPLE_RATE_HZ SEED");
    };
    let out = PathBuf::from(out);
    let rate: u32 = rate.parse()?;
    let frames = (secs.parse::<f64>()? * f64::from(rate)) as u64;
    let mut synth = FieldSynth::new(rate, seed.parse()?);
    let fill = |block: &mut [f32]| synth.fill(block);
    if out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("flac"))
    {
        write_flac(&out, rate, 16, frames, fill)?;
    } else {
        write_wav_streaming(&out, rate, WavEncoding::Pcm16, frames, fill)?;
    }
    Ok(())
}
