//! The shared Python reader must survive any bytes: broken syntax, binary
//! garbage, deep nesting.
#![no_main]

use dbguard::python::{Module, descendants};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(m) = Module::parse(data) else { return };
    for stmt in m.module_statements() {
        if let Some(a) = m.assignment(stmt) {
            if let Some(v) = a.value {
                let _ = m.string_value(v);
            }
        }
    }
    let _ = m.docstring(m.root());
    for node in descendants(m.root()) {
        let _ = m.position(node);
        if let Some(call) = m.call(node) {
            let _ = call.short_name();
            for arg in &call.positional {
                let _ = m.string_value(*arg);
            }
        }
    }
    let _ = m.function("upgrade");
});
