//! A detection batch's journal in its output folder, so a batch killed halfway (a cluster job
//! out of time, `kill -9`, a power cut) resumes where it stopped when run again with the same
//! output folder: finished files are not scored again.
//!
//! `OUT/.syrinx-batch.jsonl` holds one JSON line saying what the batch is (model, hop, merge
//! settings, table format: a batch with other settings starts afresh), then one line per file
//! finished, appended and flushed to disk only after that file's table was written (atomically),
//! so a line names only a file whose table is whole. A line cut short by the kill is dropped and
//! its file scored again. With `--project`, each file's window scores are kept beside the
//! journal (`.syrinx-batch-scores/`) so the resumed run still holds every file's scores.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::detect::{Detection, WindowScores};

/// The journal's file name in the output folder.
pub const JOURNAL_FILE: &str = ".syrinx-batch.jsonl";
/// The folder beside it for window scores (batches storing a run in a project).
pub const SCORES_DIR: &str = ".syrinx-batch-scores";

/// What a batch is: a journal written with another key is not resumed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalKey {
    /// The model's folder and its `created` stamp.
    pub model: String,
    pub hop_secs: f64,
    /// The merge settings and, for a multi-class model, each class's threshold.
    pub settings: serde_json::Value,
    /// The tables' format.
    pub format: String,
    /// Whether window scores are kept (a run stored in a project).
    pub keeps_scores: bool,
}

/// One finished file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub file: PathBuf,
    /// Size and modification time when scored: a file changed since is scored again.
    pub size_bytes: u64,
    pub modified_unix_secs: Option<f64>,
    pub audio_secs: f64,
    /// Detections per class (one list for a one-class model).
    pub detections: Vec<Vec<Detection>>,
    /// Score files in [`SCORES_DIR`], one per class (empty unless scores are kept).
    #[serde(default)]
    pub scores: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Line {
    Key(JournalKey),
    Done(JournalEntry),
}

/// How opening a journal went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// No journal: a new batch.
    New,
    /// The same batch: its finished files are skipped.
    Resumed { finished: usize },
    /// A journal of another batch (another model or settings): started afresh.
    Replaced,
}

/// An open journal.
#[derive(Debug)]
pub struct BatchJournal {
    file: std::fs::File,
    path: PathBuf,
    scores_dir: PathBuf,
    done: std::collections::HashMap<PathBuf, JournalEntry>,
    /// Lines recorded (score files are numbered by it: never reused within a batch).
    recorded: usize,
}

/// Errors of the journal (each names its file).
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot use the batch journal: {detail}: {}", path.display())]
    Io { path: PathBuf, detail: String },
    #[error("another batch is writing to this output folder (use another --out, or wait for it to end): {}", path.display())]
    Busy { path: PathBuf },
}

fn size_and_time(path: &Path) -> Option<(u64, Option<f64>)> {
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64());
    Some((meta.len(), modified))
}

