//! Release notes in reno's format for the migration, as upstream wrote them: a `features` note
//! for the new modules with a uWSGI before/after example, and an `upgrade` note only when entry
//! points were really removed (two upstream projects announced a removal they never made).
//!
//! The file name is `<slug>-<16 hex>.yaml` like reno's, but the hex is derived from the content
//! rather than random, so that planning twice gives the same file and a second run adds nothing.

use crate::syntax::text::wrap;

/// What one project's migration did, for its notes.
#[derive(Debug, Clone)]
pub struct Migration {
    /// Import packages, e.g. `nova`.
    pub packages: Vec<String>,
    /// `(script, module)` for every script that now has a module, in declaration order.
    pub modules: Vec<(String, String)>,
    /// The scripts whose entry points this run removes.
    pub removed: Vec<String>,
    /// Whether every `<pkg>.wsgi` package of `packages` is new; when one already existed
    /// (cinder's, karbor's), the note says the modules were added to it.
    pub new_packages: bool,
}

/// Which sections a note file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sections {
    Features,
    Upgrade,
    Both,
}

const WIDTH: usize = 79;

/// The file name, under `releasenotes/notes/`, of the note with `sections`.
pub fn file_name(migration: &Migration, sections: Sections) -> String {
    let packages = migration.packages.join("-").replace('_', "-");
    let slug = match sections {
        Sections::Features | Sections::Both => format!("add-{packages}-wsgi-module"),
        Sections::Upgrade => format!("remove-{packages}-wsgi-scripts"),
    };
    let content = note(migration, sections);
    let digest = git2::Oid::hash_object(git2::ObjectType::Blob, content.as_bytes())
        .map(|oid| oid.to_string())
        .unwrap_or_default();
    format!("{slug}-{}.yaml", &digest[..16.min(digest.len())])
}

/// Whether `path` is an upgrade note [`file_name`] made, which belongs with the removal of the
/// entry points when the migration is split in two commits.
pub fn is_upgrade_note(path: &str) -> bool {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    (dir == "releasenotes/notes" || dir.ends_with("/releasenotes/notes"))
        && name.starts_with("remove-")
        && name.contains("-wsgi-scripts-")
        && name.ends_with(".yaml")
}

/// The YAML text of the note with `sections`.
pub fn note(migration: &Migration, sections: Sections) -> String {
    let mut out = String::from("---\n");
    if matches!(sections, Sections::Features | Sections::Both) {
        out.push_str("features:\n  - |\n");
        out.push_str(&features(migration));
    }
    if matches!(sections, Sections::Upgrade | Sections::Both) && !migration.removed.is_empty() {
        out.push_str("upgrade:\n  - |\n");
        out.push_str(&upgrade(migration));
    }
    out
}

