#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    np700_fuzz::crash_recover::run(data);
});
