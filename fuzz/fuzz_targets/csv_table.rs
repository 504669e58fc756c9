#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| syrinx::fuzzing::csv_table(data));
