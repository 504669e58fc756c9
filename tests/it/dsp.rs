use std::collections::HashSet;

use syrinx::audio::{ChannelMode, read_all};
use syrinx::dsp::{
    DspError, FrequencyScale, InputNormalization, ModelInputSpec, SpectrogramParams, Stft,
    WindowFunction,
};
use syrinx::util::synth::{FieldSynth, tone};

use crate::common::fixture;

fn peak_band(frame: &[f32]) -> usize {
    frame
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
        .unwrap()
}

#[test]
fn a_full_scale_sine_lands_in_its_bin_at_0_db_for_every_window() {
    let rate = 22_050;
    let bin = 40;
    let freq = f64::from(bin) * f64::from(rate) / 512.0;
    let signal = tone(freq, 1.0, 8192, rate);
    for window in WindowFunction::all() {
        let params = SpectrogramParams {
            window,
            ..SpectrogramParams::default()
        };
        let spec = Stft::new(&params, rate).unwrap().compute(&signal);
        assert_eq!(spec.bands, 257);
        assert_eq!(spec.frames, (8192 - 512) / 256 + 1);
        for frame in 0..spec.frames {
            let row = spec.frame(frame);
            assert_eq!(peak_band(row), bin as usize, "{window:?}");
            assert!(
                row[bin as usize].abs() < 0.05,
                "{window:?}: peak {} dB",
                row[bin as usize]
            );
            assert!(
                row[bin as usize + 10] < -30.0,
                "{window:?}: leakage {} dB",
                row[bin as usize + 10]
            );
        }
    }
}

#[test]
fn any_window_length_works() {
    // 441 samples at 44.1 kHz: 100 Hz bins, so 1 kHz is bin 10; 1000 samples: 44.1 Hz bins.
    for (len, expected_bin) in [(441_u32, 10_usize), (1000, 23), (257, 6)] {
        let params = SpectrogramParams {
            window_len: len,
            hop_len: len / 2,
            ..SpectrogramParams::default()
        };
        let stft = Stft::new(&params, 44_100).unwrap();
        let spec = stft.compute(&tone(1000.0, 0.5, 10_000, 44_100));
        assert_eq!(spec.bands, len as usize / 2 + 1);
        assert_eq!(peak_band(spec.frame(3)), expected_bin, "window {len}");
        assert!(
            (stft.axis().hz_at_row(expected_bin as f64) - 1000.0).abs()
                < 0.6 * params.bin_hz(44_100)
        );
    }
}

#[test]
fn a_sine_lands_in_the_right_mel_band() {
    let rate = 22_050;
    for (bands, hz) in [(128_u16, 2000.0), (64, 7500.0), (40, 440.0)] {
        let params = SpectrogramParams {
            window_len: 1024,
            hop_len: 512,
            ..SpectrogramParams::default()
        }
        .mel(bands);
        let stft = Stft::new(&params, rate).unwrap();
        let spec = stft.compute(&tone(hz, 0.5, 20_000, rate));
        assert_eq!(spec.bands, usize::from(bands));
        let expected = stft.axis().row_at_hz(hz).round() as usize;
        let got = peak_band(spec.frame(5));
        assert!(
            got.abs_diff(expected) <= 1,
            "{bands} bands, {hz} Hz: band {got}, expected {expected}"
        );
    }
}

#[test]
fn silence_gives_the_floor_not_minus_infinity() {
    let params = SpectrogramParams::default().mel(64);
    let spec = Stft::new(&params, 22_050)
        .unwrap()
        .compute(&vec![0.0; 22_050]);
    assert!(spec.db.iter().all(|v| (*v - -120.0).abs() < 1e-3));
    let (info, samples) =
        read_all(fixture("third_party/silence_10s.mp3"), ChannelMode::Mix).unwrap();
    for params in [
        SpectrogramParams::default(),
        SpectrogramParams::default().mel(128),
    ] {
        let spec = Stft::new(&params, info.sample_rate_hz)
            .unwrap()
            .compute(&samples);
        assert!(
            spec.db
                .iter()
                .all(|v| v.is_finite() && *v >= -120.0 - 1e-3 && *v < -40.0)
        );
    }
}

