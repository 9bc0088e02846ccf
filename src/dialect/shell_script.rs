//! Shell scripts.

use crate::dialect::{Context, Dialect, Finding, ScriptMap};

pub struct ShellScript;

impl Dialect for ShellScript {
    fn name(&self) -> &'static str {
        "shell"
    }

    fn claims(&self, _path: &str) -> bool {
        false
    }

    fn scan(&self, _path: &str, _text: &str, _map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        Vec::new()
    }
}
