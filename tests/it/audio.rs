use std::io::Write;
use std::path::Path;

use syrinx::audio::{
    AudioError, AudioReader, ChannelMode, ResamplingReader, StartTimeSource, WavEncoding, probe,
    read_all, resample, write_flac, write_wav, write_wav_channels, write_wav_streaming,
};
use syrinx::util::synth::{FieldSynth, tone};

use crate::common::{dominated_by, fixture, shared_data, tone_power};

fn assert_close(actual: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: {actual} is not within {tolerance} of {expected}"
    );
}

#[test]
fn shared_recordings_report_duration_rate_and_channels() {
    let cases: [(&str, f64, u32, u16); 6] = [
        ("spinetail.wav", 19.54, 44_100, 1),
        ("veryshort.wav", 0.142, 44_100, 1),
        ("metadata.wav", 14.97, 32_000, 1),
        ("rugr_drum.wav", 10.0, 32_000, 1),
        ("stereo.wav", 5.0 / 44_100.0, 44_100, 2),
        // LAME recorded 441,000 samples of silence; the extra 0.031 s that ffprobe reports is
        // encoder delay and padding, which symphonia trims (gapless decoding) as LAME asks.
        ("silence_10s.mp3", 10.0, 44_100, 1),
    ];
    for (name, secs, rate, channels) in cases {
        let info = probe(fixture(&format!("third_party/{name}"))).unwrap();
        assert_close(info.duration_secs(), secs, 0.005, name);
        assert_eq!(
            (info.sample_rate_hz, info.channels),
            (rate, channels),
            "{name}"
        );
        assert!(info.warnings.is_empty(), "{name}: {:?}", info.warnings);
    }
    for (name, secs, rate) in [
        ("audio/1min.wav", 60.0, 32_000),
        ("audio/great_plains_toad.wav", 44.57, 44_100),
    ] {
        if let Some(path) = shared_data(name) {
            let info = probe(&path).unwrap();
            assert_close(info.duration_secs(), secs, 0.005, name);
            assert_eq!((info.sample_rate_hz, info.channels), (rate, 1), "{name}");
        }
    }
}

#[test]
fn mp3_of_digital_silence_decodes_to_zeros() {
    let (_, samples) = read_all(fixture("third_party/silence_10s.mp3"), ChannelMode::Mix).unwrap();
    assert_eq!(samples.len(), 441_000);
    // Below -65 dBFS everywhere (the decoder's start-up transient is not exactly zero).
    assert!(samples.iter().all(|s| s.abs() < 6e-4));
}

#[test]
fn audiomoth_start_time_is_read_even_after_the_data_chunk() {
    let info = probe(fixture("third_party/metadata.wav")).unwrap();
    let start = info.start.unwrap();
    assert_eq!(start.source, StartTimeSource::AudioMoth);
    assert_eq!(start.to_iso8601(), "2020-04-04T10:25:00Z");
    assert_eq!(info.codec, "pcm_s16le");
    assert_eq!(info.bits_per_sample, Some(16));
}

#[test]
fn guano_and_file_name_start_times() {
    let dir = tempfile::tempdir().unwrap();
    // A WAV named like an AudioMoth/Song Meter file.
    let named = dir.path().join("SITE2_20210614_053000.wav");
    write_wav(
        &named,
        &tone(1000.0, 0.5, 8000, 8000),
        8000,
        WavEncoding::Pcm16,
    )
    .unwrap();
    let start = probe(&named).unwrap().start.unwrap();
    assert_eq!(start.source, StartTimeSource::FileName);
    assert_eq!(start.to_iso8601(), "2021-06-14T05:30:00");

    // The same with a GUANO chunk appended: GUANO wins over the name.
    let guano = b"GUANO|Version: 1.0\nTimestamp: 2021-06-14T05:29:58.5-04:00\n";
    let mut bytes = std::fs::read(&named).unwrap();
    bytes.extend_from_slice(b"guan");
    bytes.extend_from_slice(&u32::try_from(guano.len()).unwrap().to_le_bytes());
    bytes.extend_from_slice(guano);
    if guano.len() % 2 == 1 {
        bytes.push(0);
    }
    let riff_len = u32::try_from(bytes.len() - 8).unwrap();
    bytes[4..8].copy_from_slice(&riff_len.to_le_bytes());
    std::fs::write(&named, bytes).unwrap();
    let info = probe(&named).unwrap();
    let start = info.start.clone().unwrap();
    assert_eq!(start.source, StartTimeSource::Guano);
    assert_eq!(start.to_iso8601(), "2021-06-14T05:29:58.500-04:00");
    assert_close(
        info.duration_secs(),
        1.0,
        1e-9,
        "duration with trailing guan chunk",
    );
}

