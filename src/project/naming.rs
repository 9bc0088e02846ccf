//! Which module replaces which script.
//!
//! In this order: `--name SCRIPT=MODULE` flags; the project's own configuration
//! (`[tool.wsgi-migrate.names]` in `pyproject.toml` or `[names]` in `wsgi-migrate.toml`); the
//! built-in registry of the names upstream chose, for the target the registry knows; and
//! otherwise the rule upstream followed: one application is `<pkg>.wsgi.api`, several take each
//! script's role token (`heat-wsgi-api-cfn` is `cfn`), and scripts whose targets are the same
//! callable share one module (keystone's admin and public scripts). Scripts with different
//! callables never share one. A module that already exists in the tree wins over all but the
//! overrides; the planner (`plan::project`) looks for it.
//!
//! A name is either a bare server name (`osapi_compute`), the full `<pkg>.wsgi.<server>` path, or
//! the package `<pkg>.wsgi` itself (ironic's and mistral's choice); the governance goal asks for
//! that shape, so nothing else is accepted.

use std::collections::BTreeMap;

use crate::project::registry;
use crate::syntax::python;

/// Where a module name came from, for messages and for the JSON report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameSource {
    Flag,
    Config,
    Registry,
    Rule,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleName {
    /// `nova.wsgi.osapi_compute`.
    pub dotted: String,
    /// `osapi_compute`.
    /// Empty for the package `<pkg>.wsgi` itself.
    pub server: String,
    pub source: NameSource,
}

/// One script to name: its name, its target as declared, and the callable it builds its
/// application from after aliases were resolved, so that two scripts calling the same function
/// compare equal.
#[derive(Debug, Clone)]
pub struct Script<'a> {
    pub name: &'a str,
    /// `module:attr`, as the entry point declares it.
    pub target: &'a str,
    pub callable: &'a str,
}

/// Name overrides from flags and from the project's configuration, script name to module.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub flags: BTreeMap<String, String>,
    pub config: BTreeMap<String, String>,
}

