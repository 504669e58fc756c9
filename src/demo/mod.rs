//! The demo data set: deterministic synthetic field recordings with a target species, look-alike
//! distractors and realistic background (coloured noise, wind gusts, rain), plus Raven tables of
//! every sound. Newcomers open it on first run; later issues train, detect and review on it.
//!
//! The target, the "syrinx warbler" (invented), sings a trill of 5–9 notes, each sweeping down
//! from about 6 kHz to 3.5 kHz, with a second harmonic. Two distractors share its band: a single
//! rising whistle, and a cricket-like pulsed buzz near 4.8 kHz. A third look-alike, a few slow
//! falling chirps, lives only at the sites away from the training ones (survey and test): the
//! noise of other sites that a first model has never heard, and that reviewing the survey
//! teaches it.

pub mod species;

use std::path::{Path, PathBuf};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::annotation::{
    AnnotationError, Edit, ImportOptions, ParsedTable, SelectionKind, TableFormat, TableRow,
    preview_import, write_raven_table,
};
use crate::audio::{AudioError, WavEncoding, write_wav};
use crate::project::{LabelDef, Project, ProjectError, Split, UndoStack};
use crate::util::synth::PinkFilter;

/// The label of the target species' calls.
pub const TARGET_LABEL: &str = "syrinx warbler";
/// A single rising whistle in the target's band.
pub const WHISTLE_LABEL: &str = "rising whistle";
/// A pulsed insect-like buzz in the target's band.
pub const CRICKET_LABEL: &str = "cricket trill";
/// Two to four slow falling chirps in the target's band, heard only away from the training sites.
pub const CHIRP_LABEL: &str = "falling chirps";
/// The project file `write_demo` writes.
pub const DEMO_PROJECT_FILE: &str = "demo.syrinx";
/// AudioMoth's usual rate; the default model resamples to 22.05 kHz.
pub const DEMO_SAMPLE_RATE_HZ: u32 = 32_000;

/// One demo recording: where it goes and how it sounds.
#[derive(Debug, Clone, Copy)]
pub struct DemoRecordingSpec {
    /// The folder it goes in: `train`, `survey` or `test`.
    pub split: &'static str,
    /// File stem, AudioMoth style (site, date, time).
    pub stem: &'static str,
    pub secs: f64,
    pub seed: u64,
    /// Background level (RMS of the pink noise).
    pub noise_rms: f32,
    /// Whether it rains for part of the recording.
    pub rain: bool,
    /// Level of the target's calls relative to the training sites (test sites are further from
    /// the singers: fainter).
    pub call_gain_db: f32,
    /// Level of a steady insect chorus around 7 kHz (RMS; 0 = none): noise the training sites
    /// never had.
    pub chorus_rms: f32,
    /// Chance that a call is answered within 0.25–0.6 s (calls closer together than a window).
    pub answer_probability: f64,
    /// Share of the sounds that are falling chirps (0 at the training sites: a first model has
    /// never heard them).
    pub chirp_share: f64,
}

/// The recordings `write_demo` writes: 8 minutes for training at four sites, 4 of survey at two
/// more sites (unannotated: what detection runs over and review turns into training data) and 3
/// for testing at two other sites (so that no site is on two sides). The sites away from the
/// training ones differ as real ones do: their calls are fainter (−3 to −9 dB), some have an
/// insect chorus the training sites never had, a look-alike (falling chirps) sings there and
/// nowhere in the training set, and birds answer each other closer together than a model window.
pub const DEMO_RECORDINGS: [DemoRecordingSpec; 15] = [
    train("SITE1_20240512_053000", 101, 0.006, false),
    train("SITE1_20240513_053000", 102, 0.008, true),
    train("SITE2_20240512_054500", 103, 0.010, false),
    train("SITE2_20240514_054500", 104, 0.007, false),
    train("SITE3_20240512_060000", 105, 0.012, true),
    train("SITE3_20240515_060000", 106, 0.009, false),
    train("SITE4_20240513_051500", 107, 0.006, false),
    train("SITE4_20240516_051500", 108, 0.011, true),
    away(
        "survey",
        "SITE7_20240518_052000",
        301,
        0.009,
        false,
        -3.0,
        0.0,
    ),
    away(
        "survey",
        "SITE7_20240519_052000",
        302,
        0.011,
        true,
        -6.0,
        0.0,
    ),
    away(
        "survey",
        "SITE8_20240518_054000",
        303,
        0.008,
        false,
        -5.0,
        0.005,
    ),
    away(
        "survey",
        "SITE8_20240519_054000",
        304,
        0.010,
        false,
        -7.0,
        0.0,
    ),
    away(
        "test",
        "SITE5_20240520_053000",
        201,
        0.010,
        false,
        -6.0,
        0.0,
    ),
    away("test", "SITE5_20240521_053000", 202, 0.012, true, -8.0, 0.0),
    away(
        "test",
        "SITE6_20240520_054500",
        203,
        0.008,
        false,
        -9.0,
        0.006,
    ),
];

