//! Utilities every layer uses: parsing a choice by name, atomic writes, times as people type
//! and read them, background jobs, deterministic test signals.

// parsing a choice among named values (CLI and settings)
pub mod choice;

// atomic writes, temporary files beside their target
pub mod fsutil;

// names that tell files of the same name apart (tables, summaries)
pub mod paths;

// times as people type and read them
pub mod timefmt;

// background jobs: named thread, progress, cancel, typed result, panics caught
pub mod jobs;

// deterministic test signals and field-like scenes
pub mod synth;
