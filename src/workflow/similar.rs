//! "Find more like this" over a project: each present recording's index is read from its side
//! file or computed (and saved), the query's box is cut from its recording's index, and every
//! recording is searched one at a time (only one index in memory: a season of recordings fits).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::annotation::{ProjectRecordingId, Selection, SelectionId, SelectionKind};
use crate::model::{ComputeDevice, ModelArtifact};
use crate::project::{Project, ProjectRecording};
use crate::review;
use crate::similar::network::{NetworkEmbedder, embedding_hop_secs, index_of};
use crate::similar::store;
use crate::similar::{
    EmbeddingIndex, Match, PatchSpec, QueryBox, SimilarError, Template, patch_index, rank,
};

/// A match's picture: its stretch of the index (with a margin either side), dB, row-major
/// (`rows` time cells × `dims` frequency cells, low first).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Thumbnail {
    pub rows: usize,
    pub dims: usize,
    pub db: Vec<f32>,
}

/// Time cells shown either side of a match in its thumbnail.
const THUMBNAIL_MARGIN_ROWS: usize = 4;

impl Thumbnail {
    fn of(index: &EmbeddingIndex, m: &Match) -> Self {
        if index.window_secs > 0.0 {
            // A network's features are no picture.
            return Self::default();
        }
        let first = ((m.start_secs / index.step_secs).round() as usize)
            .saturating_sub(THUMBNAIL_MARGIN_ROWS);
        let last = ((m.end_secs / index.step_secs).round() as usize + THUMBNAIL_MARGIN_ROWS)
            .min(index.rows());
        let mut db = Vec::with_capacity((last - first) * index.dims);
        for row in first..last {
            db.extend_from_slice(index.row(row));
        }
        Self {
            rows: last.saturating_sub(first),
            dims: index.dims,
            db,
        }
    }
}

/// What a search found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimilarOutcome {
    /// Best first.
    pub matches: Vec<Match>,
    /// Each match's picture, in the same order.
    pub thumbnails: Vec<Thumbnail>,
    /// Indexes computed now (the others were read from their side files).
    pub computed: usize,
    pub searched: usize,
    /// Recordings left out, each naming its file and the problem.
    pub problems: Vec<String>,
}

/// Where a search keeps its indexes: `<project>.embeddings/` beside a saved project, else
/// nowhere (computed each time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexPlace(pub Option<PathBuf>);

impl IndexPlace {
    #[must_use]
    pub fn beside(project_path: Option<&Path>) -> Self {
        Self(project_path.map(crate::similar::embeddings_dir))
    }
}

/// What recordings are compared by.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Embedding {
    /// The pooled spectrogram (no model needed): a box's own time span and band are matched.
    #[default]
    Spectrogram,
    /// The embedding of the model in this folder: windows the model sees alike.
    Model(PathBuf),
    /// A pretrained ONNX embedder (its JSON description), before any model is trained on it.
    Embedder(PathBuf),
}

/// How indexes are made and where they are kept.
enum Indexer {
    Patch {
        spec: PatchSpec,
        dir: Option<PathBuf>,
    },
    /// A trained network, a model on a pretrained embedder, or a pretrained embedder alone.
    Embedder {
        embedder: Box<dyn crate::embed::Embedder>,
        hop_secs: f64,
        dir: Option<PathBuf>,
    },
}