/// The folder of the unannotated survey recordings.
pub const SURVEY_FOLDER: &str = "survey";

const fn train(stem: &'static str, seed: u64, noise_rms: f32, rain: bool) -> DemoRecordingSpec {
    DemoRecordingSpec {
        split: "train",
        stem,
        secs: 60.0,
        seed,
        noise_rms,
        rain,
        call_gain_db: 0.0,
        chorus_rms: 0.0,
        answer_probability: 0.15,
        chirp_share: 0.0,
    }
}

/// A recording from a site away from the training ones (survey or test).
const fn away(
    split: &'static str,
    stem: &'static str,
    seed: u64,
    noise_rms: f32,
    rain: bool,
    call_gain_db: f32,
    chorus_rms: f32,
) -> DemoRecordingSpec {
    DemoRecordingSpec {
        split,
        stem,
        secs: 60.0,
        seed,
        noise_rms,
        rain,
        call_gain_db,
        chorus_rms,
        answer_probability: 0.4,
        chirp_share: 0.3,
    }
}

/// Errors while writing the demo.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot create the demo folder: {detail}: {}", path.display())]
    Folder { path: PathBuf, detail: String },
    #[error(transparent)]
    Audio(#[from] AudioError),
    #[error(transparent)]
    Annotation(#[from] AnnotationError),
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error(transparent)]
    Scores(#[from] crate::project::score_files::ScoreFileError),
}

/// The target's calls in a demo recording, from its truth table
/// (`DIR/truth/<stem>.Table.1.selections.txt`): what a reviewer of the demo would say.
pub fn truth_calls(demo_dir: &Path, recording: &Path) -> Result<Vec<(f64, f64)>, DemoError> {
    let stem = recording
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let table = crate::annotation::read_table(
        &demo_dir.join(format!("truth/{stem}.Table.1.selections.txt")),
    )?;
    Ok(table
        .rows
        .iter()
        .filter(|r| r.kind == Some(SelectionKind::Positive))
        .map(|r| (r.start_secs, r.end_secs))
        .collect())
}

/// Event-level figures of a run over demo recordings against their truth, matched as `syrinx
/// evaluate` matches (1.5 s tolerance).
pub fn run_metrics(
    project: &Project,
    demo_dir: &Path,
    run: &crate::project::runs::DetectionRun,
) -> Result<crate::metrics::EventMetrics, DemoError> {
    let mut total = crate::metrics::EventMetrics::default();
    let mut secs = 0.0;
    for part in &run.recordings {
        let Some(recording) = project.recording(part.recording) else {
            continue;
        };
        let calls = truth_calls(demo_dir, &recording.path)?;
        total.add_counts(&crate::evaluate::evaluate_scores(
            &*part.scores.get()?,
            &run.merge,
            &calls,
            1.5,
            recording.duration_secs,
        ));
        secs += recording.duration_secs;
    }
    Ok(crate::evaluate::rates(total, secs))
}

/// How well a run's boxes frame the demo's calls: for each truth call of its recordings, the
/// best time intersection over union with a detection (0 for a call it missed).
pub fn run_box_ious(
    project: &Project,
    demo_dir: &Path,
    run: &crate::project::runs::DetectionRun,
) -> Result<Vec<f64>, DemoError> {
    let mut ious = Vec::new();
    for part in &run.recordings {
        let Some(recording) = project.recording(part.recording) else {
            continue;
        };
        let spans: Vec<(f64, f64)> = part
            .detections
            .iter()
            .map(|d| (d.detection.start_secs, d.detection.end_secs))
            .collect();
        let calls = truth_calls(demo_dir, &recording.path)?;
        ious.extend(crate::evaluate::best_time_ious(&spans, &calls));
    }
    Ok(ious)
}

/// What `write_demo` wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoSummary {
    /// `DIR/demo.syrinx`.
    pub project: Option<PathBuf>,
    pub recordings: Vec<PathBuf>,
    pub tables: Vec<PathBuf>,
    pub positives: usize,
    pub negatives: usize,
}