/// Two tones: the first half at 1 kHz, the second at 3 kHz.
fn assert_two_tones(samples: &[f32], sample_rate_hz: u32, what: &str) {
    let n = samples.len();
    let first = &samples[n / 10..4 * n / 10];
    let second = &samples[6 * n / 10..9 * n / 10];
    assert!(
        dominated_by(first, 1000.0, 3000.0, sample_rate_hz),
        "{what}: first half is not 1 kHz"
    );
    assert!(
        dominated_by(second, 3000.0, 1000.0, sample_rate_hz),
        "{what}: second half is not 3 kHz"
    );
}

#[test]
fn decodes_every_supported_format() {
    let cases = [
        ("tones.flac", "flac", "flac", 22_050, 2.0, Some(16)),
        ("tones.mp3", "mp3", "mp3", 22_050, 2.0, None),
        ("tones.ogg", "ogg", "vorbis", 22_050, 2.0, None),
        ("tones_8k.aiff", "aiff", "pcm_s16be", 8_000, 1.0, Some(16)),
        (
            "tones_8k_float.aifc",
            "aiff",
            "pcm_f32be",
            8_000,
            1.0,
            Some(32),
        ),
    ];
    for (name, container, codec, rate, secs, bits) in cases {
        let (info, samples) =
            read_all(fixture(name), ChannelMode::Mix).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(info.container, container, "{name}");
        assert_eq!(info.codec, codec, "{name}");
        assert_eq!(info.sample_rate_hz, rate, "{name}");
        assert_eq!(info.bits_per_sample, bits, "{name}");
        assert_close(info.duration_secs(), secs, 0.03, name);
        assert_eq!(samples.len() as u64, info.frame_count, "{name}");
        assert_two_tones(&samples, rate, name);
    }
}

#[test]
fn decodes_wav_of_every_bit_depth_and_odd_rates() {
    let dir = tempfile::tempdir().unwrap();
    for rate in [2_000, 22_050, 384_000] {
        let half = rate as usize / 2;
        let mut signal = tone(f64::from(rate) / 20.0, 0.5, half, rate);
        signal.extend(tone(3.0 * f64::from(rate) / 20.0, 0.5, half, rate));
        for (bits, format) in [
            (8, hound::SampleFormat::Int),
            (16, hound::SampleFormat::Int),
            (24, hound::SampleFormat::Int),
            (32, hound::SampleFormat::Int),
            (32, hound::SampleFormat::Float),
        ] {
            let path = dir.path().join(format!("{rate}_{bits}_{format:?}.wav"));
            let spec = hound::WavSpec {
                channels: 1,
                sample_rate: rate,
                bits_per_sample: bits,
                sample_format: format,
            };
            let mut writer = hound::WavWriter::create(&path, spec).unwrap();
            let full_scale = f64::from((1_u32 << (bits - 1)) - 1);
            for &s in &signal {
                match (format, bits) {
                    (hound::SampleFormat::Float, _) => writer.write_sample(s).unwrap(),
                    (_, 8) => writer
                        .write_sample((f64::from(s) * full_scale).round() as i8)
                        .unwrap(),
                    _ => writer
                        .write_sample((f64::from(s) * full_scale).round() as i32)
                        .unwrap(),
                }
            }
            writer.finalize().unwrap();
            let what = path.display().to_string();
            let (info, samples) =
                read_all(&path, ChannelMode::Mix).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(
                (info.sample_rate_hz, info.frame_count),
                (rate, signal.len() as u64),
                "{what}"
            );
            assert_eq!(info.bits_per_sample, Some(u32::from(bits)), "{what}");
            let max_error = signal
                .iter()
                .zip(&samples)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0_f32, f32::max);
            let quantum = 2.0 / 2.0_f32.powi(i32::from(bits));
            assert!(
                max_error <= quantum,
                "{what}: error {max_error} exceeds one quantum {quantum}"
            );
            let rate_hz = f64::from(rate);
            assert!(
                dominated_by(&samples[..half], rate_hz / 20.0, 3.0 * rate_hz / 20.0, rate),
                "{what}"
            );
        }
    }
}

