//! Window scores beside the project file. A run keeps every window's score so that a new
//! threshold re-merges at once; a season of surveys holds tens of millions of them, which inside
//! the project's JSON made every open and autosave slow. Each recording's scores of each run are
//! one small binary file under `<project>.scores/run-<id>/`, written once (atomically) and read
//! only when something needs them (a re-merge, an evaluation).
//!
//! Format, little-endian: the magic `SYRXSCOR`, a `u32` format version, the window length
//! (`f64` seconds), the window count `n` (`u64`), `n` window starts (`f64` seconds), `n`
//! scores (`f32`); from version 2 the band's envelope (see [`crate::detect::BandEnvelope`]):
//! a `u64` frame count `m` (0: none), and when `m > 0` its hop, first centre, low and high
//! edges (`f64` each), `m` levels and `m` loudest frequencies (`f32`); last a CRC-32 of
//! everything before it. Version 1 files (no envelope) are read as before.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Deserializer};

use crate::annotation::ProjectRecordingId;
use crate::detect::WindowScores;

const MAGIC: &[u8; 8] = b"SYRXSCOR";
/// The side-file format this version writes and reads.
pub const SCORE_FILE_VERSION: u32 = 2;
const HEADER_BYTES: usize = 8 + 4 + 8 + 8;
const EXTENSION: &str = "scores";

/// Why a score file could not be read or written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScoreFileError {
    #[error("cannot read window scores ({detail}): {}", path.display())]
    Read { path: PathBuf, detail: String },
    #[error("cannot write window scores ({detail}): {}", path.display())]
    Write { path: PathBuf, detail: String },
    #[error("damaged window-score file ({detail}): {}", path.display())]
    Damaged { path: PathBuf, detail: String },
    #[error("window-score file written by a newer Syrinx (format {found}, this one reads {SCORE_FILE_VERSION}): {}", path.display())]
    Newer { path: PathBuf, found: u32 },
}

/// The file that holds `recording`'s scores in run `run_id` of the project whose scores folder
/// is `scores_dir`.
#[must_use]
pub fn score_file(scores_dir: &Path, run_id: u32, recording: ProjectRecordingId) -> PathBuf {
    run_dir(scores_dir, run_id).join(format!("recording-{}.{EXTENSION}", recording.0))
}

fn run_dir(scores_dir: &Path, run_id: u32) -> PathBuf {
    scores_dir.join(format!("run-{run_id}"))
}

/// The bytes of a score file holding `scores`.
#[must_use]
pub fn encode(scores: &WindowScores) -> Vec<u8> {
    let count = scores.start_secs.len().min(scores.scores.len());
    let mut bytes = Vec::with_capacity(HEADER_BYTES + count * 12 + 4);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&SCORE_FILE_VERSION.to_le_bytes());
    bytes.extend_from_slice(&scores.window_secs.to_le_bytes());
    bytes.extend_from_slice(&(count as u64).to_le_bytes());
    for start in &scores.start_secs[..count] {
        bytes.extend_from_slice(&start.to_le_bytes());
    }
    for score in &scores.scores[..count] {
        bytes.extend_from_slice(&score.to_le_bytes());
    }
    match &scores.envelope {
        Some(envelope) if !envelope.level_db.is_empty() => {
            let frames = envelope.level_db.len().min(envelope.peak_hz.len());
            bytes.extend_from_slice(&(frames as u64).to_le_bytes());
            for value in [
                envelope.hop_secs,
                envelope.first_secs,
                envelope.low_hz,
                envelope.high_hz,
            ] {
                bytes.extend_from_slice(&value.to_le_bytes());
            }
            for value in envelope.level_db[..frames]
                .iter()
                .chain(&envelope.peak_hz[..frames])
            {
                bytes.extend_from_slice(&value.to_le_bytes());
            }
        }
        _ => bytes.extend_from_slice(&0_u64.to_le_bytes()),
    }
    let checksum = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    bytes
}

