//! Scoring many recordings as one stream: what `syrinx detect` and the Detect window do with a
//! folder. One producer thread decodes and transforms the files in order, with one STFT plan,
//! while the network scores; windows of consecutive files share forward passes, so a folder
//! of 10-second clips fills every batch as one long recording does, and the network is folded
//! once for the whole list. Scores are the same as [`super::score_recording`]'s file by file.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use super::{BLOCK_FRAMES, Block, BlockMaker, DETECT_BATCH, DetectError, EnvelopeSpec};
use crate::audio::{AudioReader, ResamplingReader};
use crate::detect::WindowScores;
use crate::model::ModelArtifact;

/// What [`score_recordings`] reports, file by file in list order.
#[derive(Debug)]
pub enum FileEvent {
    /// Work on file `index` began (`total_secs` long).
    Started { index: usize, total_secs: f64 },
    /// Windows up to `done_secs` of file `index` have been read.
    Position {
        index: usize,
        done_secs: f64,
        total_secs: f64,
    },
    /// File `index` is finished: one [`WindowScores`] per model output, or why not.
    Done {
        index: usize,
        audio_secs: f64,
        result: Result<Vec<WindowScores>, DetectError>,
    },
}

/// What the producer thread sends.
enum Piece {
    Started { index: usize, total_secs: f64 },
    Block { index: usize, block: Block },
    Ended { index: usize },
    Failed { index: usize, error: DetectError },
}

/// A file whose windows are not all scored yet.
struct OpenFile {
    index: usize,
    total_secs: f64,
    results: Vec<WindowScores>,
    ended: bool,
    error: Option<DetectError>,
}

