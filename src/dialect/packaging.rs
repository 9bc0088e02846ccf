//! Distribution packaging: RPM `*.spec` files and Debian `debian/` manifests, rules and
//! maintainer scripts.
//!
//! Nothing here is rewritten. Whether the next package ships a compatibility script, the
//! module's file or nothing is the packager's decision (distributions diverge per release), so
//! every mention is reported with its consequence: an RPM `%files` entry fails the build with
//! "File not found" once the script is gone, a `debian/*.install` line makes `dh_install` stop on
//! a missing file, a link dangles. Changelog entries are history and need nothing.
//!
//! See: deploy-configs.md §12.

use crate::dialect::apache::{import_line, module_file};
use crate::dialect::{Context, Dialect, Finding, ScriptMap};
use crate::syntax::text;

pub struct Packaging;

/// Debian files under `debian/` that list or handle installed paths, by suffix or whole name.
const DEBIAN_SUFFIXES: [&str; 13] = [
    ".install",
    ".links",
    ".dirs",
    ".manpages",
    ".postinst",
    ".preinst",
    ".postrm",
    ".prerm",
    ".maintscript",
    ".lintian-overrides",
    ".triggers",
    ".docs",
    ".examples",
];
const DEBIAN_NAMES: [&str; 5] = ["rules", "install", "links", "dirs", "changelog"];

/// RPM section macros; any other `%word` at the start of a line is not a section.
const SPEC_SECTIONS: [&str; 22] = [
    "package",
    "description",
    "prep",
    "generate_buildrequires",
    "conf",
    "build",
    "install",
    "check",
    "clean",
    "files",
    "changelog",
    "pre",
    "post",
    "preun",
    "postun",
    "pretrans",
    "posttrans",
    "verifyscript",
    "triggerin",
    "triggerun",
    "triggerpostun",
    "filetriggerin",
];

impl Dialect for Packaging {
    fn name(&self) -> &'static str {
        "packaging"
    }

    fn claims(&self, path: &str) -> bool {
        let mut components = path.split('/');
        let name = components.next_back().unwrap_or_default();
        name.ends_with(".spec")
            || (components.any(|directory| directory == "debian")
                && (DEBIAN_NAMES.contains(&name)
                    || DEBIAN_SUFFIXES.iter().any(|suffix| name.ends_with(suffix))))
    }

    fn scan(&self, path: &str, text: &str, map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        let name = super::file_name(path);
        let spec = name.ends_with(".spec");
        let mut section = "";
        let mut findings = Vec::new();
        for line in text::lines(text) {
            let trimmed = line.content.trim_start();
            if spec && let Some(found) = section_of(trimmed) {
                section = found;
            }
            for mention in map.mentions(line.content) {
                let at = line.start + mention.range.start;
                let script = mention.script;
                let changelog = name == "changelog" || (spec && section == "changelog");
                let finding = if changelog {
                    Finding::ok(
                        at,
                        script,
                        "a changelog entry; history needs no change".to_owned(),
                    )
                } else if trimmed.starts_with('#') {
                    Finding::manual(
                        at,
                        script,
                        format!(
                            "a comment mentions the `{script}` script, which the next release no longer installs: update or delete it"
                        ),
                    )
                } else if spec {
                    Finding::manual(at, script, spec_message(section, script, map))
                } else {
                    Finding::manual(at, script, debian_message(name, script, map))
                };
                findings.push(finding);
            }
        }
        findings
    }
}

/// The section a spec line opens (`%files -n python3-nova` opens `files`), if it opens one.
fn section_of(line: &str) -> Option<&'static str> {
    let word = line.strip_prefix('%')?;
    let end = word
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(word.len());
    SPEC_SECTIONS
        .iter()
        .find(|section| **section == &word[..end])
        .copied()
}

fn shim(map: &ScriptMap, script: &str) -> String {
    format!(
        "ship a compatibility shim at that path containing `{}`",
        import_line(map, script)
    )
}

