//! The built-in registry of upstream OpenStack WSGI scripts and the modules their projects
//! chose, compiled into the binary from `data/openstack-scripts.toml`.
//!
//! Naming uses it so that a migration of nova produces `nova.wsgi.osapi_compute`, the module
//! nova itself chose, rather than a name derived from the script. Deployment repositories, which
//! declare no scripts, will use it as their map.

use std::sync::OnceLock;

use toml_edit::Document;

const REGISTRY_TOML: &str = include_str!("../../data/openstack-scripts.toml");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownScript {
    pub name: String,
    pub project: String,
    pub package: String,
    pub target: String,
    /// The module holding `application` upstream; empty when the project never shipped one.
    pub module: String,
    pub status: String,
    pub module_added_in: String,
    pub script_removed_in: String,
}

impl KnownScript {
    /// Whether the module arrived in the change that removed the script (octavia, designate):
    /// then no release ships both, and a deployment cannot switch ahead of its upgrade.
    pub fn no_release_with_both(&self) -> bool {
        !self.module_added_in.is_empty() && self.module_added_in == self.script_removed_in
    }
}

/// Every script in the registry, in file order.
pub fn scripts() -> &'static [KnownScript] {
    static SCRIPTS: OnceLock<Vec<KnownScript>> = OnceLock::new();
    SCRIPTS.get_or_init(|| parse(REGISTRY_TOML))
}

pub fn lookup(name: &str) -> Option<&'static KnownScript> {
    scripts().iter().find(|script| script.name == name)
}

fn parse(text: &str) -> Vec<KnownScript> {
    // The file is part of the source tree and covered by a test, so a malformed registry is a
    // build-time mistake; an empty registry keeps the tool working if it ever happens.
    let Ok(doc) = Document::parse(text) else {
        return Vec::new();
    };
    let Some(entries) = doc.get("script").and_then(|item| item.as_array_of_tables()) else {
        return Vec::new();
    };
    entries
        .iter()
        .map(|entry| {
            let field = |key: &str| {
                entry
                    .get(key)
                    .and_then(|value| value.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            KnownScript {
                name: field("name"),
                project: field("project"),
                package: field("package"),
                target: field("target"),
                module: field("module"),
                status: field("status"),
                module_added_in: field("module_added_in"),
                script_removed_in: field("script_removed_in"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::entry_points::Target;
    use crate::syntax::python;

    #[test]
    fn registry_is_complete_and_valid() {
        let scripts = scripts();
        assert_eq!(scripts.len(), 44);
        for script in scripts {
            assert!(
                python::script_name_problem(&script.name).is_none(),
                "{}",
                script.name
            );
            assert!(Target::parse(&script.target).is_ok(), "{}", script.target);
            assert!(
                script.module.is_empty() || python::is_dotted_path(&script.module),
                "{}",
                script.module
            );
        }
        assert_eq!(
            lookup("nova-api-wsgi").unwrap().module,
            "nova.wsgi.osapi_compute"
        );
        assert_eq!(
            lookup("keystone-wsgi-admin").unwrap().module,
            "keystone.wsgi.api"
        );
        assert!(lookup("nova-api").is_none());
    }
}
