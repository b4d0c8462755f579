//! The last parsed version of each Python file the rule read in a range,
//! by path, so that the next version is parsed incrementally
//! ([`Module::parse_after`]): on ckan's history a commit edits a few
//! lines of a 100 KB module with sinks (`ckan/logic/action/get.py`, 1,075
//! versions), and parsing each version whole was a third of the rule's
//! time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::python::Module;

/// How much source the kept trees may cover, in bytes: a tree takes
/// ~30 times its source (ckan, `--select sql-injection`: 4 MiB of source
/// kept raised the peak from 121 to 194 MB, 1 MiB to 156–161 MB, 256 KiB
/// left it at 123 MB and still kept `get.py` and its neighbours).
const KEPT_BYTES: usize = 256 << 10;

#[derive(Default)]
struct Trees {
    /// Path → (when last used, the module).
    by_path: HashMap<String, (u64, Arc<Module>)>,
    bytes: usize,
    clock: u64,
}

impl Trees {
    fn insert(&mut self, path: &str, m: Arc<Module>) {
        self.clock += 1;
        self.bytes += m.source().len();
        if let Some((_, old)) = self
            .by_path
            .insert(path.to_string(), (self.clock, Arc::clone(&m)))
        {
            self.bytes -= old.source().len();
        }
        while self.bytes > KEPT_BYTES && self.by_path.len() > 1 {
            let Some(oldest) = self
                .by_path
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(p, _)| p.clone())
            else {
                break;
            };
            if let Some((_, m)) = self.by_path.remove(&oldest) {
                self.bytes -= m.source().len();
            }
        }
    }
}

fn trees() -> &'static Mutex<Trees> {
    static T: OnceLock<Mutex<Trees>> = OnceLock::new();
    T.get_or_init(Mutex::default)
}

/// `bytes`, the version of `path` being checked, parsed: incrementally
/// from the version of `path` parsed last when there is one. With `keep`
/// this version becomes the one the next is parsed from (the new side of
/// a change; an old side read to compare findings is not kept, so that the
/// next commit's version is parsed from its parent).
pub(super) fn parse(path: &str, bytes: &[u8], keep: bool) -> Option<Arc<Module>> {
    let before = trees()
        .lock()
        .ok()
        .and_then(|t| t.by_path.get(path).map(|(_, m)| Arc::clone(m)));
    let m = Arc::new(match before {
        Some(b) => Module::parse_after(bytes, &b)?,
        None => Module::parse(bytes)?,
    });
    if keep && let Ok(mut t) = trees().lock() {
        t.insert(path, Arc::clone(&m));
    }
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_trees_go_first_when_the_budget_is_spent() {
        let mut t = Trees::default();
        let big = "x = 1\n".repeat(KEPT_BYTES / 18 + 1);
        for p in ["a.py", "b.py", "c.py"] {
            t.insert(p, Arc::new(Module::parse(big.as_bytes()).unwrap()));
        }
        assert!(t.bytes <= KEPT_BYTES);
        assert!(!t.by_path.contains_key("a.py"));
        assert!(t.by_path.contains_key("b.py") && t.by_path.contains_key("c.py"));
        // A new version of a kept path replaces it.
        t.insert("c.py", Arc::new(Module::parse(b"y = 2\n").unwrap()));
        assert_eq!(t.bytes, big.len() + 6);
    }
}