/// Decide a module for each of `scripts`, which all belong to `package`.
///
/// The registry's name is used only for the target the registry knows (an older tree may
/// declare the same script with another target), and never to put two scripts with different
/// callables in one module: those take the rule's names instead (keystone before 2019 declared
/// its admin and public scripts with two applications, which the registry merges).
pub fn name_modules(
    package: &str,
    scripts: &[Script<'_>],
    overrides: &Overrides,
) -> Vec<Result<ModuleName, String>> {
    let defaults = rule_names(package, scripts);
    let mut names: Vec<Result<ModuleName, String>> = scripts
        .iter()
        .zip(&defaults)
        .map(|(script, default)| {
            if let Some(name) = overrides.flags.get(script.name) {
                return parse_name(package, name, NameSource::Flag)
                    .map_err(|problem| format!("--name {}={name}: {problem}", script.name));
            }
            if let Some(name) = overrides.config.get(script.name) {
                return parse_name(package, name, NameSource::Config).map_err(|problem| {
                    format!("configured name `{name}` for `{}`: {problem}", script.name)
                });
            }
            if let Some(name) = registry_name(package, script) {
                return Ok(name);
            }
            rule_name(package, script, default)
        })
        .collect();
    // A registry name shared by scripts with different callables goes back to the rule.
    let mut callables: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (script, name) in scripts.iter().zip(&names) {
        if let Ok(name) = name {
            callables
                .entry(name.dotted.clone())
                .or_default()
                .push(script.callable);
        }
    }
    for ((script, default), name) in scripts.iter().zip(&defaults).zip(names.iter_mut()) {
        let merged = name.as_ref().is_ok_and(|name| {
            name.source == NameSource::Registry
                && callables[&name.dotted]
                    .iter()
                    .any(|callable| *callable != script.callable)
        });
        if merged {
            *name = rule_name(package, script, default);
        }
    }
    names
}

/// The registry's module for `script`, when the registry knows the script with this target and
/// its module lies in `package`.
pub fn registry_name(package: &str, script: &Script<'_>) -> Option<ModuleName> {
    registry::lookup(script.name)
        .filter(|known| known.target == script.target)
        .and_then(|known| parse_name(package, &known.module, NameSource::Registry).ok())
}

fn rule_name(package: &str, script: &Script<'_>, default: &str) -> Result<ModuleName, String> {
    parse_name(package, default, NameSource::Rule).map_err(|problem| {
        format!(
            "cannot derive a module name for `{}` ({problem}); choose one with --name {}=SERVER",
            script.name, script.name
        )
    })
}

/// Parse `server` or `<package>.wsgi.<server>`, or `<package>.wsgi` (or `__init__`) for the
/// package itself; `server` is empty for the package.
pub fn parse_name(package: &str, name: &str, source: NameSource) -> Result<ModuleName, String> {
    // The package itself (`ironic.wsgi`, upstream ironic's and mistral's choice) holds the
    // application in its `__init__.py`; `__init__` is another way to say so.
    if name == format!("{package}.wsgi") || name == "__init__" {
        return Ok(ModuleName {
            dotted: format!("{package}.wsgi"),
            server: String::new(),
            source,
        });
    }
    let server = match name.rsplit_once('.') {
        None => name,
        Some((prefix, server)) if prefix == format!("{package}.wsgi") => server,
        Some(_) => {
            return Err(format!(
                "a module name must be `SERVER` or `{package}.wsgi.SERVER`, not `{}`",
                python::escape(name)
            ));
        }
    };
    if !python::is_identifier(server) {
        return Err(format!(
            "`{}` is not a valid Python module name",
            python::escape(server)
        ));
    }
    Ok(ModuleName {
        dotted: format!("{package}.wsgi.{server}"),
        server: server.to_owned(),
        source,
    })
}

/// Upstream's rule: one callable gives `api`; several give each script's role token, and the
/// scripts of one callable share the name of the first with a role (or `api`).
pub fn rule_names(package: &str, scripts: &[Script<'_>]) -> Vec<String> {
    let mut by_callable: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for script in scripts {
        by_callable
            .entry(script.callable)
            .or_default()
            .push(script.name);
    }
    scripts
        .iter()
        .map(|script| {
            if by_callable.len() == 1 {
                return "api".to_owned();
            }
            let roles: Vec<String> = by_callable[script.callable]
                .iter()
                .map(|name| role(package, name))
                .collect();
            if roles.iter().any(String::is_empty) {
                "api".to_owned()
            } else {
                roles[0].clone()
            }
        })
        .collect()
}

/// The distinguishing part of a script name: without the project's name and the `wsgi`/`api`
/// noise, `-` turned into `_`. Empty when nothing distinguishes it.
pub fn role(package: &str, script: &str) -> String {
    let project_tokens: Vec<&str> = package.split('_').collect();
    script
        .split(['-', '_'])
        .filter(|token| {
            !token.is_empty()
                && !project_tokens.contains(token)
                && *token != "wsgi"
                && *token != "api"
        })
        .collect::<Vec<_>>()
        .join("_")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(
        package: &str,
        scripts: &[(&str, &str)],
        overrides: &Overrides,
    ) -> Vec<Result<String, String>> {
        let callables: Vec<String> = scripts
            .iter()
            .map(|(_, target)| target.replace(':', "."))
            .collect();
        let scripts: Vec<Script<'_>> = scripts
            .iter()
            .zip(&callables)
            .map(|((name, target), callable)| Script {
                name,
                target,
                callable,
            })
            .collect();
        name_modules(package, &scripts, overrides)
            .into_iter()
            .map(|name| name.map(|name| name.dotted))
            .collect()
    }

    #[test]
    fn registry_gives_upstream_names_for_the_targets_it_knows() {
        let nova = [
            (
                "nova-api-wsgi",
                "nova.api.openstack.compute.wsgi:init_application",
            ),
            (
                "nova-metadata-wsgi",
                "nova.api.metadata.wsgi:init_application",
            ),
        ];
        assert_eq!(
            names("nova", &nova, &Overrides::default()),
            vec![
                Ok("nova.wsgi.osapi_compute".into()),
                Ok("nova.wsgi.metadata".into())
            ]
        );
        // Another target than the registry knows: the rule.
        let got = names(
            "nova",
            &[("nova-api-wsgi", "a:f"), ("nova-metadata-wsgi", "b:g")],
            &Overrides::default(),
        );
        assert_eq!(
            got,
            vec![Ok("nova.wsgi.api".into()), Ok("nova.wsgi.metadata".into())]
        );
        // The package itself, as ironic shipped it.
        let got = names(
            "ironic",
            &[("ironic-api-wsgi", "ironic.api.wsgi:initialize_wsgi_app")],
            &Overrides::default(),
        );
        assert_eq!(got, vec![Ok("ironic.wsgi".into())]);
    }

    #[test]
    fn registry_never_merges_two_callables() {
        // keystone before 2019: two scripts, two applications, one registry module.
        let got = names(
            "keystone",
            &[
                (
                    "keystone-wsgi-admin",
                    "keystone.server.wsgi:initialize_admin_application",
                ),
                (
                    "keystone-wsgi-public",
                    "keystone.server.wsgi:initialize_public_application",
                ),
            ],
            &Overrides::default(),
        );
        assert_eq!(
            got,
            vec![
                Ok("keystone.wsgi.admin".into()),
                Ok("keystone.wsgi.public".into())
            ]
        );
        // Since 2019 admin is an alias of public: one callable, the registry's one module.
        let scripts = [
            Script {
                name: "keystone-wsgi-admin",
                target: "keystone.server.wsgi:initialize_admin_application",
                callable: "keystone.server.wsgi.initialize_public_application",
            },
            Script {
                name: "keystone-wsgi-public",
                target: "keystone.server.wsgi:initialize_public_application",
                callable: "keystone.server.wsgi.initialize_public_application",
            },
        ];
        let got: Vec<String> = name_modules("keystone", &scripts, &Overrides::default())
            .into_iter()
            .map(|name| name.unwrap().dotted)
            .collect();
        assert_eq!(got, vec!["keystone.wsgi.api", "keystone.wsgi.api"]);
    }

    #[test]
    fn the_package_itself_is_a_name() {
        let name = parse_name("toy", "__init__", NameSource::Flag).unwrap();
        assert_eq!(
            (name.dotted.as_str(), name.server.as_str()),
            ("toy.wsgi", "")
        );
        assert_eq!(
            parse_name("toy", "toy.wsgi", NameSource::Flag)
                .unwrap()
                .dotted,
            "toy.wsgi"
        );
    }

    #[test]
    fn rule_names_one_server_api_and_several_by_role() {
        assert_eq!(
            names("toy", &[("toy-wsgi", "a:f")], &Overrides::default()),
            vec![Ok("toy.wsgi.api".into())]
        );
        let got = names(
            "toy",
            &[("toy-wsgi-api", "a:f"), ("toy-wsgi-api-cfn", "b:g")],
            &Overrides::default(),
        );
        assert_eq!(
            got,
            vec![Ok("toy.wsgi.api".into()), Ok("toy.wsgi.cfn".into())]
        );
        let got = names(
            "toy",
            &[("toy-admin", "a:f"), ("toy-public", "a:f")],
            &Overrides::default(),
        );
        assert_eq!(
            got,
            vec![Ok("toy.wsgi.api".into()), Ok("toy.wsgi.api".into())]
        );
        assert_eq!(role("ironic_inspector", "ironic-inspector-api-wsgi"), "");
        assert_eq!(role("toy", "toy-metadata-server"), "metadata_server");
    }

    #[test]
    fn overrides_win_in_order() {
        let overrides = Overrides {
            flags: BTreeMap::from([("nova-api-wsgi".into(), "compute".into())]),
            config: BTreeMap::from([
                ("nova-api-wsgi".into(), "ignored".into()),
                ("nova-metadata-wsgi".into(), "nova.wsgi.meta".into()),
            ]),
        };
        let got = names(
            "nova",
            &[
                (
                    "nova-api-wsgi",
                    "nova.api.openstack.compute.wsgi:init_application",
                ),
                (
                    "nova-metadata-wsgi",
                    "nova.api.metadata.wsgi:init_application",
                ),
            ],
            &overrides,
        );
        assert_eq!(
            got,
            vec![Ok("nova.wsgi.compute".into()), Ok("nova.wsgi.meta".into())]
        );
    }

    #[test]
    fn invalid_names_are_errors() {
        let overrides = Overrides {
            flags: BTreeMap::from([("toy-wsgi".into(), "other.wsgi.x".into())]),
            ..Overrides::default()
        };
        assert!(
            names("toy", &[("toy-wsgi", "a:f")], &overrides)[0]
                .as_ref()
                .unwrap_err()
                .contains("toy.wsgi.SERVER")
        );
        let got = names(
            "toy",
            &[("toy-api", "a:f"), ("toy-class", "b:g")],
            &Overrides::default(),
        );
        assert!(got[1].as_ref().unwrap_err().contains("--name toy-class="));
    }
}