#[test]
fn frequency_crop_keeps_the_right_bins() {
    let params = SpectrogramParams {
        min_hz: 1000,
        max_hz: Some(4000),
        ..SpectrogramParams::default()
    };
    let stft = Stft::new(&params, 22_050).unwrap();
    let bin_hz = 22_050.0 / 512.0;
    let first = (1000.0_f64 / bin_hz).ceil() as usize;
    let last = (4000.0_f64 / bin_hz).floor() as usize;
    assert_eq!(stft.bands(), last - first + 1);
    let (low, high) = stft.axis().range_hz();
    // Bins whose centres lie within the range are kept: the edges sit within half a bin of it.
    assert!(
        (low - 1000.0).abs() <= bin_hz / 2.0 && (high - 4000.0).abs() <= bin_hz / 2.0,
        "{low}..{high}"
    );
    let spec = stft.compute(&tone(3000.0, 0.5, 4096, 22_050));
    let expected = stft.axis().row_at_hz(3000.0).round() as usize;
    assert_eq!(peak_band(spec.frame(2)), expected);
    // Mel crop: bands span only the chosen range.
    let mel = Stft::new(
        &SpectrogramParams {
            min_hz: 2000,
            max_hz: Some(8000),
            ..SpectrogramParams::default()
        }
        .mel(32),
        22_050,
    )
    .unwrap();
    let (low, high) = mel.axis().range_hz();
    assert!(low > 1900.0 && high < 8200.0, "{low}..{high}");
}

#[test]
fn overlap_and_hop_agree() {
    let params = SpectrogramParams::default().with_overlap_percent(75.0);
    assert_eq!(params.hop_len, 128);
    assert!((params.overlap_percent() - 75.0).abs() < 1e-9);
    assert_eq!(params.frame_count(511), 0);
    assert_eq!(params.frame_count(512), 1);
    assert_eq!(params.frame_count(512 + 128 * 10), 11);
    assert!((params.hop_secs(22_050) - 128.0 / 22_050.0).abs() < 1e-12);
}

#[test]
fn invalid_parameters_are_rejected() {
    let bad = [
        SpectrogramParams {
            window_len: 2,
            ..SpectrogramParams::default()
        },
        SpectrogramParams {
            hop_len: 0,
            ..SpectrogramParams::default()
        },
        SpectrogramParams {
            min_hz: 12_000,
            ..SpectrogramParams::default()
        },
        SpectrogramParams {
            floor_db: 3,
            ..SpectrogramParams::default()
        },
        SpectrogramParams::default().mel(0),
    ];
    for params in bad {
        assert!(
            matches!(
                Stft::new(&params, 22_050),
                Err(DspError::InvalidParams { .. })
            ),
            "{params:?}"
        );
    }
}

#[test]
fn threads_give_the_same_result_as_one() {
    let signal = FieldSynth::new(22_050, 4).take(22_050 * 20);
    for params in [
        SpectrogramParams::default(),
        SpectrogramParams::default().mel(96),
    ] {
        let stft = Stft::new(&params, 22_050).unwrap();
        let parallel = stft.compute(&signal);
        let mut serial = Vec::new();
        let frames = stft.compute_serial_into(&signal, &mut stft.scratch(), &mut serial);
        assert_eq!(frames, parallel.frames);
        assert_eq!(serial, parallel.db);
    }
}

#[test]
fn params_are_hashable_cache_keys_and_serialise() {
    let a = SpectrogramParams::default();
    let b = SpectrogramParams::default().mel(128);
    let c = SpectrogramParams {
        window: WindowFunction::Hamming,
        ..a
    };
    let keys: HashSet<_> = [a, b, c, a].into_iter().collect();
    assert_eq!(keys.len(), 3);
    let json = serde_json::to_string(&b).unwrap();
    assert_eq!(serde_json::from_str::<SpectrogramParams>(&json).unwrap(), b);
    assert!(json.contains("\"kind\":\"mel\""), "{json}");
}

#[test]
fn model_inputs_have_a_fixed_shape_and_show_the_call() {
    let spec = ModelInputSpec::default();
    let stft = spec.stft().unwrap();
    assert_eq!(spec.shape(), (128, 214));
    let rate = spec.sample_rate_hz;
    let mut audio = FieldSynth::new(rate, 1).take(spec.window_samples as usize);
    for (a, t) in audio
        .iter_mut()
        .zip(tone(5000.0, 0.3, spec.window_samples as usize, rate))
    {
        *a = 0.2 * *a + t;
    }
    let input = spec.build(&stft, &audio).unwrap();
    assert_eq!((input.bands, input.frames), (128, 214));
    assert!(input.values.iter().all(|v| (0.0..=1.0).contains(v)));
    let row_mean = |band: usize| {
        input.values[band * 214..(band + 1) * 214]
            .iter()
            .sum::<f32>()
            / 214.0
    };
    let brightest = (0..128)
        .max_by(|a, b| row_mean(*a).total_cmp(&row_mean(*b)))
        .unwrap();
    let expected = stft.axis().row_at_hz(5000.0).round() as usize;
    assert!(
        brightest.abs_diff(expected) <= 1,
        "brightest row {brightest}, 5 kHz is row {expected}"
    );

    assert!(matches!(
        spec.build(&stft, &audio[..1000]),
        Err(DspError::WrongLength { .. })
    ));
}

