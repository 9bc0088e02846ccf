//! systemd units.

use crate::dialect::{Context, Dialect, Finding, ScriptMap};

pub struct Systemd;

impl Dialect for Systemd {
    fn name(&self) -> &'static str {
        "systemd"
    }

    fn claims(&self, _path: &str) -> bool {
        false
    }

    fn scan(&self, _path: &str, _text: &str, _map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        Vec::new()
    }
}
