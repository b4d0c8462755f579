//! The config loader must turn any text into a config or a one-line error
//! with a position, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = dbguard::config::Config::parse(text, std::path::Path::new(".dbguard.yaml")) {
            let msg = e.to_string();
            assert!(!msg.contains('\n'), "config errors are one line: {msg:?}");
        }
    }
});