impl Indexer {
    fn new(
        project: &Project,
        embedding: &Embedding,
        place: &IndexPlace,
    ) -> Result<Self, SimilarError> {
        Ok(match embedding {
            Embedding::Spectrogram => Self::Patch {
                spec: PatchSpec::for_input(&project.model_input),
                dir: place.0.clone(),
            },
            Embedding::Model(dir) => {
                let model = ModelArtifact::load(dir, &ComputeDevice::Cpu.device()?)?;
                let hop_secs = embedding_hop_secs(&model);
                let embedder: Box<dyn crate::embed::Embedder> = match &model.head {
                    Some(head) => Box::new((**head).clone()),
                    None => Box::new(NetworkEmbedder(model)),
                };
                Self::Embedder {
                    embedder,
                    hop_secs,
                    // Beside the model: every project that uses it shares them.
                    dir: Some(dir.join("embeddings")),
                }
            }
            Embedding::Embedder(spec) => {
                let embedder = crate::embed::OnnxEmbedder::load(spec)?;
                let hop_secs = crate::embed::Embedder::window_secs(&embedder) / 4.0;
                Self::Embedder {
                    embedder: Box::new(embedder),
                    hop_secs,
                    dir: place.0.clone(),
                }
            }
        })
    }

    /// The index of `recording`: from its side file when there is one, else computed (and
    /// saved). Returns whether it was computed.
    fn index(
        &self,
        recording: &ProjectRecording,
        cancel: &AtomicBool,
    ) -> Result<(EmbeddingIndex, bool), SimilarError> {
        let file = match self {
            Self::Patch { spec, dir } => dir
                .as_ref()
                .map(|dir| store::index_file(dir, &spec.key(), recording)),
            Self::Embedder {
                embedder,
                hop_secs,
                dir,
            } => dir.as_ref().map(|dir| {
                let key = format!("{}-hop{:.0}ms", embedder.key(), hop_secs * 1000.0);
                store::index_file(dir, &key, recording)
            }),
        };
        if let Some(file) = &file
            && let Ok(index) = store::read(file)
        {
            return Ok((index, false));
        }
        let index = match self {
            Self::Patch { spec, .. } => patch_index(&recording.path, spec, cancel, &mut |_, _| {})?,
            Self::Embedder {
                embedder, hop_secs, ..
            } => index_of(embedder.embed_file(&recording.path, *hop_secs, cancel)?),
        };
        if let Some(file) = &file {
            // A cache: failing to write it only costs the next search the same work again.
            let _ = store::write(file, &index);
        }
        Ok((index, true))
    }
}

