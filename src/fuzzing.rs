//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the test that replays their
//! corpus of interesting inputs (`tests/it/fuzz_regressions.rs`). Each takes arbitrary bytes,
//! as a user's file might hold, and must return without panicking; where a parse succeeds, what
//! Syrinx writes from it must parse again to the same number of rows (what an export promises).
//!
//! Not for use by the app: the assertions here are the fuzzers' oracle.

use std::path::Path;

use crate::annotation::{
    AnnotationError, ParsedTable, TableRow, parse_audacity, parse_csv, parse_raven, parse_table,
    write_audacity, write_csv, write_raven,
};

/// How much audio a fuzzed recording is read for, at most (a fuzzer's "file" may declare hours).
const AUDIO_READ_FRAMES: usize = 48_000;

/// Raven selection tables: parse, write back, parse again.
pub fn raven_table(data: &[u8]) {
    round_trip(data, "Raven table", parse_raven, write_raven);
}

/// Audacity label files (which always parse, with warnings): the same round trip.
pub fn audacity_labels(data: &[u8]) {
    round_trip(
        data,
        "Audacity labels",
        |text| Ok::<_, AnnotationError>(parse_audacity(text)),
        write_audacity,
    );
}

/// Syrinx CSV tables: the same round trip.
pub fn csv_table(data: &[u8]) {
    round_trip(data, "CSV table", parse_csv, write_csv);
}

/// Where `data` parses, what Syrinx writes from it must parse again to as many rows.
fn round_trip(
    data: &[u8],
    format: &str,
    parse: impl Fn(&str) -> Result<ParsedTable, AnnotationError>,
    write: impl Fn(&[TableRow]) -> String,
) {
    let text = String::from_utf8_lossy(data);
    if let Ok(parsed) = parse(&text) {
        let written = write(&parsed.rows);
        let again = parse(&written);
        assert_eq!(
            again.map(|t| t.rows.len()).ok(),
            Some(parsed.rows.len()),
            "a {format} Syrinx wrote did not read back:\n{written}"
        );
    }
}

/// Any table, the way File ▸ Import sees it: format detection, then that format's parser.
pub fn any_table(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = parse_table(&text);
}

/// Project files: parse (and migrate), then serialise what was read.
pub fn project_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok((project, _)) = crate::project::Project::from_json(&text, Path::new("fuzz.syrinx")) {
        assert!(
            serde_json::to_string(&project).is_ok(),
            "a project that loaded could not be written"
        );
    }
}

/// Audio files of any format: written to `scratch` (a file path), opened (probe, length,
/// truncation checks) and read at the start and in the middle (a seek).
pub fn audio_file(data: &[u8], scratch: &Path) {
    if std::fs::write(scratch, data).is_err() {
        return;
    }
    let Ok(mut reader) = crate::audio::AudioReader::open(scratch) else {
        return;
    };
    let frame_count = reader.info().frame_count;
    let first = reader.read_frames(0, AUDIO_READ_FRAMES);
    if let Ok(samples) = &first {
        assert!(
            samples.iter().all(|s| s.is_finite()),
            "decoded audio holds NaN or infinity"
        );
    }
    let _ = reader.read_frames(frame_count / 2, AUDIO_READ_FRAMES);
}
