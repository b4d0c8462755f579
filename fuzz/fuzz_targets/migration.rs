//! The migration reader must classify any bytes (broken syntax, binary
//! garbage, odd assignments) without panicking.
#![no_main]

use dbguard::alembic::ops::function_ops;
use dbguard::alembic::parse::Migration;
use dbguard::python::Module;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let m = Migration::parse(data, "3f2a9c1d_fuzz.py");
    let _ = m.downgrade_status();
    let _ = m.upgrade_is_empty();
    if let Some(module) = Module::parse(data) {
        let _ = function_ops(&module, "upgrade");
        let _ = function_ops(&module, "downgrade");
    }
});