#[test]
fn channels_are_mixed_or_selected() {
    let path = fixture("stereo_lr.flac");
    let mut reader = AudioReader::open(&path).unwrap();
    assert_eq!(reader.info().channels, 2);
    let rate = reader.info().sample_rate_hz;
    reader.set_channel_mode(ChannelMode::Channel(0)).unwrap();
    let left = reader.read_secs(0.1, 0.9).unwrap();
    reader.set_channel_mode(ChannelMode::Channel(1)).unwrap();
    let right = reader.read_secs(0.1, 0.9).unwrap();
    reader.set_channel_mode(ChannelMode::Mix).unwrap();
    let mix = reader.read_secs(0.1, 0.9).unwrap();
    assert!(dominated_by(&left, 1000.0, 3000.0, rate));
    assert!(dominated_by(&right, 3000.0, 1000.0, rate));
    let (p1, p3) = (
        tone_power(&mix, 1000.0, rate),
        tone_power(&mix, 3000.0, rate),
    );
    assert!(
        p1 > 0.2 * p3 && p3 > 0.2 * p1,
        "mix holds both tones ({p1} vs {p3})"
    );
    for ((l, r), m) in left.iter().zip(&right).zip(&mix) {
        assert!((0.5 * (l + r) - m).abs() < 1e-6);
    }
    let err = reader
        .set_channel_mode(ChannelMode::Channel(2))
        .unwrap_err();
    assert!(matches!(
        err,
        AudioError::ChannelOutOfRange {
            channel: 2,
            channels: 2,
            ..
        }
    ));
    assert!(err.to_string().ends_with("stereo_lr.flac"), "{err}");

    // Multi-channel WAV: channel 2 of 3.
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("three.wav");
    let zeros = vec![0.0; 800];
    let marked = tone(500.0, 0.5, 800, 8000);
    write_wav_channels(&wav, &[&zeros, &zeros, &marked], 8000, WavEncoding::Float32).unwrap();
    let mut reader = AudioReader::open(&wav).unwrap();
    reader.set_channel_mode(ChannelMode::Channel(2)).unwrap();
    assert_eq!(reader.read_frames(0, 800).unwrap(), marked);
}

/// Writes a recording of `secs` seconds at `rate` that is silent except for single-sample
/// clicks of 0.5 at the given frames.
fn write_clicks(path: &Path, rate: u32, secs: u64, clicks: &[u64], flac: bool) {
    let total = secs * u64::from(rate);
    let mut at = 0_u64;
    let fill = |out: &mut [f32]| {
        out.fill(0.0);
        for &click in clicks {
            if (at..at + out.len() as u64).contains(&click) {
                out[usize::try_from(click - at).unwrap()] = 0.5;
            }
        }
        at += out.len() as u64;
    };
    if flac {
        write_flac(path, rate, 16, total, fill).unwrap();
    } else {
        write_wav_streaming(path, rate, WavEncoding::Pcm16, total, fill).unwrap();
    }
}

