//! "Find more like this": rank every stretch of a project's recordings by how much it looks
//! like a box the user drew. Each recording is first summarised as an embedding index
//! ([`EmbeddingIndex`]): the spectrogram pooled into coarse time × frequency cells
//! ([`patch`], which needs no model), stored in a side file ([`store`]) so it is computed once.
//! A query is the box's own cells; every position of every recording is scored by Pearson
//! correlation with it (template matching on the pooled spectrogram, insensitive to gain), and
//! the best positions that do not overlap each other are the matches.

pub mod duplicates;
pub mod network;
pub mod patch;
pub mod store;

use std::path::PathBuf;

use crate::annotation::ProjectRecordingId;

pub use patch::{PatchSpec, patch_index};

/// Errors finding similar windows.
#[derive(Debug, thiserror::Error)]
pub enum SimilarError {
    #[error(transparent)]
    Audio(#[from] crate::audio::AudioError),
    #[error("the spectrogram cannot be computed: {0}")]
    Dsp(#[from] crate::dsp::DspError),
    #[error(
        "the box at {start_secs:.2}–{end_secs:.2} s is not inside its recording ({duration_secs:.2} s)"
    )]
    OutsideRecording {
        start_secs: f64,
        end_secs: f64,
        duration_secs: f64,
    },
    #[error("the query's recording has no embedding index")]
    NoQueryIndex,
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
    #[error(transparent)]
    Scoring(crate::scoring::DetectError),
    #[error(transparent)]
    Embed(crate::embed::EmbedError),
    #[error("cancelled")]
    Cancelled,
}

impl From<crate::embed::EmbedError> for SimilarError {
    fn from(error: crate::embed::EmbedError) -> Self {
        match error {
            crate::embed::EmbedError::Cancelled => Self::Cancelled,
            crate::embed::EmbedError::Audio(e) => Self::Audio(e),
            other => Self::Embed(other),
        }
    }
}

/// A recording summarised for matching: `rows` time steps `step_secs` apart (row `r` covers
/// `[r·step, (r+1)·step)`), each `dims` values (frequency cells, low to high), row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingIndex {
    pub step_secs: f64,
    /// For an index of windows (a network's embeddings: row `r` is the window starting at
    /// `r·step`), their length; 0 for an index of cells (the pooled spectrogram).
    pub window_secs: f64,
    pub dims: usize,
    /// The frequency range of each dimension, Hz (for band-limited queries).
    pub dim_hz: Vec<(f64, f64)>,
    pub values: Vec<f32>,
}

impl EmbeddingIndex {
    #[must_use]
    pub fn rows(&self) -> usize {
        self.values.len() / self.dims.max(1)
    }

    #[must_use]
    pub fn row(&self, row: usize) -> &[f32] {
        &self.values[row * self.dims..(row + 1) * self.dims]
    }

    #[must_use]
    pub fn duration_secs(&self) -> f64 {
        self.rows() as f64 * self.step_secs
    }
}

/// An index's rows as plain embeddings (its dimensions' bands left out).
impl From<EmbeddingIndex> for crate::embed::Embeddings {
    fn from(index: EmbeddingIndex) -> Self {
        Self {
            step_secs: index.step_secs,
            window_secs: index.window_secs,
            dims: index.dims,
            values: index.values,
        }
    }
}

/// The box to find more of.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueryBox {
    pub recording: ProjectRecordingId,
    pub start_secs: f64,
    pub end_secs: f64,
    pub low_hz: f64,
    pub high_hz: f64,
}

/// Least rows and dimensions a template spans: a narrower box would match noise.
const MIN_TEMPLATE_ROWS: usize = 3;
const MIN_TEMPLATE_DIMS: usize = 2;

/// A query cut from its recording's index: rows `[row0, row0 + rows)` × dims `[dim0, dim0 + dims)`,
/// mean-subtracted and scaled to unit length. From an index of windows it is the one window
/// centred nearest the box.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub row0: usize,
    pub rows: usize,
    /// Rows a match spans (more than `rows` for windows: a window covers several steps).
    pub span_rows: usize,
    pub dim0: usize,
    pub dims: usize,
    values: Vec<f32>,
    /// Where it came from (matches overlapping it are left out).
    pub query: QueryBox,
}