/// Writes `DIR/train/*.wav`, `DIR/survey/*.wav`, `DIR/test/*.wav`,
/// `DIR/truth/<stem>.Table.1.selections.txt`, `DIR/demo.syrinx` (training recordings fully
/// annotated and grouped by site; survey recordings in the training split, unannotated; test
/// recordings in the test split without selections) and a `README.txt`. The audio and tables are the same byte
/// for byte every time.
pub fn write_demo(dir: &Path) -> Result<DemoSummary, DemoError> {
    let mut summary = DemoSummary::default();
    let mut project = Project::default();
    for sub in ["train", SURVEY_FOLDER, "test", "truth"] {
        let folder = dir.join(sub);
        std::fs::create_dir_all(&folder).map_err(|e| DemoError::Folder {
            path: folder.clone(),
            detail: e.to_string(),
        })?;
    }
    for spec in &DEMO_RECORDINGS {
        let (samples, selections) = render_recording(spec);
        let wav = dir.join(spec.split).join(format!("{}.wav", spec.stem));
        write_wav(&wav, &samples, DEMO_SAMPLE_RATE_HZ, WavEncoding::Pcm16)?;
        let table = dir
            .join("truth")
            .join(format!("{}.Table.1.selections.txt", spec.stem));
        write_raven_table(&table, &selections)?;
        summary.positives += selections
            .iter()
            .filter(|s| s.kind == Some(SelectionKind::Positive))
            .count();
        summary.negatives += selections
            .iter()
            .filter(|s| s.kind == Some(SelectionKind::Negative))
            .count();
        if spec.split == "train" {
            // Training recordings are fully annotated; the test ones are left for detection.
            let info = crate::audio::probe(&wav)?;
            let id = project.add_recording(&info)?;
            if let Some(recording) = project.recording_mut(id) {
                recording.fully_annotated = true;
                recording.group = spec.stem.split('_').next().map(str::to_owned);
            }
            let table = ParsedTable {
                format: TableFormat::Raven,
                columns: Vec::new(),
                rows: selections,
                warnings: Vec::new(),
            };
            let options = ImportOptions {
                label_column: None,
                ..ImportOptions::suggested(&table)
            };
            let target = |row: &TableRow| project.import_target(row, Some(id));
            let mut ids = project.selections.clone();
            let preview = preview_import(&table, &options, target, &mut ids);
            let mut history = UndoStack::default();
            history.apply(
                &mut project.selections,
                "import truth",
                vec![Edit::Insert(preview.selections)],
            );
        } else {
            // Survey recordings train (what review finds there is learnt); test ones only judge.
            let info = crate::audio::probe(&wav)?;
            let id = project.add_recording(&info)?;
            if let Some(recording) = project.recording_mut(id) {
                recording.split = if spec.split == "test" {
                    Split::Test
                } else {
                    Split::Train
                };
                recording.group = spec.stem.split('_').next().map(str::to_owned);
            }
        }
        summary.recordings.push(wav);
        summary.tables.push(table);
    }
    project.labels = vec![
        LabelDef {
            name: TARGET_LABEL.to_owned(),
            kind: SelectionKind::Positive,
            hotkey: Some('3'),
        },
        LabelDef {
            name: WHISTLE_LABEL.to_owned(),
            kind: SelectionKind::Negative,
            hotkey: Some('4'),
        },
        LabelDef {
            name: CRICKET_LABEL.to_owned(),
            kind: SelectionKind::Negative,
            hotkey: Some('5'),
        },
    ];
    let project_path = dir.join(DEMO_PROJECT_FILE);
    project.save(&project_path)?;
    summary.project = Some(project_path);
    let readme = dir.join("README.txt");
    crate::util::fsutil::write_atomically(&readme, README.as_bytes()).map_err(|e| {
        DemoError::Folder {
            path: readme.clone(),
            detail: e.to_string(),
        }
    })?;
    Ok(summary)
}