/// The `top` stretches of the project's present recordings (all but `missing`) most like
/// `query`, best first. `progress(done, total)` counts recordings searched.
#[allow(clippy::too_many_arguments)] // each is one thing the caller decides
pub fn find_similar(
    project: &Project,
    missing: &[ProjectRecordingId],
    query: QueryBox,
    top: usize,
    embedding: &Embedding,
    place: &IndexPlace,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<SimilarOutcome, SimilarError> {
    let indexer = Indexer::new(project, embedding, place)?;
    let query_recording = project
        .recording(query.recording)
        .ok_or(SimilarError::NoQueryIndex)?;
    let (query_index, computed) = indexer.index(query_recording, cancel)?;
    let template = Template::cut(&query_index, query)?;
    let recordings: Vec<&ProjectRecording> = project
        .recordings
        .iter()
        .filter(|r| !missing.contains(&r.id))
        .collect();
    let mut outcome = SimilarOutcome {
        computed: usize::from(computed),
        ..SimilarOutcome::default()
    };
    let mut found_all: Vec<(Match, Thumbnail)> = Vec::new();
    let search = |index: &EmbeddingIndex, id: ProjectRecordingId| -> Vec<(Match, Thumbnail)> {
        rank(&template, &[(id, index)], top)
            .into_iter()
            .map(|m| {
                let thumbnail = Thumbnail::of(index, &m);
                (m, thumbnail)
            })
            .collect()
    };
    for (done, recording) in recordings.iter().enumerate() {
        progress(done, recordings.len());
        let found = if recording.id == query.recording {
            search(&query_index, recording.id)
        } else {
            match indexer.index(recording, cancel) {
                Ok((index, computed)) => {
                    outcome.computed += usize::from(computed);
                    search(&index, recording.id)
                }
                Err(SimilarError::Cancelled) => return Err(SimilarError::Cancelled),
                Err(error) => {
                    outcome
                        .problems
                        .push(format!("{}: {error}", recording.path.display()));
                    continue;
                }
            }
        };
        outcome.searched += 1;
        found_all.extend(found);
    }
    progress(recordings.len(), recordings.len());
    found_all.sort_by(|a, b| b.0.similarity.total_cmp(&a.0.similarity));
    found_all.truncate(top);
    (outcome.matches, outcome.thumbnails) = found_all.into_iter().unzip();
    Ok(outcome)
}

/// `Source` of selections made from matches.
pub const SIMILAR_SOURCE: &str = "similar to a box";

/// Selections of `kind` labelled `label` for `matches` (ids following the project's), each with
/// its provenance as columns: `Source`, `Score` (the similarity), `Source File` and
/// `Source Time (s)` (the query's box). Insert them as one undo step.
#[must_use]
pub fn match_selections(
    project: &Project,
    matches: &[Match],
    kind: SelectionKind,
    label: &str,
    query: &QueryBox,
) -> Vec<Selection> {
    let first = project.selections.next_free_id().0;
    let query_file = project
        .recording(query.recording)
        .map(ProjectRecording::name)
        .unwrap_or_default();
    matches
        .iter()
        .zip(first..)
        .map(|(m, id)| Selection {
            id: SelectionId(id),
            recording: m.recording,
            start_secs: m.start_secs,
            end_secs: m.end_secs,
            low_hz: m.low_hz.max(0.0),
            high_hz: m.high_hz,
            label: label.to_owned(),
            kind,
            extra: [
                (review::SOURCE_COLUMN, SIMILAR_SOURCE.to_owned()),
                (review::SCORE_COLUMN, format!("{:.3}", m.similarity)),
                (review::SOURCE_FILE_COLUMN, query_file.clone()),
                (
                    review::SOURCE_TIME_COLUMN,
                    format!("{:.3}", query.start_secs),
                ),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        })
        .collect()
}

/// Warnings about validation and test calls that are near-copies of training calls (see
/// [`crate::similar::duplicates`]): one line with the count and the first few pairs. Indexes
/// come from the project's embeddings folder (computed there when missing).
#[must_use]
pub fn split_duplicate_warnings(
    project: &Project,
    missing: &[ProjectRecordingId],
    config: &crate::dataset::DatasetConfig,
    project_path: Option<&Path>,
    cancel: &AtomicBool,
) -> Vec<String> {
    let Ok(dataset) = crate::dataset::Dataset::from_project(project, missing, config) else {
        return Vec::new();
    };
    // One spectrogram frame per cell: a copy cut a few milliseconds off the original still
    // lines up with it within half a frame (with 40 ms cells a 10 ms shift drops a trill's
    // correlation to 0.8).
    let mut spec = PatchSpec::for_input(&config.input);
    spec.cell_secs = 0.0;
    let indexer = Indexer::Patch {
        spec,
        dir: IndexPlace::beside(project_path).0,
    };
    let duplicates = crate::similar::duplicates::split_duplicates(&dataset.windows, |path| {
        match project.recording_at(path) {
            Some(recording) => indexer
                .index(recording, cancel)
                .ok()
                .map(|(index, _)| index),
            // A clip: not a project recording, so not kept.
            None => patch_index(path, &spec, cancel, &mut |_, _| {}).ok(),
        }
    });
    if duplicates.is_empty() {
        return Vec::new();
    }
    let examples: Vec<String> = duplicates.iter().take(3).map(ToString::to_string).collect();
    vec![format!(
        "{} validation/test call(s) are near-copies of training calls (spectrogram correlation ≥ {}), so the validation and test figures flatter the model: {}{}. Remove the copies, or put both recordings in one group.",
        duplicates.len(),
        crate::similar::duplicates::DUPLICATE_CORRELATION,
        examples.join("; "),
        if duplicates.len() > examples.len() {
            "; …"
        } else {
            ""
        }
    )]
}
