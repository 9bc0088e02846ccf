//! Dockerfiles.

use crate::dialect::{Context, Dialect, Finding, ScriptMap};

pub struct Dockerfile;

impl Dialect for Dockerfile {
    fn name(&self) -> &'static str {
        "dockerfile"
    }

    fn claims(&self, _path: &str) -> bool {
        false
    }

    fn scan(&self, _path: &str, _text: &str, _map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        Vec::new()
    }
}