const README: &str = "Syrinx demo data (synthetic, generated by `syrinx demo`)\n\
\n\
train/  8 one-minute recordings from sites 1-4 (32 kHz, 16-bit WAV), fully annotated\n\
survey/ 4 one-minute recordings from sites 7-8, unannotated: run detection over them,\n\
        review, and what you mark is learnt (they are in the training split)\n\
test/   3 one-minute recordings from sites 5-6, kept for testing\n\
demo.syrinx  the Syrinx project: training recordings fully annotated, the others not\n\
truth/  a Raven selection table per recording listing every call:\n\
        Annotation = what made the sound, Kind = positive (the target) or negative\n\
\n\
Target: 'syrinx warbler', a trill of 5-9 notes each sweeping down from ~6 to ~3.5 kHz.\n\
Look-alikes in the same band: 'rising whistle' and 'cricket trill', and at the survey and\n\
test sites only, 'falling chirps' (a first model has never heard them).\n\
Background: pink noise, wind gusts, and rain in some recordings. Some warbler calls are faint.\n\
The survey and test sites differ from the training sites, as real ones do: their calls are\n\
3-9 dB fainter, sites 6 and 8 have an insect chorus near 7 kHz, and birds there often answer each other\n\
within half a second (calls closer together than a model window).\n";

/// Renders one recording and a table row for every sound in it.
#[must_use]
pub fn render_recording(spec: &DemoRecordingSpec) -> (Vec<f32>, Vec<TableRow>) {
    let rate = DEMO_SAMPLE_RATE_HZ;
    let frames = (spec.secs * f64::from(rate)) as usize;
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut samples = background(&mut rng, frames, spec);
    let mut selections = Vec::new();
    let call_gain = 10f32.powf(spec.call_gain_db / 20.0);
    let mut at_secs = rng.random_range(0.5..2.0);
    while at_secs < spec.secs - 2.0 {
        // Sites without chirps draw nothing extra (their recordings stay as they were).
        let chirps = spec.chirp_share > 0.0 && rng.random_range(0.0..1.0) < spec.chirp_share;
        let roll: f64 = if chirps {
            0.0
        } else {
            rng.random_range(0.0..1.0)
        };
        let selection = if chirps {
            falling_chirps(&mut rng, &mut samples, at_secs)
        } else if roll < 0.5 {
            warbler_call(&mut rng, &mut samples, at_secs, call_gain)
        } else if roll < 0.75 {
            rising_whistle(&mut rng, &mut samples, at_secs)
        } else {
            cricket_trill(&mut rng, &mut samples, at_secs)
        };
        let answered = selection.label == TARGET_LABEL
            && selection.end_secs < spec.secs - 3.0
            && rng.random_range(0.0..1.0) < spec.answer_probability;
        let end_secs = selection.end_secs;
        selections.push(selection);
        at_secs = if answered {
            // Another bird answers at once: two calls closer together than a model window.
            let reply_at = end_secs + rng.random_range(0.25..0.6);
            let reply = warbler_call(&mut rng, &mut samples, reply_at, call_gain);
            let reply_end = reply.end_secs;
            selections.push(reply);
            reply_end + rng.random_range(0.8..3.5)
        } else {
            end_secs + rng.random_range(0.8..3.5)
        };
    }
    for s in &mut samples {
        *s = s.clamp(-1.0, 1.0);
    }
    (samples, selections)
}