impl BatchJournal {
    /// Opens the journal of the batch `key` in `out` (created), keeping the files it finished.
    pub fn open(out: &Path, key: &JournalKey) -> Result<(Self, Opened), JournalError> {
        let path = out.join(JOURNAL_FILE);
        let io_error = |e: std::io::Error| JournalError::Io {
            path: path.clone(),
            detail: e.to_string(),
        };
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_error)?;
        // One batch per output folder: two would interleave their tables and journal lines.
        // The OS lock goes with the process, however it ends.
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(JournalError::Busy { path }),
            Err(std::fs::TryLockError::Error(e)) => return Err(io_error(e)),
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io_error)?;
        // Whole lines only: whatever follows the last newline was cut short by a kill.
        let whole = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let mut lines = bytes[..whole]
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(serde_json::from_slice::<Line>);
        let same = matches!(lines.next(), Some(Ok(Line::Key(k))) if k == *key);
        let mut done = std::collections::HashMap::new();
        let mut recorded = 0;
        let opened = if same {
            for line in lines {
                if let Ok(Line::Done(entry)) = line {
                    recorded += 1;
                    done.insert(entry.file.clone(), entry);
                }
            }
            file.set_len(whole as u64).map_err(io_error)?;
            Opened::Resumed {
                finished: done.len(),
            }
        } else {
            let opened = if bytes.is_empty() {
                Opened::New
            } else {
                Opened::Replaced
            };
            let _ = std::fs::remove_dir_all(out.join(SCORES_DIR));
            file.set_len(0).map_err(io_error)?;
            let mut line =
                serde_json::to_vec(&Line::Key(key.clone())).map_err(|e| JournalError::Io {
                    path: path.clone(),
                    detail: e.to_string(),
                })?;
            line.push(b'\n');
            file.write_all(&line).map_err(io_error)?;
            file.sync_data().map_err(io_error)?;
            opened
        };
        file.seek(SeekFrom::End(0)).map_err(io_error)?;
        let journal = Self {
            file,
            scores_dir: out.join(SCORES_DIR),
            path,
            done,
            recorded,
        };
        Ok((journal, opened))
    }

    /// The entry of `file` if this batch finished it and the file has not changed since.
    #[must_use]
    pub fn finished(&self, file: &Path) -> Option<&JournalEntry> {
        let entry = self.done.get(file)?;
        let (size, modified) = size_and_time(file)?;
        (size == entry.size_bytes && modified == entry.modified_unix_secs).then_some(entry)
    }

    /// Records `file` as finished, with its detections per class and, when kept, its scores
    /// per class. Call only once its table is written.
    pub fn record(
        &mut self,
        file: &Path,
        audio_secs: f64,
        detections: Vec<Vec<Detection>>,
        scores: &[&WindowScores],
    ) -> Result<(), JournalError> {
        let io_error = |path: &Path, e: std::io::Error| JournalError::Io {
            path: path.to_path_buf(),
            detail: e.to_string(),
        };
        let (size_bytes, modified_unix_secs) = size_and_time(file).unwrap_or((0, None));
        let mut names = Vec::new();
        if !scores.is_empty() {
            std::fs::create_dir_all(&self.scores_dir).map_err(|e| io_error(&self.scores_dir, e))?;
        }
        for (class, class_scores) in scores.iter().enumerate() {
            let name = format!("{:06}-{class}.scores", self.recorded);
            let path = self.scores_dir.join(&name);
            crate::util::fsutil::write_atomically(
                &path,
                &crate::project::score_files::encode(class_scores),
            )
            .map_err(|e| io_error(&path, e))?;
            names.push(name);
        }
        let entry = JournalEntry {
            file: file.to_path_buf(),
            size_bytes,
            modified_unix_secs,
            audio_secs,
            detections,
            scores: names,
        };
        let mut line = serde_json::to_vec(&Line::Done(entry.clone()))
            .map_err(|e| io_error(&self.path, std::io::Error::other(e)))?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| io_error(&self.path, e))?;
        self.recorded += 1;
        self.done.insert(entry.file.clone(), entry);
        Ok(())
    }

    /// The window scores an entry kept, per class.
    pub fn scores(
        &self,
        entry: &JournalEntry,
    ) -> Result<Vec<WindowScores>, crate::workflow::detect::FileFailed> {
        entry
            .scores
            .iter()
            .map(|name| {
                crate::project::score_files::read(&self.scores_dir.join(name))
                    .map_err(|e| crate::workflow::detect::FileFailed::new(&entry.file, e))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(hop_secs: f64) -> JournalKey {
        JournalKey {
            model: "m".to_owned(),
            hop_secs,
            settings: serde_json::Value::Null,
            format: "raven".to_owned(),
            keeps_scores: false,
        }
    }

    fn detection(start_secs: f64) -> Detection {
        Detection {
            start_secs,
            end_secs: start_secs + 1.0,
            max_score: 0.9,
            mean_score: 0.8,
            windows: 2,
            band_hz: None,
        }
    }

    #[test]
    fn a_journal_resumes_drops_a_cut_line_and_forgets_another_batch() {
        let dir = tempfile::tempdir().unwrap();
        let audio: Vec<PathBuf> = (0..3)
            .map(|i| {
                let path = dir.path().join(format!("{i}.wav"));
                std::fs::write(&path, [i as u8; 10]).unwrap();
                path
            })
            .collect();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let (mut journal, opened) = BatchJournal::open(&out, &key(0.5)).unwrap();
        assert_eq!(opened, Opened::New);
        journal
            .record(&audio[0], 1.0, vec![vec![detection(0.2)]], &[])
            .unwrap();
        journal.record(&audio[1], 1.0, vec![vec![]], &[]).unwrap();
        drop(journal);
        // Killed while writing the third line.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(out.join(JOURNAL_FILE))
            .unwrap();
        file.write_all(b"{\"done\":{\"file\":\"").unwrap();
        drop(file);

        let (mut journal, opened) = BatchJournal::open(&out, &key(0.5)).unwrap();
        assert_eq!(opened, Opened::Resumed { finished: 2 });
        assert_eq!(
            journal.finished(&audio[0]).unwrap().detections,
            vec![vec![detection(0.2)]]
        );
        assert!(journal.finished(&audio[2]).is_none());
        journal.record(&audio[2], 1.0, vec![vec![]], &[]).unwrap();
        drop(journal);
        let (journal, _) = BatchJournal::open(&out, &key(0.5)).unwrap();
        assert!(
            journal.finished(&audio[2]).is_some(),
            "appended after the cut line"
        );

        // A file changed since is scored again.
        std::fs::write(&audio[1], [9_u8; 12]).unwrap();
        assert!(journal.finished(&audio[1]).is_none());
        drop(journal);
        // Another hop is another batch.
        let (journal, opened) = BatchJournal::open(&out, &key(0.25)).unwrap();
        assert_eq!(opened, Opened::Replaced);
        assert!(journal.finished(&audio[0]).is_none());
        // A second batch into the same folder at once is refused, by name.
        let error = BatchJournal::open(&out, &key(0.25))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("another batch") && error.contains(JOURNAL_FILE),
            "{error}"
        );
    }
}
