//! Syrinx: build animal-call recognisers from your own field recordings.
//!
//! The core (this library) never names a GUI toolkit: the desktop app and the `syrinx` command
//! line both call it. The README's "How it is built" section maps the modules.

pub mod annotation;
pub mod audio;
pub mod bench;
pub mod boxedit;
mod choice;
pub mod cli;
pub mod clips;
pub mod dataset;
pub mod demo;
pub mod detect;
pub mod dsp;
pub mod evaluate;
pub mod event_validation;
pub mod export;
pub mod fsutil;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "gui")]
pub mod gui;
pub mod jobs;
pub mod measure;
pub mod metrics;
pub mod model;
pub mod playback;
pub mod project;
pub mod render;
pub mod review;
pub mod spectrogram;
pub mod synth;
pub mod timefmt;
pub mod train;
pub mod viewport;
pub mod workflow;
