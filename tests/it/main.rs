#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! Integration tests through the public API (one test crate: each test binary links to hundreds
//! of MB in debug builds).

mod annotation;
mod architecture;
mod audio;
mod batch;
mod cli;
mod common;
mod corrupt;
mod crash;
mod cross_validation;
mod demo;
mod demo_loop;
mod dense;
mod dsp;
mod embed;
mod full_disk;
mod fuzz_regressions;
#[cfg(feature = "gui")]
mod gui;
#[cfg(feature = "gui")]
mod gui_annotate;
#[cfg(feature = "gui")]
mod gui_classes;
#[cfg(feature = "gui")]
mod gui_iterations;
#[cfg(feature = "gui")]
mod gui_loop;
#[cfg(feature = "gui")]
mod gui_review;
#[cfg(feature = "gui")]
mod gui_train;
mod label_next;
mod migration;
mod multiclass;
mod new_day;
mod playback;
mod review;
mod scoring;
mod similar;
mod sites;
mod tiles;
mod train;
mod writers;
