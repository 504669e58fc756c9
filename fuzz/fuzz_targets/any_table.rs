#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| syrinx::fuzzing::any_table(data));
