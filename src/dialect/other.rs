//! Any other text file.

use crate::dialect::{Context, Dialect, Finding, ScriptMap};

pub struct Other;

impl Dialect for Other {
    fn name(&self) -> &'static str {
        "other"
    }

    fn claims(&self, _path: &str) -> bool {
        false
    }

    fn scan(&self, _path: &str, _text: &str, _map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        Vec::new()
    }
}