/// Reads the bytes of a score file (`path` names it in errors).
pub fn decode(bytes: &[u8], path: &Path) -> Result<WindowScores, ScoreFileError> {
    let damaged = |detail: &str| ScoreFileError::Damaged {
        path: path.to_path_buf(),
        detail: detail.to_owned(),
    };
    if bytes.len() < HEADER_BYTES + 4 || &bytes[..8] != MAGIC {
        return Err(damaged("not a Syrinx window-score file"));
    }
    let word =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let float = |at: usize| {
        let mut eight = [0_u8; 8];
        eight.copy_from_slice(&bytes[at..at + 8]);
        eight
    };
    let version = word(8);
    if version > SCORE_FILE_VERSION {
        return Err(ScoreFileError::Newer {
            path: path.to_path_buf(),
            found: version,
        });
    }
    let body = &bytes[..bytes.len() - 4];
    if crc32fast::hash(body) != word(bytes.len() - 4) {
        return Err(damaged(
            "checksum mismatch: the file was cut short or changed",
        ));
    }
    let window_secs = f64::from_le_bytes(float(12));
    let count = usize::try_from(u64::from_le_bytes(float(20)))
        .map_err(|_| damaged("window count out of range"))?;
    let scores_end = count
        .checked_mul(12)
        .and_then(|b| b.checked_add(HEADER_BYTES))
        .filter(|end| *end <= body.len())
        .ok_or_else(|| damaged("window count does not match the file's length"))?;
    let envelope = if version >= 2 {
        decode_envelope(&body[scores_end..]).ok_or_else(|| damaged("envelope cut short"))?
    } else if scores_end == body.len() {
        None
    } else {
        return Err(damaged("window count does not match the file's length"));
    };
    let starts_end = HEADER_BYTES + count * 8;
    Ok(WindowScores {
        window_secs,
        start_secs: body[HEADER_BYTES..starts_end]
            .chunks_exact(8)
            .map(f64_at)
            .collect(),
        scores: body[starts_end..scores_end]
            .chunks_exact(4)
            .map(f32_at)
            .collect(),
        envelope,
    })
}

fn f64_at(bytes: &[u8]) -> f64 {
    let mut eight = [0_u8; 8];
    eight.copy_from_slice(&bytes[..8]);
    f64::from_le_bytes(eight)
}

fn f32_at(bytes: &[u8]) -> f32 {
    f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// The envelope part of a version-2 body (exactly what follows the scores); `None` when its
/// length does not add up.
fn decode_envelope(bytes: &[u8]) -> Option<Option<crate::detect::BandEnvelope>> {
    let frames = usize::try_from(u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?)).ok()?;
    if frames == 0 {
        return (bytes.len() == 8).then_some(None);
    }
    let values_at = 8 + 4 * 8;
    if frames.checked_mul(8)?.checked_add(values_at)? != bytes.len() {
        return None;
    }
    let header: Vec<f64> = bytes[8..values_at].chunks_exact(8).map(f64_at).collect();
    let values: Vec<f32> = bytes[values_at..].chunks_exact(4).map(f32_at).collect();
    let (level_db, peak_hz) = values.split_at(frames);
    Some(Some(crate::detect::BandEnvelope {
        hop_secs: header[0],
        first_secs: header[1],
        low_hz: header[2],
        high_hz: header[3],
        level_db: level_db.to_vec(),
        peak_hz: peak_hz.to_vec(),
    }))
}

