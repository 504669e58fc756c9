//! Selections written out as WAV clips (with padding), one folder per kind and label, named
//! `<recording>_<start>_<end>.wav`: the clip folders people train Python models on, and the
//! `neg_iteration_NN/` habit of the recogniser workshops.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::annotation::{ProjectRecordingId, Selection};
use crate::audio::{AudioError, AudioReader, WavEncoding, write_wav};
use crate::project::Project;

/// Errors while exporting clips.
#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    #[error("cannot create the clip folder: {detail}: {}", path.display())]
    Folder { path: PathBuf, detail: String },
    #[error(transparent)]
    Audio(#[from] AudioError),
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClipExport {
    pub written: Vec<PathBuf>,
    /// Recordings that could not be read (the rest were exported), with why.
    pub failed: Vec<String>,
}

/// Writes each selection as a clip padded by `padding_secs` on both sides (clamped to the
/// recording) into `out_dir/<kind>/<label>/`.
pub fn export_clips(
    project: &Project,
    selections: &[&Selection],
    out_dir: &Path,
    padding_secs: f64,
) -> Result<ClipExport, ClipError> {
    write_clips(project, selections, padding_secs, |selection| {
        out_dir
            .join(selection.kind.name())
            .join(folder_name(&selection.label))
    })
}

/// The folder of hard negatives added at `iteration`: `neg_iteration_NN` in `project_dir`.
#[must_use]
pub fn negative_iteration_dir(project_dir: &Path, iteration: u32) -> PathBuf {
    project_dir.join(format!("neg_iteration_{iteration:02}"))
}

/// Writes each selection as a clip padded by `padding_secs` straight into `out_dir` (the
/// workshops' flat `neg_iteration_NN/` folders).
pub fn export_clips_flat(
    project: &Project,
    selections: &[&Selection],
    out_dir: &Path,
    padding_secs: f64,
) -> Result<ClipExport, ClipError> {
    write_clips(project, selections, padding_secs, |_| out_dir.to_path_buf())
}

fn write_clips(
    project: &Project,
    selections: &[&Selection],
    padding_secs: f64,
    folder_of: impl Fn(&Selection) -> PathBuf,
) -> Result<ClipExport, ClipError> {
    let mut export = ClipExport::default();
    // Two sites' clips at the same times must not overwrite each other: names among the project.
    let stems = project.recording_stems();
    let mut by_recording: BTreeMap<ProjectRecordingId, Vec<&Selection>> = BTreeMap::new();
    for selection in selections {
        by_recording
            .entry(selection.recording)
            .or_default()
            .push(selection);
    }
    for (recording_id, group) in by_recording {
        let Some(recording) = project.recording(recording_id) else {
            continue;
        };
        let mut reader = match AudioReader::open(&recording.path) {
            Ok(reader) => reader,
            Err(error) => {
                export.failed.push(error.to_string());
                continue;
            }
        };
        let rate = reader.info().sample_rate_hz;
        let stem = stems.get(&recording_id).cloned().unwrap_or_default();
        for selection in group {
            let folder = folder_of(selection);
            std::fs::create_dir_all(&folder).map_err(|e| ClipError::Folder {
                path: folder.clone(),
                detail: e.to_string(),
            })?;
            let samples = reader.read_secs(
                selection.start_secs - padding_secs,
                selection.end_secs + padding_secs,
            )?;
            let path = folder.join(format!(
                "{stem}_{:.3}_{:.3}.wav",
                selection.start_secs, selection.end_secs
            ));
            write_wav(&path, &samples, rate, WavEncoding::Pcm16)?;
            export.written.push(path);
        }
    }
    Ok(export)
}

/// A label as a folder name (no separators or characters file systems refuse).
fn folder_name(label: &str) -> String {
    let name: String = label
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = name.trim_matches('.').trim().to_owned();
    if name.is_empty() {
        "unlabelled".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_become_safe_folder_names() {
        assert_eq!(folder_name("syrinx warbler"), "syrinx warbler");
        assert_eq!(folder_name("a/b\\c:d"), "a_b_c_d");
        assert_eq!(folder_name(".."), "unlabelled");
        assert_eq!(folder_name(""), "unlabelled");
    }
}
