//! The credential scanner must survive any text under any file name, and
//! what it would show of a secret must never be the secret.
#![no_main]

use dbguard::secrets::{redact::preview, scan};
use libfuzzer_sys::fuzz_target;

const PATHS: &[&str] = &[
    "config/settings.py",
    ".env",
    "docker-compose.yml",
    "alembic.ini",
    "appsettings.json",
    ".pgpass",
    "main.tf",
    "application.properties",
    "notes.md",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let path = PATHS[usize::from(selector) % PATHS.len()];
    for d in scan(path, &text) {
        let shown = preview(&d.secret);
        if d.secret.chars().count() >= 4 {
            assert!(!shown.contains(d.secret.as_str()), "preview reveals the secret");
        }
        assert!(d.line >= 1 && d.column >= 1);
    }
});