/// Reads the score file at `path`.
pub fn read(path: &Path) -> Result<WindowScores, ScoreFileError> {
    let bytes = std::fs::read(path).map_err(|e| ScoreFileError::Read {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    decode(&bytes, path)
}

/// Removes the folders of runs not in `run_ids` and, in the others, the files of recordings
/// the run no longer holds (`keep(run_id, recording)`). Best effort: a file that cannot be
/// removed stays, unused.
pub fn prune(scores_dir: &Path, keep: impl Fn(u32, Option<ProjectRecordingId>) -> bool) {
    let Ok(runs) = std::fs::read_dir(scores_dir) else {
        return;
    };
    for entry in runs.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(run_id) = name
            .to_str()
            .and_then(|n| n.strip_prefix("run-"))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if !keep(run_id, None) {
            let _ = std::fs::remove_dir_all(entry.path());
            continue;
        }
        let Ok(files) = std::fs::read_dir(entry.path()) else {
            continue;
        };
        for file in files.filter_map(Result::ok) {
            let name = file.file_name();
            let recording = name
                .to_str()
                .and_then(|n| n.strip_prefix("recording-"))
                .and_then(|n| n.strip_suffix(&format!(".{EXTENSION}")))
                .and_then(|n| n.parse::<u32>().ok())
                .map(ProjectRecordingId);
            if let Some(recording) = recording
                && !keep(run_id, Some(recording))
            {
                let _ = std::fs::remove_file(file.path());
            }
        }
    }
}

/// One recording's window scores in a run: in memory, in a side file, or both. Scores never
/// change once made (scoring again makes a new one), so clones share one slot: a save made from
/// a clone (the app saves a copy on a worker) marks the original as written too, and a load
/// made through a clone is not repeated.
#[derive(Clone, Default)]
pub struct StoredScores(Arc<Mutex<Slot>>);

#[derive(Default)]
struct Slot {
    memory: Option<Arc<WindowScores>>,
    /// Where they are on disk.
    file: Option<PathBuf>,
}

impl StoredScores {
    /// Scores just made (not on disk yet).
    #[must_use]
    pub fn in_memory(scores: WindowScores) -> Self {
        Self(Arc::new(Mutex::new(Slot {
            memory: Some(Arc::new(scores)),
            file: None,
        })))
    }

    /// Scores in the file at `path`, read when first asked for.
    #[must_use]
    pub fn on_disk(path: PathBuf) -> Self {
        Self(Arc::new(Mutex::new(Slot {
            memory: None,
            file: Some(path),
        })))
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Slot> {
        // A panic while holding the lock leaves the slot as it was: still usable.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The scores, read from their file the first time.
    pub fn get(&self) -> Result<Arc<WindowScores>, ScoreFileError> {
        let mut slot = self.slot();
        if let Some(memory) = &slot.memory {
            return Ok(Arc::clone(memory));
        }
        let Some(path) = slot.file.clone() else {
            return Ok(Arc::new(WindowScores::default()));
        };
        let scores = Arc::new(read(&path)?);
        slot.memory = Some(Arc::clone(&scores));
        Ok(scores)
    }

    /// Whether the scores are in memory (read, or not saved yet).
    #[must_use]
    pub fn is_loaded(&self) -> bool {
        self.slot().memory.is_some()
    }

    /// The file the scores are in, once saved or when loaded from a project.
    #[must_use]
    pub fn file(&self) -> Option<PathBuf> {
        self.slot().file.clone()
    }

    /// Attaches the file of a loaded project to scores that are not in memory.
    pub(crate) fn attach_file(&self, path: PathBuf) {
        let mut slot = self.slot();
        if slot.memory.is_none() {
            slot.file = Some(path);
        }
    }

    /// Makes sure the scores are in the file at `path` (a save, or a save under a new name):
    /// writes only when they are not there yet. Returns whether it wrote.
    pub fn store_at(&self, path: &Path) -> Result<bool, ScoreFileError> {
        let mut slot = self.slot();
        if slot.file.as_deref() == Some(path) {
            return Ok(false);
        }
        let write_error = |detail: String| ScoreFileError::Write {
            path: path.to_path_buf(),
            detail,
        };
        let bytes = match (&slot.memory, &slot.file) {
            (Some(memory), _) => encode(memory),
            // Saved under a new name: copy the old file, checked, without keeping it in memory.
            (None, Some(old)) => {
                let bytes = std::fs::read(old).map_err(|e| ScoreFileError::Read {
                    path: old.clone(),
                    detail: e.to_string(),
                })?;
                decode(&bytes, old)?;
                bytes
            }
            (None, None) => encode(&WindowScores::default()),
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| write_error(e.to_string()))?;
        }
        crate::util::fsutil::write_atomically(path, &bytes)
            .map_err(|e| write_error(e.to_string()))?;
        slot.file = Some(path.to_path_buf());
        Ok(true)
    }
}

impl std::fmt::Debug for StoredScores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let slot = self.slot();
        f.debug_struct("StoredScores")
            .field("windows", &slot.memory.as_ref().map(|m| m.scores.len()))
            .field("file", &slot.file)
            .finish()
    }
}

impl PartialEq for StoredScores {
    /// The same scores (read from disk to compare when needed); scores that cannot be read are
    /// equal only to the same file.
    fn eq(&self, other: &Self) -> bool {
        if Arc::ptr_eq(&self.0, &other.0) {
            return true;
        }
        match (self.get(), other.get()) {
            (Ok(a), Ok(b)) => a == b,
            _ => self.file().is_some() && self.file() == other.file(),
        }
    }
}

impl From<WindowScores> for StoredScores {
    fn from(scores: WindowScores) -> Self {
        Self::in_memory(scores)
    }
}

