//! Syrinx: build animal-call recognisers from your own field recordings.
//!
//! The core (this library) never names a GUI toolkit: the desktop app and the `syrinx` command
//! line both call it. Modules are listed in the order data flows through them, and none uses a
//! module listed after it (no cycles). The README's "How it is built" section has the map.

// ── Utilities ──

// choices by name, atomic writes, times as people type them, background jobs, test signals
pub mod util;

// ── Audio in, spectrograms, pictures, sound out ──

// decoding, sample-accurate reads, resampling, WAV/FLAC writing
pub mod audio;

// STFT, mel, window functions, the model input and its front ends
pub mod dsp;

// streamed spectrograms, the tile engine of the view, the view's time/frequency ↔ screen
// transforms
pub mod spectrogram;

// colour maps, axes, PNG figures
pub mod render;

// decoder thread and ring buffer to the audio device
pub mod playback;

// ── Annotations ──

// selections, their edits, Raven/Audacity/CSV tables, import mapping, drawing and moving
// boxes (a pure state machine)
pub mod annotation;

// ── Scores and calls ──

// window scores → detections (peak picking, merging); pure
pub mod detect;

// confusion counts, precision/recall/F1, ROC-AUC, event counts
pub mod metrics;

// scores as probabilities from a stratified review: bands, the logistic fit, precision by
// threshold, call counts with intervals (a detections folder's files: `export::calibration`)
pub mod calibrate;

// embeddings of windows: the Embedder trait, ONNX embedders (tract), heads trained on them
pub mod embed;

// the burn CNN, its artifact, scoring batches
pub mod model;

// a model over a recording, block by block
pub mod scoring;

// ── The project and what is made from it ──

// the project file, its runs and score files, undo of project changes
pub mod project;

// a box's peak frequency and levels
pub mod measure;

// WAV clips of selections
pub mod clips;

// selections, clips and background → training windows; splits; proposals
pub mod dataset;

// event-level evaluation: the matcher, validation during training, a reviewed run
pub mod evaluate;

// the training loop
pub mod train;

// what verdicts lead to: negatives, threshold evidence; what to label next
pub mod review;

// "find more like this": pooled-spectrogram indexes, their side files, template matching
pub mod similar;

// tables of a project's selections and of detections
pub mod export;

// activity over time from a detections folder: per hour of day and per date, by site
pub mod report;

// ── The loop's steps for both front ends ──

// detect (scope, batch, run, shards), export, folders, training preview
pub mod workflow;

// the open project: document, opening with a report, ordered saves, adding recordings
pub mod session;

// ── Data and measurement ──

// the synthetic demo data set and project
pub mod demo;

// the benchmark suite (`syrinx bench`)
pub mod bench;

// entry points for the cargo-fuzz targets
#[doc(hidden)]
pub mod fuzzing;

// ── Front ends ──

// the desktop app
#[cfg(feature = "gui")]
pub mod gui;

// the `syrinx` command line (opens the app when asked to)
pub mod cli;
