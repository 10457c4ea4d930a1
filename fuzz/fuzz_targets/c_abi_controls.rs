#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    np700_fuzz::c_abi::controls::run(data);
});
