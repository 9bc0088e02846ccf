//! Puppet manifests and templates.

use crate::dialect::{Context, Dialect, Finding, ScriptMap};

pub struct Puppet;

impl Dialect for Puppet {
    fn name(&self) -> &'static str {
        "puppet"
    }

    fn claims(&self, _path: &str) -> bool {
        false
    }

    fn scan(&self, _path: &str, _text: &str, _map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        Vec::new()
    }
}
