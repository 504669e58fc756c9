//! Syrinx: build animal-call recognisers from your own field recordings.
//!
//! The core (this library) never names a GUI toolkit: the desktop app and the `syrinx` command
//! line both call it. See `DESIGN.md` in the repository for the glossary and architecture.

pub mod audio;
pub mod bench;
pub mod cli;
pub mod dsp;
pub mod render;
pub mod spectrogram;
pub mod synth;
