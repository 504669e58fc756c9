//! Writes a deterministic field-like recording as 16-bit WAV, the source of the committed
//! compressed fixtures (see `tests/fixtures/regenerate.sh`).
//! Usage: `cargo run --example synth_wav -- OUT.wav SECONDS SAMPLE_RATE_HZ SEED`

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, secs, rate, seed] = args.as_slice() else {
        anyhow::bail!("usage: synth_wav OUT.wav SECONDS SAMPLE_RATE_HZ SEED");
    };
    let rate: u32 = rate.parse()?;
    let frames = (secs.parse::<f64>()? * f64::from(rate)) as usize;
    let samples = syrinx::synth::FieldSynth::new(rate, seed.parse()?).take(frames);
    syrinx::audio::write_wav(
        &PathBuf::from(out),
        &samples,
        rate,
        syrinx::audio::WavEncoding::Pcm16,
    )?;
    Ok(())
}
