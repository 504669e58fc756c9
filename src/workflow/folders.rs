//! Reading a folder of recordings with their selection tables (File > Open folder in the app,
//! `syrinx project add DIR` on the command line): each recording probed and fingerprinted, each
//! paired table parsed, every failure kept with the file it names.

use std::path::{Path, PathBuf};

use crate::annotation::{AnnotationError, ParsedTable, read_table};
use crate::audio::{RecordingInfo, probe};
use crate::project::{fingerprint, pair_folder};

/// Audio and tables found in a folder.
#[derive(Debug, Default)]
pub struct FolderContents {
    /// Recordings that opened, with their size and fingerprint.
    pub recordings: Vec<(RecordingInfo, u64, String)>,
    /// Tables with the recording they are paired with, if any: `(audio, table, parsed or why
    /// not)`.
    pub tables: Vec<(
        Option<PathBuf>,
        PathBuf,
        Result<ParsedTable, AnnotationError>,
    )>,
    /// Files that could not be read (each message names its file).
    pub errors: Vec<String>,
}

/// Why a folder could not be read at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FolderError {
    #[error("cannot read the folder: {detail}: {}", path.display())]
    List { path: PathBuf, detail: String },
}

/// Probes the folder's recordings and reads the tables paired with them (slow: call it off the
/// user-interface thread).
pub fn read_folder(dir: &Path) -> Result<FolderContents, FolderError> {
    if !dir.is_dir() {
        return Err(FolderError::List {
            path: dir.to_path_buf(),
            detail: "not a folder".to_owned(),
        });
    }
    read_additions(&[dir.to_path_buf()], &[])
}

/// Probes `audio` (files, and folders whose audio is paired with same-stem tables) and reads
/// those tables and the unpaired `tables` (slow: call it off the user-interface thread).
pub fn read_additions(
    audio: &[PathBuf],
    tables: &[PathBuf],
) -> Result<FolderContents, FolderError> {
    let mut pairs: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    for path in audio {
        if path.is_dir() {
            pairs.extend(pair_folder(path).map_err(|e| FolderError::List {
                path: path.clone(),
                detail: e.to_string(),
            })?);
        } else {
            pairs.push((path.clone(), None));
        }
    }
    let mut contents = FolderContents::default();
    for (audio, table) in pairs {
        let info = match probe(&audio) {
            Ok(info) => info,
            Err(error) => {
                contents.errors.push(error.to_string());
                continue;
            }
        };
        match fingerprint(&audio) {
            Ok((size, print)) => contents.recordings.push((info, size, print)),
            Err(error) => {
                contents
                    .errors
                    .push(format!("cannot read {}: {error}", audio.display()));
                continue;
            }
        }
        if let Some(table) = table {
            let parsed = read_table(&table);
            contents.tables.push((Some(audio), table, parsed));
        }
    }
    for table in tables {
        contents
            .tables
            .push((None, table.clone(), read_table(table)));
    }
    Ok(contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_gives_its_recordings_tables_and_errors_and_a_missing_one_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let samples: Vec<f32> = (0..22_050).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
        crate::audio::write_wav(
            &dir.path().join("night.wav"),
            &samples,
            22_050,
            crate::audio::WavEncoding::Pcm16,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("night.Table.1.selections.txt"),
            "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\n1\tSpectrogram 1\t1\t0.1\t0.4\t500\t2000\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("broken.wav"), b"RIFF not audio").unwrap();
        let contents = read_folder(dir.path()).unwrap();
        assert_eq!(contents.recordings.len(), 1);
        assert_eq!(contents.tables.len(), 1);
        assert!(
            contents.tables[0]
                .2
                .as_ref()
                .is_ok_and(|t| t.rows.len() == 1)
        );
        assert_eq!(contents.errors.len(), 1);
        assert!(
            contents.errors[0].contains("broken.wav"),
            "{:?}",
            contents.errors
        );
        let missing = read_folder(&dir.path().join("gone")).unwrap_err();
        assert!(missing.to_string().contains("gone"), "{missing}");
    }
}
