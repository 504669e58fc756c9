//! Replays the fuzzers' committed corpus (`fuzz/corpus/<target>/`: the interesting inputs
//! cargo-fuzz kept, minimised, plus every input that once crashed a parser) through the same
//! entry points the fuzz targets call, so a fixed crash stays fixed without a fuzzer installed.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use syrinx::fuzzing;

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no regression inputs in {}",
        dir.display()
    );
    files
}

/// Runs every input of `target` through `entry`; fails naming each input that panicked.
fn replay(target: &str, entry: impl Fn(&[u8])) {
    let failed: Vec<String> = corpus(target)
        .into_iter()
        .filter(|path| {
            let data = std::fs::read(path).unwrap();
            catch_unwind(AssertUnwindSafe(|| entry(&data))).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "{target}: inputs that panic: {failed:#?}"
    );
}

#[test]
fn raven_tables_from_the_fuzz_corpus_parse_without_panicking() {
    replay("raven_table", fuzzing::raven_table);
}

#[test]
fn audacity_labels_from_the_fuzz_corpus_parse_without_panicking() {
    replay("audacity_labels", fuzzing::audacity_labels);
}

#[test]
fn csv_tables_from_the_fuzz_corpus_parse_without_panicking() {
    replay("csv_table", fuzzing::csv_table);
}

#[test]
fn tables_of_any_format_from_the_fuzz_corpus_parse_without_panicking() {
    replay("any_table", fuzzing::any_table);
}

#[test]
fn project_files_from_the_fuzz_corpus_load_without_panicking() {
    replay("project_file", fuzzing::project_file);
}

#[test]
fn audio_files_from_the_fuzz_corpus_open_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().join("input");
    replay("audio_file", |data| fuzzing::audio_file(data, &scratch));
}
