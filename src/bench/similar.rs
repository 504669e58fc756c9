//! "Find more like this" over an hour: indexing the recording (its pooled spectrogram) and
//! searching the index for a box.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use super::BenchError;
use crate::annotation::ProjectRecordingId;
use crate::similar::{PatchSpec, QueryBox, Template, patch_index, rank};

/// What [`time_similar`] measured.
#[derive(Debug, Clone, Copy)]
pub struct SimilarTimes {
    pub audio_secs: f64,
    pub index_secs: f64,
    /// One search for a 0.5 s box over the whole index (top 10).
    pub search_secs: f64,
}

/// Indexes the recording at `path` with the default model input's patch settings, then searches
/// it for a 0.5 s box of 2–6 kHz.
pub fn time_similar(path: &Path) -> Result<SimilarTimes, BenchError> {
    let spec = PatchSpec::for_input(&crate::dsp::ModelInputSpec::default());
    let failed = |e: crate::similar::SimilarError| BenchError::Input {
        path: path.to_path_buf(),
        detail: e.to_string(),
    };
    let started = Instant::now();
    let index =
        patch_index(path, &spec, &AtomicBool::new(false), &mut |_, _| {}).map_err(failed)?;
    let index_secs = started.elapsed().as_secs_f64();
    let recording = ProjectRecordingId(0);
    // Ten minutes in (a sixth of the way into shorter recordings).
    let start_secs = (index.duration_secs() / 6.0).min(600.0);
    let template = Template::cut(
        &index,
        QueryBox {
            recording,
            start_secs,
            end_secs: (start_secs + 0.5).min(index.duration_secs()),
            low_hz: 2_000.0,
            high_hz: 6_000.0,
        },
    )
    .map_err(failed)?;
    let started = Instant::now();
    let matches = rank(&template, &[(recording, &index)], 10);
    let search_secs = started.elapsed().as_secs_f64();
    std::hint::black_box(matches);
    Ok(SimilarTimes {
        audio_secs: index.duration_secs(),
        index_secs,
        search_secs,
    })
}
