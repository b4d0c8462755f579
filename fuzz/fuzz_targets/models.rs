//! The model schema extractor and differ must survive any source: the
//! input is split in two "versions" that are extracted and compared.
#![no_main]

use dbguard::models::diff::diff;
use dbguard::models::extract::extract_source;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cut = data.iter().position(|&b| b == 0xff).unwrap_or(data.len());
    let (old, new) = data.split_at(cut);
    let new = new.get(1..).unwrap_or_default();
    let a = extract_source("app/models.py", old);
    let b = extract_source("app/models.py", new);
    if let (Some(a), Some(b)) = (a, b) {
        let _ = diff(&a, &b);
    }
});
