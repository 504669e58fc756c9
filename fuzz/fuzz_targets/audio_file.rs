#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

/// One scratch file per fuzzing process (the decoder reads from a path, as the app does).
fn scratch() -> &'static PathBuf {
    static SCRATCH: OnceLock<PathBuf> = OnceLock::new();
    SCRATCH.get_or_init(|| {
        std::env::temp_dir().join(format!("syrinx-fuzz-audio-{}", std::process::id()))
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| syrinx::fuzzing::audio_file(data, scratch()));