impl Template {
    /// The template of `query` in `index` (its recording's).
    pub fn cut(index: &EmbeddingIndex, query: QueryBox) -> Result<Self, SimilarError> {
        let outside = || SimilarError::OutsideRecording {
            start_secs: query.start_secs,
            end_secs: query.end_secs,
            duration_secs: index.duration_secs(),
        };
        let least_rows = if index.window_secs > 0.0 {
            1
        } else {
            MIN_TEMPLATE_ROWS
        };
        if index.rows() < least_rows
            || query.end_secs <= query.start_secs
            || query.start_secs >= index.duration_secs()
        {
            return Err(outside());
        }
        let windowed = index.window_secs > 0.0;
        let (row0, rows) = if windowed {
            let centre = f64::midpoint(query.start_secs, query.end_secs);
            let row = ((centre - index.window_secs / 2.0) / index.step_secs)
                .round()
                .max(0.0) as usize;
            (row.min(index.rows() - 1), 1)
        } else {
            span(
                (query.start_secs / index.step_secs).floor() as usize,
                (query.end_secs / index.step_secs).ceil() as usize,
                MIN_TEMPLATE_ROWS,
                index.rows(),
            )
        };
        let span_rows = rows.max((index.window_secs / index.step_secs).round() as usize);
        let in_band: Vec<usize> = index
            .dim_hz
            .iter()
            .enumerate()
            .filter(|(_, (low, high))| *high > query.low_hz && *low < query.high_hz)
            .map(|(d, _)| d)
            .collect();
        let (first, last) = match (in_band.first(), in_band.last()) {
            (Some(first), Some(last)) => (*first, *last + 1),
            _ => (0, index.dims),
        };
        // A network's dimensions are features, not frequencies: all of them count.
        let (dim0, dims) = if windowed {
            (0, index.dims)
        } else {
            span(first, last, MIN_TEMPLATE_DIMS, index.dims)
        };
        let mut values = Vec::with_capacity(rows * dims);
        for row in row0..row0 + rows {
            values.extend_from_slice(&index.row(row)[dim0..dim0 + dims]);
        }
        if !standardize(&mut values) {
            return Err(outside());
        }
        Ok(Self {
            row0,
            rows,
            span_rows,
            dim0,
            dims,
            values,
            query,
        })
    }

    /// The template averaged over time, mean-subtracted and of unit length: a cheap first
    /// comparison (two calls with unlike profiles are not alike).
    #[must_use]
    pub fn profile(&self) -> Vec<f32> {
        let mut profile = vec![0.0; self.dims];
        for row in self.values.chunks_exact(self.dims.max(1)) {
            for (p, v) in profile.iter_mut().zip(row) {
                *p += v;
            }
        }
        if !standardize(&mut profile) {
            profile.fill(0.0);
        }
        profile
    }

    /// The template's correlation with the patch of `index` starting at `row` (−1…1; 0 for a
    /// flat patch).
    #[must_use]
    pub fn correlation_at(&self, index: &EmbeddingIndex, row: usize, patch: &mut Vec<f32>) -> f32 {
        patch.clear();
        for r in row..row + self.rows {
            patch.extend_from_slice(&index.row(r)[self.dim0..self.dim0 + self.dims]);
        }
        if !standardize(patch) {
            return 0.0;
        }
        patch.iter().zip(&self.values).map(|(a, b)| a * b).sum()
    }
}

/// `[first, last)` widened to at least `least` (centred) and kept inside `0..limit`; returns
/// the start and the length.
fn span(first: usize, last: usize, least: usize, limit: usize) -> (usize, usize) {
    let last = last.min(limit).max(first + 1);
    let first = first.min(limit.saturating_sub(1));
    let len = (last - first).max(least).min(limit);
    let centre = first + (last - first) / 2;
    let start = centre.saturating_sub(len / 2).min(limit - len);
    (start, len)
}

/// Mean-subtracts and scales `values` to unit length; false when they are all the same.
fn standardize(values: &mut [f32]) -> bool {
    let n = values.len().max(1) as f32;
    let mean = values.iter().sum::<f32>() / n;
    let mut norm = 0.0_f32;
    for v in values.iter_mut() {
        *v -= mean;
        norm += *v * *v;
    }
    if norm <= f32::EPSILON {
        return false;
    }
    let scale = norm.sqrt().recip();
    for v in values.iter_mut() {
        *v *= scale;
    }
    true
}

/// One stretch found like the query.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub recording: ProjectRecordingId,
    pub start_secs: f64,
    pub end_secs: f64,
    pub low_hz: f64,
    pub high_hz: f64,
    /// Correlation with the query, −1…1.
    pub similarity: f32,
}