/// Projects of schema 1 hold each run's scores inline: they are read into memory and go to
/// side files at the next save.
impl<'de> Deserialize<'de> for StoredScores {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        WindowScores::deserialize(deserializer).map(Self::in_memory)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> WindowScores {
        WindowScores {
            window_secs: 1.05,
            start_secs: (0..100).map(|i| f64::from(i) * 0.175).collect(),
            scores: (0..100).map(|i| (i as f32 / 100.0).sin().abs()).collect(),
            envelope: Some(crate::detect::BandEnvelope {
                hop_secs: 0.02,
                first_secs: 0.01,
                low_hz: 2_000.0,
                high_hz: 6_000.0,
                level_db: (0..900).map(|i| -60.0 + (i % 7) as f32).collect(),
                peak_hz: (0..900)
                    .map(|i| 2_000.0 + (i % 40) as f32 * 100.0)
                    .collect(),
            }),
        }
    }

    #[test]
    fn encode_then_decode_gives_the_same_scores_bit_for_bit() {
        let scores = sample();
        let bytes = encode(&scores);
        assert_eq!(
            bytes.len(),
            HEADER_BYTES + 100 * 12 + 8 + 4 * 8 + 900 * 8 + 4
        );
        assert_eq!(decode(&bytes, Path::new("x")).unwrap(), scores);
        let bare = WindowScores {
            envelope: None,
            ..sample()
        };
        assert_eq!(decode(&encode(&bare), Path::new("x")).unwrap(), bare);
        let empty = WindowScores::default();
        assert_eq!(decode(&encode(&empty), Path::new("x")).unwrap(), empty);
    }

    #[test]
    fn a_version_1_file_reads_as_scores_without_an_envelope() {
        let bare = WindowScores {
            envelope: None,
            ..sample()
        };
        // Version 1: no envelope count after the scores.
        let mut bytes = encode(&bare);
        bytes.truncate(bytes.len() - 4 - 8);
        bytes[8..12].copy_from_slice(&1_u32.to_le_bytes());
        let checksum = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&checksum.to_le_bytes());
        assert_eq!(decode(&bytes, Path::new("x")).unwrap(), bare);
    }

    #[test]
    fn a_changed_byte_a_cut_file_and_a_newer_format_are_errors_naming_the_file() {
        let bytes = encode(&sample());
        let path = Path::new("/survey/run-1/recording-3.scores");
        let mut flipped = bytes.clone();
        flipped[HEADER_BYTES + 17] ^= 0x40;
        let error = decode(&flipped, path).unwrap_err();
        assert!(matches!(error, ScoreFileError::Damaged { .. }), "{error}");
        assert!(error.to_string().contains("recording-3.scores"), "{error}");
        assert!(matches!(
            decode(&bytes[..bytes.len() - 9], path),
            Err(ScoreFileError::Damaged { .. })
        ));
        assert!(matches!(
            decode(b"", path),
            Err(ScoreFileError::Damaged { .. })
        ));
        let mut newer = bytes;
        newer[8] = 9;
        assert!(matches!(
            decode(&newer, path),
            Err(ScoreFileError::Newer { found: 9, .. })
        ));
    }

    #[test]
    fn a_slot_writes_once_per_place_and_reads_lazily() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("a/run-1/recording-0.scores");
        let second = dir.path().join("b/run-1/recording-0.scores");
        let stored = StoredScores::in_memory(sample());
        let clone = stored.clone();
        assert!(clone.store_at(&first).unwrap(), "the first save writes");
        assert!(!stored.store_at(&first).unwrap(), "a clone's save counts");
        let lazy = StoredScores::on_disk(first.clone());
        assert!(!lazy.is_loaded());
        // Saved under a new name: copied without being kept in memory.
        assert!(lazy.store_at(&second).unwrap());
        assert!(!lazy.is_loaded());
        assert_eq!(*lazy.get().unwrap(), sample());
        assert!(lazy.is_loaded());
        assert_eq!(read(&second).unwrap(), sample());
        let missing = StoredScores::on_disk(dir.path().join("gone.scores"));
        let error = missing.get().unwrap_err();
        assert!(error.to_string().contains("gone.scores"), "{error}");
    }

    #[test]
    fn prune_removes_runs_and_recordings_that_are_gone() {
        let dir = tempfile::tempdir().unwrap();
        for (run, recording) in [(1, 0), (1, 1), (2, 0)] {
            StoredScores::in_memory(sample())
                .store_at(&score_file(dir.path(), run, ProjectRecordingId(recording)))
                .unwrap();
        }
        prune(dir.path(), |run, recording| {
            run == 1 && recording.is_none_or(|r| r.0 == 0)
        });
        assert!(score_file(dir.path(), 1, ProjectRecordingId(0)).exists());
        assert!(!score_file(dir.path(), 1, ProjectRecordingId(1)).exists());
        assert!(!run_dir(dir.path(), 2).exists());
    }
}
