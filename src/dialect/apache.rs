//! Apache httpd and mod_wsgi configuration.

use crate::dialect::{Context, Dialect, Finding, ScriptMap};

pub struct Apache;

impl Dialect for Apache {
    fn name(&self) -> &'static str {
        "apache"
    }

    fn claims(&self, _path: &str) -> bool {
        false
    }

    fn scan(&self, _path: &str, _text: &str, _map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        Vec::new()
    }
}
