//! Distribution packaging.

use crate::dialect::{Context, Dialect, Finding, ScriptMap};

pub struct Packaging;

impl Dialect for Packaging {
    fn name(&self) -> &'static str {
        "packaging"
    }

    fn claims(&self, _path: &str) -> bool {
        false
    }

    fn scan(&self, _path: &str, _text: &str, _map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        Vec::new()
    }
}