#[test]
fn spans_of_long_recordings_are_sample_accurate() {
    let dir = tempfile::tempdir().unwrap();
    let rate = 8_000_u32;
    let click = 3600 * u64::from(rate); // exactly 3600.000 s
    for flac in [false, true] {
        let path = dir.path().join(if flac { "long.flac" } else { "long.wav" });
        write_clicks(&path, rate, 3610, &[click, click + 7], flac);
        let mut reader = AudioReader::open(&path).unwrap();
        assert_eq!(reader.info().frame_count, 3610 * u64::from(rate));
        let span = reader.read_secs(3595.0, 3605.0).unwrap();
        assert_eq!(span.len(), 10 * rate as usize);
        let hits: Vec<usize> = span
            .iter()
            .enumerate()
            .filter(|(_, s)| s.abs() > 0.25)
            .map(|(i, _)| i)
            .collect();
        let expected = usize::try_from(click - 3595 * u64::from(rate)).unwrap();
        assert_eq!(hits, vec![expected, expected + 7], "flac={flac}");
        // Reading on continues where the last read ended, and a later backwards read seeks.
        let next = reader.read_secs(3605.0, 3606.0).unwrap();
        assert_eq!(next.len(), rate as usize);
        let again = reader.read_frames(click - 3, 5).unwrap();
        assert_eq!(
            again
                .iter()
                .map(|s| (s * 2.0).round() as i32)
                .collect::<Vec<_>>(),
            vec![0, 0, 0, 1, 0]
        );
        assert_eq!(
            reader
                .read_frames(3610 * u64::from(rate) - 2, 10)
                .unwrap()
                .len(),
            2,
            "clamped at the end"
        );
    }
}

#[test]
fn short_reads_of_long_recordings_touch_only_their_region() {
    let dir = tempfile::tempdir().unwrap();
    let rate = 16_000_u32;
    let secs = 600_u64;
    let mut synth = FieldSynth::new(rate, 9);
    let flac = dir.path().join("ten_minutes.flac");
    write_flac(&flac, rate, 16, secs * u64::from(rate), |out| {
        synth.fill(out);
    })
    .unwrap();
    let wav = dir.path().join("ten_minutes.wav");
    write_clicks(&wav, rate, secs, &[], false);
    for path in [flac, wav] {
        let file_len = std::fs::metadata(&path).unwrap().len();
        let mut reader = AudioReader::open(&path).unwrap();
        let before = reader.bytes_read();
        assert_eq!(
            reader.read_secs(300.0, 310.0).unwrap().len(),
            10 * rate as usize
        );
        // 10 s is 1.7 % of the recording; allow for seeking and read-ahead, not for a full pass.
        let read = reader.bytes_read() - before;
        assert!(
            read < file_len / 12,
            "{}: read {read} of {file_len} bytes",
            path.display()
        );
    }
}

/// Decodes a whole file with symphonia alone (no seeking, no Syrinx placement logic) as the
/// reference for span reads.
fn reference_decode(path: &Path) -> Vec<f32> {
    use symphonia::core::codecs::audio::AudioDecoderOptions;
    use symphonia::core::formats::probe::Hint;
    use symphonia::core::formats::{FormatOptions, TrackType};
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;
    let file = std::fs::File::open(path).unwrap();
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut format = symphonia::default::get_probe()
        .probe(
            &Hint::new(),
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .unwrap();
    let track = format.default_track(TrackType::Audio).unwrap();
    let id = track.id;
    let params = track
        .codec_params
        .as_ref()
        .unwrap()
        .audio()
        .unwrap()
        .clone();
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .unwrap();
    let mut out = Vec::new();
    let mut planes: Vec<Vec<f32>> = Vec::new();
    while let Ok(Some(packet)) = format.next_packet() {
        if packet.track_id != id {
            continue;
        }
        let buffer = decoder.decode(&packet).unwrap();
        buffer.copy_to_vecs_planar(&mut planes);
        let channels = planes.len() as f32;
        for i in 0..planes[0].len() {
            out.push(planes.iter().map(|p| p[i]).sum::<f32>() / channels);
        }
    }
    out
}

#[test]
fn compressed_spans_match_a_full_decode() {
    for name in ["field_20s.mp3", "field_20s.ogg", "tones.flac"] {
        let path = fixture(name);
        let reference = reference_decode(&path);
        let mut reader = AudioReader::open(&path).unwrap();
        assert_eq!(reader.info().frame_count, reference.len() as u64, "{name}");
        // Jump around: forwards, backwards, into the first frames, to the very end.
        let n = reference.len() as u64;
        for start in [
            n / 2,
            n / 7,
            1000,
            0,
            n - 5000,
            3 * n / 4,
            12_345,
            n / 3 + 1,
        ] {
            let span = reader.read_frames(start, 4000).unwrap();
            let first = usize::try_from(start).unwrap();
            let expected = &reference[first..(first + 4000).min(reference.len())];
            assert_eq!(span.len(), expected.len(), "{name} at {start}");
            let worst = span
                .iter()
                .zip(expected)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0_f32, f32::max);
            assert!(
                worst < 1e-5,
                "{name}: span at frame {start} differs from the full decode by {worst}"
            );
        }
        assert!(reader.take_warnings().is_empty(), "{name}");
    }
}

