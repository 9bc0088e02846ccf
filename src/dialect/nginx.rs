//! nginx configuration.

use crate::dialect::{Context, Dialect, Finding, ScriptMap};

pub struct Nginx;

impl Dialect for Nginx {
    fn name(&self) -> &'static str {
        "nginx"
    }

    fn claims(&self, _path: &str) -> bool {
        false
    }

    fn scan(&self, _path: &str, _text: &str, _map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        Vec::new()
    }
}
