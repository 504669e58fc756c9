//! Embedding indexes on disk: one file per recording and embedding, named by the recording's
//! fingerprint (so a moved file keeps its index and a changed one gets a new one), under a
//! folder named by the embedding's settings. The format: a magic number and version, the time
//! step and window length, the dimensions with their frequency ranges, the rows, and a CRC-32; written atomically.

use std::path::{Path, PathBuf};

use super::EmbeddingIndex;
use crate::project::ProjectRecording;

const MAGIC: &[u8; 8] = b"SYRXEMBD";
/// The index format this version writes and reads.
pub const INDEX_FILE_VERSION: u32 = 1;
const HEADER_BYTES: usize = 8 + 4 + 8 + 8 + 4 + 8;

/// Why an index file could not be read or written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IndexFileError {
    #[error("cannot read an embedding index ({detail}): {}", path.display())]
    Read { path: PathBuf, detail: String },
    #[error("cannot write an embedding index ({detail}): {}", path.display())]
    Write { path: PathBuf, detail: String },
    #[error("damaged embedding index ({detail}): {}", path.display())]
    Damaged { path: PathBuf, detail: String },
}

/// The file of `recording`'s index under `dir` for the embedding called `key`.
#[must_use]
pub fn index_file(dir: &Path, key: &str, recording: &ProjectRecording) -> PathBuf {
    let name = if recording.fingerprint.is_empty() {
        format!("recording-{}", recording.id.0)
    } else {
        recording.fingerprint.clone()
    };
    dir.join(key).join(format!("{name}.emb"))
}

#[must_use]
pub fn encode(index: &EmbeddingIndex) -> Vec<u8> {
    let rows = index.rows();
    let mut bytes = Vec::with_capacity(HEADER_BYTES + index.dims * 16 + index.values.len() * 4 + 4);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&INDEX_FILE_VERSION.to_le_bytes());
    bytes.extend_from_slice(&index.step_secs.to_le_bytes());
    bytes.extend_from_slice(&index.window_secs.to_le_bytes());
    bytes.extend_from_slice(&u32::try_from(index.dims).unwrap_or(u32::MAX).to_le_bytes());
    bytes.extend_from_slice(&(rows as u64).to_le_bytes());
    for (low, high) in &index.dim_hz {
        bytes.extend_from_slice(&low.to_le_bytes());
        bytes.extend_from_slice(&high.to_le_bytes());
    }
    for value in &index.values[..rows * index.dims] {
        bytes.extend_from_slice(&value.to_le_bytes());
    }
    let checksum = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    bytes
}

pub fn decode(bytes: &[u8], path: &Path) -> Result<EmbeddingIndex, IndexFileError> {
    let damaged = |detail: &str| IndexFileError::Damaged {
        path: path.to_path_buf(),
        detail: detail.to_owned(),
    };
    if bytes.len() < HEADER_BYTES + 4 || &bytes[..8] != MAGIC {
        return Err(damaged("not a Syrinx embedding index"));
    }
    let body = &bytes[..bytes.len() - 4];
    let word =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let eight = |at: usize| {
        let mut b = [0_u8; 8];
        b.copy_from_slice(&bytes[at..at + 8]);
        b
    };
    if word(8) != INDEX_FILE_VERSION {
        return Err(damaged("another format version"));
    }
    if crc32fast::hash(body) != word(bytes.len() - 4) {
        return Err(damaged(
            "checksum mismatch: the file was cut short or changed",
        ));
    }
    let step_secs = f64::from_le_bytes(eight(12));
    let window_secs = f64::from_le_bytes(eight(20));
    let dims = word(28) as usize;
    let rows = usize::try_from(u64::from_le_bytes(eight(32)))
        .map_err(|_| damaged("row count out of range"))?;
    let values_at = HEADER_BYTES + dims * 16;
    if rows
        .checked_mul(dims)
        .and_then(|n| n.checked_mul(4))
        .and_then(|n| n.checked_add(values_at))
        != Some(body.len())
    {
        return Err(damaged("the sizes do not match the file's length"));
    }
    let float = |chunk: &[u8]| {
        let mut b = [0_u8; 8];
        b.copy_from_slice(chunk);
        f64::from_le_bytes(b)
    };
    let dim_hz = body[HEADER_BYTES..values_at]
        .chunks_exact(16)
        .map(|c| (float(&c[..8]), float(&c[8..])))
        .collect();
    let values = body[values_at..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Ok(EmbeddingIndex {
        step_secs,
        window_secs,
        dims,
        dim_hz,
        values,
    })
}

pub fn read(path: &Path) -> Result<EmbeddingIndex, IndexFileError> {
    let bytes = std::fs::read(path).map_err(|e| IndexFileError::Read {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    decode(&bytes, path)
}

/// Writes `index` to `path` atomically (creating its folder).
pub fn write(path: &Path, index: &EmbeddingIndex) -> Result<(), IndexFileError> {
    let error = |detail: String| IndexFileError::Write {
        path: path.to_path_buf(),
        detail,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| error(e.to_string()))?;
    }
    crate::util::fsutil::write_atomically(path, &encode(index)).map_err(|e| error(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> EmbeddingIndex {
        EmbeddingIndex {
            step_secs: 0.04,
            window_secs: 0.0,
            dims: 2,
            dim_hz: vec![(0.0, 500.0), (500.0, 1000.0)],
            values: vec![1.0, -2.5, 3.25, 4.0, f32::MIN_POSITIVE, 0.0],
        }
    }

    #[test]
    fn an_index_reads_back_exactly_and_damage_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b.emb");
        write(&path, &index()).unwrap();
        assert_eq!(read(&path).unwrap(), index());
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.truncate(bytes.len() - 3);
        let error = decode(&bytes, &path).unwrap_err();
        assert!(matches!(error, IndexFileError::Damaged { .. }), "{error}");
        assert!(error.to_string().contains("b.emb"));
        let mut bytes = encode(&index());
        bytes[HEADER_BYTES + 40] ^= 1;
        assert!(decode(&bytes, &path).is_err());
    }
}
