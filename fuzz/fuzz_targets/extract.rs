//! Any bytes, decoded as a page from any URL, must extract without a panic,
//! and every record must have a non-empty, control-free name.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nam::extract::{ExtractContext, extract_page};

fuzz_target!(|data: &[u8]| {
    let (text, _) = nam::normalize::charset::decode(data, None);
    let ex = extract_page(&text, "http://fuzz.example/directory/", &ExtractContext::default());
    for m in &ex.members {
        assert!(!m.name.trim().is_empty());
        assert!(!m.name.chars().any(char::is_control));
    }
});
