//! Writes a deterministic field-like recording (`FieldSynth`) as 16-bit WAV or FLAC, streamed so
//! any length fits in memory: the source of the committed compressed fixtures (see
//! `tests/fixtures/regenerate.sh`) and of long files for trying Syrinx on hours of audio.
//! Usage: `cargo run --release --example synth_audio -- OUT.{wav,flac} SECONDS SAMPLE_RATE_HZ SEED`

use std::path::PathBuf;

use syrinx::synth::FieldSynth;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, secs, rate, seed] = args.as_slice() else {
        anyhow::bail!("usage: synth_audio OUT.{{wav,flac}} SECONDS SAMPLE_RATE_HZ SEED");
    };
    let out = PathBuf::from(out);
    let rate: u32 = rate.parse()?;
    let frames = (secs.parse::<f64>()? * f64::from(rate)) as u64;
    let mut synth = FieldSynth::new(rate, seed.parse()?);
    if out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("flac"))
    {
        syrinx::audio::write_flac(&out, rate, 16, frames, |block| synth.fill(block))?;
    } else {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(&out, spec)?;
        let mut block = vec![0.0_f32; 1 << 16];
        let mut written = 0;
        while written < frames {
            let n = (frames - written).min(block.len() as u64) as usize;
            synth.fill(&mut block[..n]);
            let mut samples = writer.get_i16_writer(n as u32);
            for &s in &block[..n] {
                samples.write_sample((s * 32_767.0).round() as i16);
            }
            samples.flush()?;
            written += n as u64;
        }
        writer.finalize()?;
    }
    Ok(())
}