fn literal(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("``{item}``")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn unique_modules(migration: &Migration) -> Vec<String> {
    let mut modules: Vec<String> = Vec::new();
    for (_, module) in &migration.modules {
        if !modules.contains(module) {
            modules.push(module.clone());
        }
    }
    modules
}

fn features(migration: &Migration) -> String {
    let packages: Vec<String> = migration
        .packages
        .iter()
        .map(|package| format!("{package}.wsgi"))
        .collect();
    let modules = unique_modules(migration);
    let scripts: Vec<String> = migration
        .modules
        .iter()
        .map(|(script, _)| script.clone())
        .collect();
    let replace = if modules.len() == 1 {
        "replaces"
    } else {
        "replace"
    };
    let (module_word, script_word) = (
        if modules.len() == 1 {
            "module"
        } else {
            "modules"
        },
        if scripts.len() == 1 {
            "script"
        } else {
            "scripts"
        },
    );
    let package_word = if packages.len() == 1 {
        "package"
    } else {
        "packages"
    };
    let advice = format!(
        "Deployment tools should load the {module_word} instead of the {script_word}, which also \
         makes servers such as gunicorn and uWSGI simpler to configure. For example, a uWSGI \
         configuration that reads::"
    );
    let text = if !migration.new_packages {
        format!(
            "The {module_word} {}, which {replace} the {} {script_word}, {} been added to the \
             existing {package_word} {}. {advice}",
            literal(&modules),
            literal(&scripts),
            if modules.len() == 1 { "has" } else { "have" },
            literal(&packages),
        )
    } else if modules == packages {
        // The package itself holds the application (ironic's and mistral's layout).
        format!(
            "A new {package_word}, {}, has been added as a place to gather WSGI ``application`` \
             objects. It replaces the {} {script_word}. {advice}",
            literal(&packages),
            literal(&scripts),
        )
    } else {
        format!(
            "A new {package_word}, {}, has been added as a place to gather WSGI ``application`` \
             objects. It provides the {module_word} {}, which {replace} the {} {script_word}. \
             {advice}",
            literal(&packages),
            literal(&modules),
            literal(&scripts),
        )
    };
    let (script, module) = migration.modules.first().cloned().unwrap_or_default();
    format!(
        "{}\n      [uwsgi]\n      wsgi-file = /usr/local/bin/{script}\n\n    becomes::\n\n      [uwsgi]\n      module = {module}:application\n",
        wrap(&text, WIDTH, "    ")
    )
}

fn upgrade(migration: &Migration) -> String {
    let removed = &migration.removed;
    let paths: Vec<String> = unique_modules(migration)
        .iter()
        .map(|module| format!("{module}:application"))
        .collect();
    let text = format!(
        "The WSGI {} {} {} been removed. Deployment tooling should instead reference the Python \
         module {} {}, if the chosen WSGI server supports this (gunicorn, uWSGI), or provide \
         its own ``.wsgi`` file that imports ``application`` from the module if not (mod_wsgi).",
        if removed.len() == 1 {
            "script"
        } else {
            "scripts"
        },
        literal(removed),
        if removed.len() == 1 { "has" } else { "have" },
        if paths.len() == 1 { "path" } else { "paths" },
        literal(&paths),
    );
    wrap(&text, WIDTH, "    ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nova(removed: bool) -> Migration {
        Migration {
            packages: vec!["nova".into()],
            modules: vec![
                ("nova-api-wsgi".into(), "nova.wsgi.osapi_compute".into()),
                ("nova-metadata-wsgi".into(), "nova.wsgi.metadata".into()),
            ],
            removed: if removed {
                vec!["nova-api-wsgi".into(), "nova-metadata-wsgi".into()]
            } else {
                Vec::new()
            },
            new_packages: true,
        }
    }

    #[test]
    fn an_existing_package_is_not_called_new() {
        let karbor = Migration {
            packages: vec!["karbor".into()],
            modules: vec![("karbor-wsgi".into(), "karbor.wsgi.api".into())],
            removed: vec!["karbor-wsgi".into()],
            new_packages: false,
        };
        let text = note(&karbor, Sections::Features);
        assert!(!text.contains("A new package"), "{text}");
        assert!(
            text.starts_with("---\nfeatures:\n  - |\n    The module ``karbor.wsgi.api``, which replaces the ``karbor-wsgi`` script,\n    has been added to the existing package ``karbor.wsgi``."),
            "{text}"
        );
        let ironic = Migration {
            packages: vec!["ironic".into()],
            modules: vec![("ironic-api-wsgi".into(), "ironic.wsgi".into())],
            removed: Vec::new(),
            new_packages: true,
        };
        let text = note(&ironic, Sections::Features);
        assert!(
            text.contains("A new package, ``ironic.wsgi``, has been added")
                && text.contains("It replaces the ``ironic-api-wsgi`` script."),
            "{text}"
        );
    }

    #[test]
    fn features_show_a_uwsgi_example() {
        let text = note(&nova(false), Sections::Both);
        assert!(
            text.starts_with("---\nfeatures:\n  - |\n    A new package, ``nova.wsgi``"),
            "{text}"
        );
        assert!(text.contains("      wsgi-file = /usr/local/bin/nova-api-wsgi\n"));
        assert!(text.contains("      module = nova.wsgi.osapi_compute:application\n"));
        assert!(
            !text.contains("upgrade:"),
            "no upgrade note without a removal"
        );
        assert!(text.lines().all(|line| line.len() <= WIDTH), "{text}");
    }

    #[test]
    fn upgrade_names_scripts_and_modules() {
        let text = note(&nova(true), Sections::Upgrade);
        assert!(text.starts_with("---\nupgrade:\n  - |\n"), "{text}");
        assert!(text.contains("``nova-api-wsgi`` and"), "{text}");
        assert!(
            text.contains("``nova.wsgi.osapi_compute:application`` and"),
            "{text}"
        );
        assert!(!text.contains("features:"));
    }

    #[test]
    fn file_names_are_stable_and_reno_shaped() {
        let name = file_name(&nova(true), Sections::Both);
        assert_eq!(name, file_name(&nova(true), Sections::Both));
        assert!(name.starts_with("add-nova-wsgi-module-") && name.ends_with(".yaml"));
        assert_eq!(
            name.len(),
            "add-nova-wsgi-module-".len() + 16 + ".yaml".len()
        );
        let upgrade = file_name(&nova(true), Sections::Upgrade);
        assert!(upgrade.starts_with("remove-nova-wsgi-scripts-"));
        assert!(is_upgrade_note(&format!("releasenotes/notes/{upgrade}")));
        assert!(!is_upgrade_note(&format!("releasenotes/notes/{name}")));
    }
}
