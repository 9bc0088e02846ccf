//! uWSGI XML configs.

use crate::dialect::{Context, Dialect, Finding, ScriptMap};

pub struct UwsgiXml;

impl Dialect for UwsgiXml {
    fn name(&self) -> &'static str {
        "uwsgi-xml"
    }

    fn claims(&self, _path: &str) -> bool {
        false
    }

    fn scan(&self, _path: &str, _text: &str, _map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        Vec::new()
    }
}