/// The `top` best matches of `template` in `indexes`, no two overlapping by more than half and
/// none overlapping the query itself, best first.
#[must_use]
pub fn rank(
    template: &Template,
    indexes: &[(ProjectRecordingId, &EmbeddingIndex)],
    top: usize,
) -> Vec<Match> {
    let span = template.span_rows;
    let mut candidates: Vec<(f32, usize, usize)> = Vec::new();
    let mut patch = Vec::new();
    for (i, (recording, index)) in indexes.iter().enumerate() {
        if index.dims < template.dim0 + template.dims || index.rows() < template.rows {
            continue;
        }
        let is_query_recording = *recording == template.query.recording;
        for row in 0..=index.rows() - template.rows {
            if is_query_recording
                && overlap(row, row + span, template.row0, template.row0 + span) * 2 > span
            {
                continue;
            }
            let similarity = template.correlation_at(index, row, &mut patch);
            if similarity > 0.0 {
                candidates.push((similarity, i, row));
            }
        }
    }
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut chosen: Vec<(usize, usize)> = Vec::new();
    let mut matches = Vec::new();
    for (similarity, i, row) in candidates {
        if matches.len() >= top {
            break;
        }
        let clashes = chosen
            .iter()
            .any(|&(ci, crow)| ci == i && overlap(row, row + span, crow, crow + span) * 2 > span);
        if clashes {
            continue;
        }
        chosen.push((i, row));
        let (recording, index) = indexes[i];
        let (low_hz, high_hz) = if index.window_secs > 0.0 {
            (template.query.low_hz, template.query.high_hz)
        } else {
            (
                index.dim_hz[template.dim0].0,
                index.dim_hz[template.dim0 + template.dims - 1].1,
            )
        };
        let start_secs = row as f64 * index.step_secs;
        matches.push(Match {
            recording,
            start_secs,
            end_secs: start_secs
                + if index.window_secs > 0.0 {
                    index.window_secs
                } else {
                    span as f64 * index.step_secs
                },
            low_hz,
            high_hz,
            similarity,
        });
    }
    matches
}

fn overlap(a0: usize, a1: usize, b0: usize, b1: usize) -> usize {
    a1.min(b1).saturating_sub(a0.max(b0))
}

/// Where a project keeps its embedding indexes: `<project>.embeddings/` beside the file.
#[must_use]
pub fn embeddings_dir(project_path: &std::path::Path) -> PathBuf {
    let mut name = project_path.as_os_str().to_owned();
    name.push(".embeddings");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 100 rows of 4 dims, flat noise-free background, with a rising pattern at `at` rows.
    fn index_with_calls(at: &[usize]) -> EmbeddingIndex {
        let dims = 4;
        let mut values = vec![-80.0_f32; 100 * dims];
        for &row in at {
            for step in 0..4 {
                values[(row + step) * dims + step] = -20.0;
            }
        }
        // A little variation everywhere, so no patch is perfectly flat.
        for (i, v) in values.iter_mut().enumerate() {
            *v += (i % 7) as f32 * 0.01;
        }
        EmbeddingIndex {
            step_secs: 0.1,
            window_secs: 0.0,
            dims,
            dim_hz: (0..dims)
                .map(|d| (d as f64 * 1000.0, (d + 1) as f64 * 1000.0))
                .collect(),
            values,
        }
    }

    #[test]
    fn the_pattern_is_found_where_it_is_and_matches_do_not_overlap() {
        let index = index_with_calls(&[10, 40, 70]);
        let recording = ProjectRecordingId(1);
        let query = QueryBox {
            recording,
            start_secs: 1.0,
            end_secs: 1.4,
            low_hz: 0.0,
            high_hz: 4000.0,
        };
        let template = Template::cut(&index, query).unwrap();
        assert_eq!((template.rows, template.dim0, template.dims), (4, 0, 4));
        let matches = rank(&template, &[(recording, &index)], 5);
        // The two other calls come first, at their rows; the query itself is not a match.
        let starts: Vec<f64> = matches
            .iter()
            .map(|m| (m.start_secs * 10.0).round())
            .collect();
        assert_eq!(starts[..2], [40.0, 70.0].map(f64::from)[..], "{matches:?}");
        assert!(matches[0].similarity > 0.99 && matches[1].similarity > 0.99);
        assert!(matches[2..].iter().all(|m| m.similarity < 0.9));
        for (i, a) in matches.iter().enumerate() {
            for b in &matches[i + 1..] {
                let overlap = a.end_secs.min(b.end_secs) - a.start_secs.max(b.start_secs);
                assert!(overlap <= 0.2 + 1e-9, "{a:?} {b:?}");
            }
            assert!(a.end_secs <= 1.0 + 0.2 || a.start_secs >= 1.4 - 0.2);
        }
        // A box narrower than the least template is widened; one outside the recording is an
        // error naming its times.
        let narrow = Template::cut(
            &index,
            QueryBox {
                end_secs: 1.05,
                low_hz: 1500.0,
                high_hz: 1600.0,
                ..query
            },
        )
        .unwrap();
        assert!(narrow.rows >= MIN_TEMPLATE_ROWS && narrow.dims >= MIN_TEMPLATE_DIMS);
        let error = Template::cut(
            &index,
            QueryBox {
                start_secs: 20.0,
                end_secs: 21.0,
                ..query
            },
        )
        .unwrap_err();
        assert!(error.to_string().contains("20.00"), "{error}");
    }
}
