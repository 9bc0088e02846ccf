//! uWSGI JSON configs.

use crate::dialect::{Context, Dialect, Finding, ScriptMap};

pub struct UwsgiJson;

impl Dialect for UwsgiJson {
    fn name(&self) -> &'static str {
        "uwsgi-json"
    }

    fn claims(&self, _path: &str) -> bool {
        false
    }

    fn scan(&self, _path: &str, _text: &str, _map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        Vec::new()
    }
}
