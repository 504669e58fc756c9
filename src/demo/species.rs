//! A second demo for multi-class models: three species in one project — rising chirps, falling
//! chirps and steady tones, all 1–3 kHz — with every fifth call overlapped by another species'
//! call, fully annotated, in six 40-second recordings at 8 kHz (four to train on, one to
//! validate, one to test). `syrinx demo --species DIR` writes it.

use std::path::{Path, PathBuf};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::DemoError;
use crate::annotation::{Selection, SelectionId, SelectionKind, SelectionSet};
use crate::audio::{WavEncoding, probe, write_wav};
use crate::project::{Project, Split};

/// The species, in the order of a model trained with `--classes all` (labels sorted).
pub const SPECIES: [&str; 3] = ["fall", "rise", "tone"];
/// The project file the species demo writes.
pub const SPECIES_PROJECT: &str = "species.syrinx";

const RATE_HZ: u32 = 8_000;
const SECS: f64 = 40.0;
const RECORDINGS: u32 = 6;
const CALL_SECS: f64 = 0.3;

/// A call: start and end (seconds) and the index of its species in [`SPECIES`].
pub type SpeciesCall = (f64, f64, usize);

/// What [`write_species_demo`] wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpeciesDemo {
    /// `DIR/species.syrinx`.
    pub project: PathBuf,
    /// Each recording and its calls.
    pub recordings: Vec<(PathBuf, Vec<SpeciesCall>)>,
}

/// One call of species `species`, `CALL_SECS` long.
fn call(species: usize, amplitude: f32) -> Vec<f32> {
    let len = (CALL_SECS * f64::from(RATE_HZ)) as usize;
    match species {
        0 => crate::util::synth::linear_chirp(3_000.0, 1_000.0, amplitude, len, RATE_HZ),
        1 => crate::util::synth::linear_chirp(1_000.0, 3_000.0, amplitude, len, RATE_HZ),
        _ => crate::util::synth::tone(2_000.0, amplitude, len, RATE_HZ),
    }
}

/// Writes the recordings and the project (seeded: the same files every time).
pub fn write_species_demo(dir: &Path) -> Result<SpeciesDemo, DemoError> {
    std::fs::create_dir_all(dir).map_err(|e| DemoError::Folder {
        path: dir.to_path_buf(),
        detail: e.to_string(),
    })?;
    let mut project = Project::default();
    let mut selections = Vec::new();
    let mut demo = SpeciesDemo {
        project: dir.join(SPECIES_PROJECT),
        recordings: Vec::new(),
    };
    for r in 0..RECORDINGS {
        let mut rng = ChaCha8Rng::seed_from_u64(300 + u64::from(r));
        let total = (SECS * f64::from(RATE_HZ)) as usize;
        let mut audio: Vec<f32> = (0..total)
            .map(|_| rng.random_range(-0.02_f32..0.02))
            .collect();
        let mut calls: Vec<SpeciesCall> = Vec::new();
        let mut t = 0.6;
        let mut k = 0;
        while t + 1.0 < SECS {
            let species = rng.random_range(0..3);
            let mut at = vec![(t, species)];
            k += 1;
            if k % 5 == 0 {
                at.push((t + 0.1, (species + 1 + rng.random_range(0..2)) % 3));
            }
            for (start_secs, species) in at {
                let start = (start_secs * f64::from(RATE_HZ)) as usize;
                let samples = call(species, rng.random_range(0.15_f32..0.4));
                for (out, v) in audio[start..].iter_mut().zip(&samples) {
                    *out += v;
                }
                calls.push((start_secs, start_secs + CALL_SECS, species));
            }
            t += rng.random_range(2.6..3.4);
        }
        let path = dir.join(format!("species{r:02}.wav"));
        write_wav(&path, &audio, RATE_HZ, WavEncoding::Pcm16)?;
        let id = project.add_recording(&probe(&path)?)?;
        if let Some(recording) = project.recording_mut(id) {
            recording.fully_annotated = true;
            recording.split = match r {
                0 => Split::Validation,
                1 => Split::Test,
                _ => Split::Train,
            };
        }
        for (start_secs, end_secs, species) in &calls {
            selections.push(Selection {
                id: SelectionId(selections.len() as u64),
                recording: id,
                start_secs: *start_secs,
                end_secs: *end_secs,
                low_hz: 900.0,
                high_hz: 3_100.0,
                label: SPECIES[*species].to_owned(),
                kind: SelectionKind::Positive,
                extra: std::collections::BTreeMap::new(),
            });
        }
        demo.recordings.push((path, calls));
    }
    project.selections = SelectionSet::from_items(selections);
    project.save(&demo.project)?;
    Ok(demo)
}