fn spec_message(section: &str, script: &str, map: &ScriptMap) -> String {
    let module = map.module(script).unwrap_or_default();
    match section {
        "files" => format!(
            "package manifest lists `{script}`, which the next release no longer installs, so rpmbuild fails with \"File not found\": remove the line, or {} (install it in `%install`)",
            shim(map, script)
        ),
        "" | "package" | "description" => format!(
            "mentions the `{script}` script, which the next release no longer installs: update the text"
        ),
        _ => format!(
            "the `%{section}` section uses `{script}`, which the next release no longer installs, so the command fails: drop it, {}, or where mod_wsgi needs a file use the module's file {}",
            shim(map, script),
            module_file(module, "%{python3_sitelib}")
        ),
    }
}

fn debian_message(name: &str, script: &str, map: &ScriptMap) -> String {
    let consequence = if name == "install" || name.ends_with(".install") {
        ", so dh_install stops on the missing file"
    } else if name == "links" || name.ends_with(".links") {
        ", so the link would dangle"
    } else {
        ""
    };
    let is_script = name == "rules"
        || [".postinst", ".preinst", ".postrm", ".prerm"]
            .iter()
            .any(|suffix| name.ends_with(suffix));
    let (what, fix) = if is_script {
        ("packaging script uses", "drop it from the command")
    } else {
        ("package manifest lists", "remove the line")
    };
    format!(
        "{what} `{script}`, which the next release no longer installs{consequence}: {fix}, or {}",
        shim(map, script)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Action;
    use crate::dialect::testing::{self, actions};

    fn scan(path: &str, text: &str) -> Vec<Finding> {
        let map = testing::map(&[
            ("nova-metadata-wsgi", "nova.wsgi.metadata"),
            ("keystone-wsgi-public", "keystone.wsgi.api"),
        ]);
        testing::report(&Packaging, path, text, &map)
    }

    #[test]
    fn claims() {
        for path in [
            "openstack-nova.spec",
            "debian/keystone.install",
            "debian/rules",
            "pkg/debian/keystone.links",
        ] {
            assert!(Packaging.claims(path), "{path}");
        }
        assert!(!Packaging.claims("keystone.install"));
        assert!(!Packaging.claims("debian/keystone-public.ini"));
    }

    #[test]
    fn spec_sections() {
        let text = "Summary: x\r\n%install\r\ninstall -m 755 %{buildroot}%{_bindir}/nova-metadata-wsgi %{buildroot}/var/www/cgi-bin/nova/nova-metadata\r\n%files -n python3-nova\r\n%{_bindir}/nova-metadata-wsgi\r\n%dir %{_bindir}\r\n# %{_bindir}/nova-metadata-wsgi\r\n%changelog\r\n- Add nova-metadata-wsgi\r\n";
        let findings = scan("openstack-nova.spec", text);
        assert_eq!(
            actions(&findings),
            [Action::Manual, Action::Manual, Action::Manual, Action::Ok]
        );
        assert!(
            findings[0]
                .message
                .starts_with("the `%install` section uses")
        );
        assert!(
            findings[0]
                .message
                .contains("`%{python3_sitelib}/nova/wsgi/metadata.py`")
        );
        assert_eq!(
            findings[1].message,
            "package manifest lists `nova-metadata-wsgi`, which the next release no longer installs, so rpmbuild fails with \"File not found\": remove the line, or ship a compatibility shim at that path containing `from nova.wsgi.metadata import application` (install it in `%install`)"
        );
        assert!(findings[2].message.starts_with("a comment mentions"));
    }

    #[test]
    fn debian_files() {
        let findings = scan(
            "debian/keystone.install",
            "usr/bin/keystone-wsgi-public\nusr/bin/keystone-manage\n",
        );
        assert_eq!(findings.len(), 1);
        assert!(findings[0].message.contains("dh_install stops"));
        let findings = scan(
            "debian/changelog",
            "keystone (2:27.0.0-1) unstable\n  * Use keystone-wsgi-public.\n",
        );
        assert_eq!(findings[0].action, Action::Ok);
    }
}