/// Pink noise, wind gusts (low-passed noise under a slow random envelope) and, when it rains,
/// a stretch of short broadband drop clicks.
fn background(rng: &mut ChaCha8Rng, frames: usize, spec: &DemoRecordingSpec) -> Vec<f32> {
    let rate = f64::from(DEMO_SAMPLE_RATE_HZ);
    let mut pink = PinkFilter::default();
    let mut out: Vec<f32> = (0..frames)
        .map(|_| spec.noise_rms * pink.next(StandardNormal.sample(&mut *rng)))
        .collect();
    // Wind: 2nd-order low-passed noise (~250 Hz), gusts of 2-6 s every 5-15 s.
    let alpha = (1.0 - (-std::f64::consts::TAU * 250.0 / rate).exp()) as f32;
    let (mut lp1, mut lp2) = (0.0_f32, 0.0_f32);
    let mut gust_at = rng.random_range(0.0..8.0);
    let mut gusts = Vec::new();
    while gust_at < frames as f64 / rate {
        let len = rng.random_range(2.0..6.0);
        gusts.push((gust_at, len, rng.random_range(0.05..0.25_f32)));
        gust_at += len + rng.random_range(5.0..15.0);
    }
    for (i, sample) in out.iter_mut().enumerate() {
        let t = i as f64 / rate;
        let white: f32 = StandardNormal.sample(&mut *rng);
        lp1 += alpha * (white - lp1);
        lp2 += alpha * (lp1 - lp2);
        let strength: f32 = gusts
            .iter()
            .filter(|(start, len, _)| t >= *start && t < start + len)
            .map(|(start, len, peak)| {
                peak * ((std::f64::consts::PI * (t - start) / len).sin() as f32).powi(2)
            })
            .sum();
        *sample += strength * lp2 * 6.0;
    }
    if spec.chorus_rms > 0.0 {
        // An insect chorus: noise through a resonator at 7.2 kHz (Q ≈ 12), slowly pulsing.
        let (centre_hz, q) = (7_200.0_f64, 12.0_f64);
        let w = std::f64::consts::TAU * centre_hz / rate;
        let r = 1.0 - w.sin() / (2.0 * q);
        let (a1, a2) = ((2.0 * r * w.cos()) as f32, (-r * r) as f32);
        let gain = spec.chorus_rms * ((1.0 - r * r) as f32).sqrt() * 2.0;
        let (mut y1, mut y2) = (0.0_f32, 0.0_f32);
        for (i, sample) in out.iter_mut().enumerate() {
            let white: f32 = StandardNormal.sample(&mut *rng);
            let y = gain * white + a1 * y1 + a2 * y2;
            y2 = y1;
            y1 = y;
            let pulse = 0.75 + 0.25 * (std::f64::consts::TAU * 0.7 * i as f64 / rate).sin() as f32;
            *sample += pulse * y;
        }
    }
    if spec.rain {
        let start = rng.random_range(0.0..frames as f64 / 2.0) as usize;
        let end = (start + (rate * rng.random_range(15.0..30.0)) as usize).min(frames);
        let mut at = start;
        while at < end {
            let amplitude = rng.random_range(0.01..0.12_f32);
            let decay = rng.random_range(0.6..0.85_f32);
            let mut level = amplitude;
            for sample in out.iter_mut().skip(at).take(96) {
                let white: f32 = StandardNormal.sample(&mut *rng);
                *sample += level * white;
                level *= decay;
            }
            at += (rate * rng.random_range(0.01..0.25)) as usize;
        }
    }
    out
}

/// Adds a sine sweep with a second harmonic: frequency follows `freq_at(progress)`, amplitude a
/// sin² envelope.
fn add_sweep(
    samples: &mut [f32],
    start_secs: f64,
    secs: f64,
    amplitude: f32,
    harmonic: f32,
    freq_at: impl Fn(f64) -> f64,
) {
    let rate = f64::from(DEMO_SAMPLE_RATE_HZ);
    let first = (start_secs * rate) as usize;
    let len = (secs * rate) as usize;
    let mut phase = 0.0_f64;
    for (i, sample) in samples.iter_mut().skip(first).take(len).enumerate() {
        let progress = i as f64 / len as f64;
        let freq = freq_at(progress);
        phase = (phase + std::f64::consts::TAU * freq / rate) % std::f64::consts::TAU;
        let envelope = (std::f64::consts::PI * progress).sin().powi(2) as f32;
        let second = if 2.0 * freq < 0.45 * rate {
            harmonic * (2.0 * phase).sin() as f32
        } else {
            0.0
        };
        *sample += amplitude * envelope * ((phase.sin() as f32) + second);
    }
}

