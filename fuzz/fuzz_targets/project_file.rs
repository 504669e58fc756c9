#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| syrinx::fuzzing::project_file(data));
