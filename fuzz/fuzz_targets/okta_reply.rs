#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| looker_ci_core::fuzzing::okta_reply(data));