/// Scores every window of each file in `paths`, `hop_secs` apart, for each of the model's
/// outputs, reporting through `on_event` in file order. A file that cannot be read is reported
/// as failed and the rest go on; only `cancel` stops the list (`Err(Cancelled)`).
pub fn score_recordings(
    model: &ModelArtifact,
    paths: &[PathBuf],
    hop_secs: f64,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(FileEvent),
) -> Result<(), DetectError> {
    // Embedders' heads, and dense scorers (each file's strips are scored where they lie, so
    // pooling windows across files gains nothing), go file by file.
    if model.head.is_some() || super::dense::applies(model, super::hop_frames(model, hop_secs)) {
        return score_one_by_one(model, paths, hop_secs, cancel, on_event);
    }
    let input = model.info.input;
    let outputs = model.info.network.outputs.max(1);
    let step = super::hop_frames(model, hop_secs);
    let mut maker = BlockMaker::new(&input)?.with_envelope(EnvelopeSpec::for_model(model));
    let (bands, frames) = input.shape();
    let per_window = bands * frames;
    let device = burn::tensor::Device::flex();
    let nets = model.folded();
    // One piece waiting at most, as for one recording: memory stays at a block or two.
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Piece>(1);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for (index, path) in paths.iter().enumerate() {
                if cancel.load(Ordering::Relaxed) {
                    return;
                }
                let reader = match open(path, input.sample_rate_hz) {
                    Ok(reader) => reader,
                    Err(error) => {
                        let started = Piece::Started {
                            index,
                            total_secs: 0.0,
                        };
                        if sender.send(started).is_err()
                            || sender.send(Piece::Failed { index, error }).is_err()
                        {
                            return;
                        }
                        continue;
                    }
                };
                let total_secs = reader.frame_count() as f64 / f64::from(input.sample_rate_hz);
                if sender.send(Piece::Started { index, total_secs }).is_err() {
                    return;
                }
                let mut failed = false;
                maker.produce(reader, step, BLOCK_FRAMES, cancel, &mut |block| {
                    let piece = match block {
                        Ok(block) => Piece::Block { index, block },
                        Err(error) => {
                            failed = true;
                            Piece::Failed { index, error }
                        }
                    };
                    sender.send(piece).is_ok()
                });
                if !failed && sender.send(Piece::Ended { index }).is_err() {
                    return;
                }
            }
        });
        let window_secs = input.window_secs();
        let mut open_files: VecDeque<OpenFile> = VecDeque::new();
        // Windows read but not scored yet, and the runs of them that belong to each file.
        let mut pending: Vec<f32> = Vec::with_capacity(DETECT_BATCH * per_window);
        let mut owners: VecDeque<(usize, usize)> = VecDeque::new();
        // Scores the first windows of `inputs` (the oldest unscored ones) and hands each score
        // to its file.
        let score = |inputs: &[f32],
                     owners: &mut VecDeque<(usize, usize)>,
                     open_files: &mut VecDeque<OpenFile>| {
            let windows = inputs.len() / per_window.max(1);
            if windows == 0 {
                return;
            }
            let scores = crate::model::ensemble_scores(
                &nets,
                &inputs[..windows * per_window],
                bands,
                frames,
                DETECT_BATCH,
                &device,
            );
            let mut rows = scores.chunks(outputs);
            let mut left = windows;
            while left > 0 {
                let Some((index, run)) = owners.front_mut() else {
                    break;
                };
                let take = (*run).min(left);
                if let Some(file) = open_files.iter_mut().find(|f| f.index == *index) {
                    for row in rows.by_ref().take(take) {
                        for (result, &value) in file.results.iter_mut().zip(row) {
                            result.scores.push(value);
                        }
                    }
                } else {
                    rows.by_ref().take(take).for_each(drop);
                }
                *run -= take;
                left -= take;
                if *run == 0 {
                    owners.pop_front();
                }
            }
        };
        let finish_ready = |open_files: &mut VecDeque<OpenFile>,
                            owners: &VecDeque<(usize, usize)>,
                            on_event: &mut dyn FnMut(FileEvent)| {
            while let Some(file) = open_files.front() {
                let waiting = owners.iter().any(|(index, _)| *index == file.index);
                if !(file.ended || file.error.is_some()) || waiting {
                    break;
                }
                if let Some(file) = open_files.pop_front() {
                    on_event(FileEvent::Done {
                        index: file.index,
                        audio_secs: file.total_secs,
                        result: file.error.map_or(Ok(file.results), Err),
                    });
                }
            }
        };
        for piece in receiver {
            if cancel.load(Ordering::Relaxed) {
                return Err(DetectError::Cancelled);
            }
            match piece {
                Piece::Started { index, total_secs } => {
                    on_event(FileEvent::Started { index, total_secs });
                    open_files.push_back(OpenFile {
                        index,
                        total_secs,
                        results: vec![
                            WindowScores {
                                window_secs,
                                ..WindowScores::default()
                            };
                            outputs
                        ],
                        ended: false,
                        error: None,
                    });
                }
                Piece::Block {
                    index,
                    block:
                        Block {
                            envelope: Some(envelope),
                            ..
                        },
                } => {
                    if let Some(file) = open_files.iter_mut().find(|f| f.index == index) {
                        for result in &mut file.results {
                            result.envelope = Some(envelope.clone());
                        }
                    }
                }
                Piece::Block { index, block } => {
                    let windows = block.start_secs.len();
                    if let Some(file) = open_files.iter_mut().find(|f| f.index == index) {
                        for result in &mut file.results {
                            result.start_secs.extend_from_slice(&block.start_secs);
                        }
                        on_event(FileEvent::Position {
                            index,
                            done_secs: block.done_secs.min(file.total_secs),
                            total_secs: file.total_secs,
                        });
                    }
                    owners.push_back((index, windows));
                    // Whole batches only: up to a batch's worth waits in `pending` for the next
                    // block or file. A block is scored where it lies, never copied whole.
                    let mut inputs = &block.inputs[..];
                    if !pending.is_empty() {
                        let waiting = pending.len() / per_window.max(1);
                        let take = (DETECT_BATCH - waiting).min(windows) * per_window;
                        pending.extend_from_slice(&inputs[..take]);
                        inputs = &inputs[take..];
                        if pending.len() / per_window.max(1) == DETECT_BATCH {
                            score(&pending, &mut owners, &mut open_files);
                            pending.clear();
                        }
                    }
                    if pending.is_empty() {
                        let whole = inputs.len() / per_window.max(1) / DETECT_BATCH
                            * DETECT_BATCH
                            * per_window;
                        score(&inputs[..whole], &mut owners, &mut open_files);
                        pending.extend_from_slice(&inputs[whole..]);
                    }
                }
                Piece::Ended { index } => {
                    if let Some(file) = open_files.iter_mut().find(|f| f.index == index) {
                        file.ended = true;
                    }
                }
                Piece::Failed { index, error } => {
                    if matches!(error, DetectError::Cancelled) {
                        return Err(DetectError::Cancelled);
                    }
                    match open_files.iter_mut().find(|f| f.index == index) {
                        Some(file) => file.error = Some(error),
                        None => open_files.push_back(OpenFile {
                            index,
                            total_secs: 0.0,
                            results: Vec::new(),
                            ended: true,
                            error: Some(error),
                        }),
                    }
                }
            }
            finish_ready(&mut open_files, &owners, on_event);
        }
        if cancel.load(Ordering::Relaxed) {
            return Err(DetectError::Cancelled);
        }
        score(&pending, &mut owners, &mut open_files);
        finish_ready(&mut open_files, &owners, on_event);
        Ok(())
    })
}

fn open(path: &Path, rate_hz: u32) -> Result<ResamplingReader, DetectError> {
    Ok(ResamplingReader::new(AudioReader::open(path)?, rate_hz)?)
}

/// Models whose windows come from an embedder, and dense scorers, score file by file.
fn score_one_by_one(
    model: &ModelArtifact,
    paths: &[PathBuf],
    hop_secs: f64,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(FileEvent),
) -> Result<(), DetectError> {
    for (index, path) in paths.iter().enumerate() {
        let mut audio_secs = 0.0;
        let mut started = false;
        let result = super::score_outputs_in_blocks(
            model,
            path,
            hop_secs,
            BLOCK_FRAMES,
            cancel,
            &mut |done_secs, total_secs| {
                audio_secs = total_secs;
                if !started {
                    started = true;
                    on_event(FileEvent::Started { index, total_secs });
                }
                on_event(FileEvent::Position {
                    index,
                    done_secs,
                    total_secs,
                });
            },
        );
        if matches!(result, Err(DetectError::Cancelled)) {
            return Err(DetectError::Cancelled);
        }
        on_event(FileEvent::Done {
            index,
            audio_secs,
            result,
        });
    }
    Ok(())
}