/// The target: 5–9 downward-sweeping notes, `gain` times the usual level. One call in five is
/// faint.
fn warbler_call(rng: &mut ChaCha8Rng, samples: &mut [f32], start_secs: f64, gain: f32) -> TableRow {
    let notes = rng.random_range(5..=9);
    let amplitude = gain
        * if rng.random_range(0.0..1.0) < 0.2 {
            rng.random_range(0.012..0.03)
        } else {
            rng.random_range(0.05..0.3)
        };
    let note_secs = rng.random_range(0.045..0.075);
    let gap_secs = rng.random_range(0.02..0.04);
    let top_hz = rng.random_range(5400.0..6200.0);
    let bottom_hz = rng.random_range(3500.0..4100.0);
    let mut at = start_secs;
    for note in 0..notes {
        // Later notes start a little lower, as in many real trills.
        let shift = 1.0 - 0.015 * f64::from(note);
        let (high, low) = (top_hz * shift, bottom_hz * shift);
        add_sweep(samples, at, note_secs, amplitude, 0.3, |p| {
            high * (low / high).powf(p)
        });
        at += note_secs + gap_secs;
    }
    let low_shift = 1.0 - 0.015 * f64::from(notes - 1);
    TableRow {
        start_secs,
        end_secs: at - gap_secs,
        low_hz: Some((bottom_hz * low_shift - 150.0).round()),
        high_hz: Some((top_hz + 150.0).round()),
        label: TARGET_LABEL.to_owned(),
        kind: Some(SelectionKind::Positive),
        ..TableRow::default()
    }
}

/// A single rising whistle across the target's band.
fn rising_whistle(rng: &mut ChaCha8Rng, samples: &mut [f32], start_secs: f64) -> TableRow {
    let secs = rng.random_range(0.25..0.45);
    let low_hz = rng.random_range(3400.0..3900.0);
    let high_hz = rng.random_range(5300.0..6000.0);
    let amplitude = rng.random_range(0.04..0.25);
    add_sweep(samples, start_secs, secs, amplitude, 0.2, |p| {
        low_hz + (high_hz - low_hz) * p
    });
    TableRow {
        start_secs,
        end_secs: start_secs + secs,
        low_hz: Some((low_hz - 150.0).round()),
        high_hz: Some((high_hz + 150.0).round()),
        label: WHISTLE_LABEL.to_owned(),
        kind: Some(SelectionKind::Negative),
        ..TableRow::default()
    }
}

/// Two to four slow notes, each falling through the target's band (0.1–0.16 s, with longer gaps
/// than a trill's): a look-alike of a short, slow warbler call.
fn falling_chirps(rng: &mut ChaCha8Rng, samples: &mut [f32], start_secs: f64) -> TableRow {
    let notes = rng.random_range(2..=4);
    let amplitude = rng.random_range(0.04..0.2);
    let note_secs = rng.random_range(0.10..0.16);
    let gap_secs = rng.random_range(0.06..0.12);
    let top_hz = rng.random_range(5600.0..6400.0);
    let bottom_hz = rng.random_range(3600.0..4200.0);
    let mut at = start_secs;
    for _ in 0..notes {
        add_sweep(samples, at, note_secs, amplitude, 0.15, |p| {
            top_hz + (bottom_hz - top_hz) * p
        });
        at += note_secs + gap_secs;
    }
    TableRow {
        start_secs,
        end_secs: at - gap_secs,
        low_hz: Some((bottom_hz - 150.0).round()),
        high_hz: Some((top_hz + 150.0).round()),
        label: CHIRP_LABEL.to_owned(),
        kind: Some(SelectionKind::Negative),
        ..TableRow::default()
    }
}

/// A pulsed buzz: a 4.5–5.1 kHz carrier gated 30–50 times a second.
fn cricket_trill(rng: &mut ChaCha8Rng, samples: &mut [f32], start_secs: f64) -> TableRow {
    let rate = f64::from(DEMO_SAMPLE_RATE_HZ);
    let secs = rng.random_range(0.6..1.6);
    let carrier_hz = rng.random_range(4500.0..5100.0);
    let pulse_hz = rng.random_range(30.0..50.0);
    let amplitude = rng.random_range(0.02..0.12_f32);
    let first = (start_secs * rate) as usize;
    let len = (secs * rate) as usize;
    for (i, sample) in samples.iter_mut().skip(first).take(len).enumerate() {
        let t = i as f64 / rate;
        let gate = ((std::f64::consts::TAU * pulse_hz * t).sin() > 0.3) as u8 as f32;
        let fade = (std::f64::consts::PI * i as f64 / len as f64).sin() as f32;
        *sample += amplitude * gate * fade * (std::f64::consts::TAU * carrier_hz * t).sin() as f32;
    }
    TableRow {
        start_secs,
        end_secs: start_secs + secs,
        low_hz: Some((carrier_hz - 400.0).round()),
        high_hz: Some((carrier_hz + 400.0).round()),
        label: CRICKET_LABEL.to_owned(),
        kind: Some(SelectionKind::Negative),
        ..TableRow::default()
    }
}