#[test]
fn long_mp3_reads_touch_only_their_region() {
    // Repeat the frames of a short MP3 into 20 minutes.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.mp3");
    let seconds = syrinx::bench::repeat_mp3(&fixture("field_20s.mp3"), &path, 1200.0).unwrap();
    assert!(seconds >= 1200.0);
    let file_len = std::fs::metadata(&path).unwrap().len();
    let mut reader = AudioReader::open(&path).unwrap();
    assert_close(reader.info().duration_secs(), seconds, 0.1, "repeated mp3");
    let before = reader.bytes_read();
    let span = reader.read_secs(600.0, 610.0).unwrap();
    assert_eq!(span.len(), 10 * 22_050);
    let read = reader.bytes_read() - before;
    assert!(
        read < file_len / 20,
        "read {read} of {file_len} bytes for 10 s of 20 min"
    );
}

fn expect_error(path: &Path) -> AudioError {
    match probe(path) {
        Ok(info) => panic!("{} opened: {info:?}", path.display()),
        Err(err) => {
            let message = err.to_string();
            let name = path.file_name().unwrap().to_string_lossy();
            assert!(
                message.ends_with(&*name),
                "message does not name the file: {message}"
            );
            err
        }
    }
}

#[test]
fn broken_inputs_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(bytes)
            .unwrap();
        path
    };
    assert!(matches!(
        expect_error(&write("zero.wav", b"")),
        AudioError::EmptyFile { .. }
    ));
    assert!(matches!(
        expect_error(&dir.path().join("missing.flac")),
        AudioError::Open { .. }
    ));
    let mut noise = Vec::new();
    let mut x = 0x2545_f491_u32;
    for _ in 0..65_536 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        noise.push(x.to_le_bytes()[0]);
    }
    let err = expect_error(&write("random.wav", &noise));
    assert!(
        matches!(
            err,
            AudioError::UnsupportedFormat { .. } | AudioError::Corrupt { .. }
        ),
        "{err}"
    );
    let text = "Recording notes: site 4, dawn chorus, light rain.\n".repeat(200);
    let err = expect_error(&write("notes.mp3", text.as_bytes()));
    assert!(matches!(err, AudioError::UnsupportedFormat { .. }), "{err}");
    let err = expect_error(&fixture("third_party/empty_2c.wav"));
    assert!(matches!(err, AudioError::NoSamples { .. }), "{err}");

    // A WAV whose codec is GSM 6.10 (format tag 0x31): not supported.
    let mut gsm = std::fs::read(fixture("third_party/veryshort.wav")).unwrap();
    gsm[20..22].copy_from_slice(&0x31_u16.to_le_bytes());
    let err = expect_error(&write("gsm.wav", &gsm));
    assert!(
        matches!(
            err,
            AudioError::UnsupportedCodec { .. } | AudioError::UnsupportedFormat { .. }
        ),
        "{err}"
    );

    // A header and nothing else.
    let wav = std::fs::read(fixture("third_party/spinetail.wav")).unwrap();
    let err = expect_error(&write("header_only.wav", &wav[..44]));
    assert!(matches!(err, AudioError::NoSamples { .. }), "{err}");
}