#[test]
fn model_inputs_from_a_long_spectrogram_equal_window_by_window() {
    // Every front end works on one window alone, so detection's slices of a long spectrogram
    // give exactly what training's crops give.
    for normalization in [
        InputNormalization::DB_RANGE,
        InputNormalization::Standardize,
        InputNormalization::PCEN,
        InputNormalization::BACKGROUND,
    ] {
        let spec = ModelInputSpec {
            normalization,
            ..ModelInputSpec::default()
        };
        let stft = spec.stft().unwrap();
        let long = FieldSynth::new(spec.sample_rate_hz, 2).take(spec.sample_rate_hz as usize * 8);
        let whole = stft.compute(&long);
        let hop = spec.spectrogram.hop_len as usize;
        let (_, frames) = spec.shape();
        for first_frame in [0, 37, 300] {
            let start = first_frame * hop;
            let direct = spec
                .build(&stft, &long[start..start + spec.window_samples as usize])
                .unwrap();
            let slice = &whole.db[first_frame * whole.bands..(first_frame + frames) * whole.bands];
            let shared = spec.from_spectrogram(slice, frames, whole.bands);
            assert_eq!(direct, shared, "{normalization:?}");
            assert!(
                direct.values.iter().all(|v| v.is_finite()),
                "{normalization:?}"
            );
        }
    }
}

#[test]
fn pcen_and_background_subtraction_ignore_the_recording_level() {
    // The same audio 20 dB quieter: the fixed dB range changes a lot, the adaptive front ends
    // hardly (PCEN's α = 0.98 leaves a 2 % trace of the gain).
    let audio = FieldSynth::new(22_050, 4).take(55_125);
    let quiet: Vec<f32> = audio.iter().map(|v| v * 0.1).collect();
    let change = |normalization| {
        let spec = ModelInputSpec {
            normalization,
            ..ModelInputSpec::default()
        };
        let stft = spec.stft().unwrap();
        let a = spec.build(&stft, &audio).unwrap().values;
        let b = spec.build(&stft, &quiet).unwrap().values;
        let spread = a.iter().map(|v| v.abs()).sum::<f32>() / a.len() as f32;
        a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32 / spread
    };
    let fixed = change(InputNormalization::DB_RANGE);
    let pcen = change(InputNormalization::PCEN);
    let background = change(InputNormalization::BACKGROUND);
    assert!(fixed > 0.2, "fixed range: {fixed}");
    assert!(pcen < 0.1 && pcen < fixed / 3.0, "PCEN: {pcen}");
    assert!(background < 0.01, "background: {background}");
}

#[test]
fn linear_model_inputs_are_resized_and_can_be_standardised() {
    let spec = ModelInputSpec {
        spectrogram: SpectrogramParams {
            min_hz: 500,
            max_hz: Some(10_000),
            ..SpectrogramParams::default()
        },
        bands: 64,
        frames: Some(100),
        normalization: InputNormalization::Standardize,
        ..ModelInputSpec::default()
    };
    assert!(matches!(spec.spectrogram.scale, FrequencyScale::Linear));
    let stft = spec.stft().unwrap();
    let audio = FieldSynth::new(spec.sample_rate_hz, 3).take(spec.window_samples as usize);
    let input = spec.build(&stft, &audio).unwrap();
    assert_eq!(
        (input.bands, input.frames, input.values.len()),
        (64, 100, 6400)
    );
    let mean = input.values.iter().sum::<f32>() / 6400.0;
    let var = input.values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 6400.0;
    assert!(
        mean.abs() < 1e-4 && (var - 1.0).abs() < 1e-3,
        "mean {mean} var {var}"
    );
    // A mel spectrogram whose band count differs from the input's is refused.
    let mismatched = ModelInputSpec {
        bands: 64,
        ..ModelInputSpec::default()
    };
    assert!(mismatched.stft().is_err());
}

#[test]
fn the_cheap_axis_matches_the_filterbank() {
    use syrinx::dsp::{MelFilterbank, MelFormula, MelNorm};
    for (bands, min_hz, max_hz) in [
        (128_u16, 0_u32, None),
        (40, 500, Some(8000)),
        (1, 100, Some(200)),
    ] {
        let params = SpectrogramParams {
            min_hz,
            max_hz,
            ..SpectrogramParams::default()
        }
        .mel(bands);
        let axis = params.axis(22_050);
        let bank = MelFilterbank::new(
            usize::from(bands),
            f64::from(min_hz),
            params.effective_max_hz(22_050),
            MelNorm::Slaney,
            MelFormula::Slaney,
            512,
            22_050,
        );
        for (row, centre) in bank.centers_hz().iter().enumerate() {
            assert!(
                (axis.hz_at_row(row as f64) - centre).abs() < 1e-6,
                "{bands} bands, row {row}"
            );
        }
        assert_eq!(params.bands(22_050), usize::from(bands));
    }
    let linear = SpectrogramParams {
        min_hz: 1000,
        max_hz: Some(4000),
        ..SpectrogramParams::default()
    };
    assert_eq!(
        linear.bands(22_050),
        Stft::new(&linear, 22_050).unwrap().bands()
    );
}