#[test]
fn truncated_files_give_their_readable_part_and_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let cut = |source: &Path, name: &str, keep: f64| {
        let bytes = std::fs::read(source).unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes[..(bytes.len() as f64 * keep) as usize]).unwrap();
        path
    };
    // WAV cut to ~40 %.
    let wav = cut(
        &fixture("third_party/spinetail.wav"),
        "spinetail_cut.wav",
        0.4,
    );
    let info = probe(&wav).unwrap();
    assert_close(info.duration_secs(), 19.54 * 0.4, 0.05, "cut wav");
    assert!(
        info.warnings.iter().any(|w| w.contains("truncated")),
        "{:?}",
        info.warnings
    );
    let (_, samples) = read_all(&wav, ChannelMode::Mix).unwrap();
    assert_eq!(samples.len() as u64, info.frame_count);

    // A WAV whose recorder died before writing the header sizes (both 0).
    let mut unfinished = std::fs::read(fixture("third_party/rugr_drum.wav")).unwrap();
    unfinished[4..8].fill(0);
    unfinished[40..44].fill(0);
    let path = dir.path().join("unfinished.wav");
    std::fs::write(&path, &unfinished).unwrap();
    let info = probe(&path).unwrap();
    assert_close(info.duration_secs(), 10.0, 0.001, "unfinished wav");
    assert!(
        info.warnings.iter().any(|w| w.contains("never written")),
        "{:?}",
        info.warnings
    );

    // FLAC cut to ~60 %.
    let flac = dir.path().join("ten.flac");
    let mut synth = FieldSynth::new(22_050, 3);
    write_flac(&flac, 22_050, 16, 10 * 22_050, |out| synth.fill(out)).unwrap();
    let cut_flac = cut(&flac, "ten_cut.flac", 0.6);
    let info = probe(&cut_flac).unwrap();
    assert!(
        info.duration_secs() > 4.0 && info.duration_secs() < 8.0,
        "{}",
        info.duration_secs()
    );
    assert!(
        info.warnings.iter().any(|w| w.contains("truncated")),
        "{:?}",
        info.warnings
    );
    let mut reader = AudioReader::open(&cut_flac).unwrap();
    let all = reader.read_frames(0, 10 * 22_050).unwrap();
    assert_eq!(all.len() as u64, reader.info().frame_count);

    // MP3 and Ogg cut in half: the readable half, no panic.
    for name in ["field_20s.mp3", "field_20s.ogg"] {
        let path = cut(&fixture(name), &format!("cut_{name}"), 0.5);
        let info = probe(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            info.duration_secs() > 7.0 && info.duration_secs() < 13.0,
            "{name}: {}",
            info.duration_secs()
        );
        let (_, samples) = read_all(&path, ChannelMode::Mix).unwrap();
        assert!(samples.len() as u64 >= info.frame_count - 2048, "{name}");
    }
}

#[test]
fn resampling_keeps_a_tone_where_it_was() {
    let signal = tone(1000.0, 0.5, 44_100, 44_100);
    let down = resample(&signal, 44_100, 22_050).unwrap();
    assert!((down.len() as i64 - 22_050).abs() <= 1);
    assert!(dominated_by(&down[1000..21_000], 1000.0, 1200.0, 22_050));
    let odd = resample(&signal, 44_100, 16_000).unwrap();
    assert!(dominated_by(&odd[1000..15_000], 1000.0, 1200.0, 16_000));
    // A tone above the new Nyquist frequency is filtered out, not aliased.
    let high = resample(&tone(15_000.0, 0.5, 44_100, 44_100), 44_100, 22_050).unwrap();
    let rms = (high[2000..20_000].iter().map(|s| s * s).sum::<f32>() / 18_000.0).sqrt();
    assert!(rms < 0.01, "aliased energy {rms}");
}

#[test]
fn resampled_spans_match_resampling_the_whole_recording() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("field.wav");
    let signal = FieldSynth::new(48_000, 5).take(48_000 * 6);
    write_wav(&path, &signal, 48_000, WavEncoding::Float32).unwrap();
    let whole = resample(&signal, 48_000, 22_050).unwrap();
    let mut reader = ResamplingReader::new(AudioReader::open(&path).unwrap(), 22_050).unwrap();
    assert_eq!(reader.frame_count(), 6 * 22_050);
    for start in [0_u64, 1, 22_050 * 3 + 17, 22_050 * 5] {
        let span = reader.read_frames(start, 2048).unwrap();
        let first = usize::try_from(start).unwrap();
        let expected = &whole[first..(first + 2048).min(whole.len())];
        let worst = span
            .iter()
            .zip(expected)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0_f32, f32::max);
        assert!(worst < 1e-4, "span at {start} differs by {worst}");
    }
}
