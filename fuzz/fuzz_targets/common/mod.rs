//! Invariants shared by the fuzz targets: edits stay in bounds and on character boundaries, do
//! not overlap, change only their own spans, and a second pass over the result has nothing left
//! to rewrite.
#![allow(dead_code)]

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use wsgi_migrate::dialect::{Action, AppTarget, Context, DIALECTS, Dialect, Finding, ScriptMap};
use wsgi_migrate::syntax::edit::{Edit, apply_edits};

/// The fuzzer's bytes as text. Invalid UTF-8 becomes U+FFFD, a three-byte character, which
/// exercises the character-boundary checks as a bonus.
pub fn text(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Whether `range` is a valid, non-reversed range of `text` on character boundaries.
pub fn assert_range(text: &str, range: &std::ops::Range<usize>, what: &str) {
    assert!(
        range.start <= range.end && range.end <= text.len(),
        "{what}: range {range:?} out of bounds (text is {} bytes)",
        text.len()
    );
    assert!(
        text.is_char_boundary(range.start) && text.is_char_boundary(range.end),
        "{what}: range {range:?} splits a character"
    );
}

/// Check `edits` against `text`, apply them and prove that every byte outside the edited ranges
/// is unchanged. Returns the edited text.
pub fn check_edits(text: &str, edits: &[Edit], what: &str) -> String {
    for edit in edits {
        assert_range(text, &edit.range, what);
    }
    let out = match apply_edits(text, edits) {
        Ok(out) => out,
        Err(conflict) => panic!("{what}: {conflict}; edits {edits:?}"),
    };
    assert_only_spans_changed(text, edits, &out, what);
    out
}

/// Rebuild `out` independently of `apply_edits`: every gap between edits must be the original
/// bytes and every edit its replacement, in order, with nothing else.
pub fn assert_only_spans_changed(text: &str, edits: &[Edit], out: &str, what: &str) {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|edit| (edit.range.start, edit.range.end));
    sorted.dedup();
    let mut cursor = 0;
    let mut out_cursor = 0;
    for edit in sorted {
        let kept = &text[cursor..edit.range.start];
        assert!(
            out[out_cursor..].starts_with(kept),
            "{what}: bytes {cursor}..{} outside every edit changed",
            edit.range.start
        );
        out_cursor += kept.len();
        assert!(
            out[out_cursor..].starts_with(edit.replacement.as_str()),
            "{what}: edit {:?} is not where it should be in the result",
            edit.range
        );
        out_cursor += edit.replacement.len();
        cursor = edit.range.end;
    }
    assert_eq!(
        &out[out_cursor..],
        &text[cursor..],
        "{what}: bytes after the last edit changed"
    );
}

/// The scripts the dialect targets look for: real upstream names, one Glance (which warns)
/// and one whose module arrived with the script's removal.
pub fn script_map() -> &'static ScriptMap {
    static MAP: OnceLock<ScriptMap> = OnceLock::new();
    MAP.get_or_init(|| {
        let target = |module: &str, project: &str| AppTarget {
            project: Some(project.to_owned()),
            ..AppTarget::module(module)
        };
        ScriptMap::new(BTreeMap::from([
            (
                "nova-api-wsgi".to_owned(),
                target("nova.wsgi.osapi_compute", "openstack/nova"),
            ),
            (
                "keystone-wsgi-public".to_owned(),
                target("keystone.wsgi.api", "openstack/keystone"),
            ),
            (
                "glance-wsgi-api".to_owned(),
                target("glance.wsgi.api", "openstack/glance"),
            ),
            (
                "placement-api".to_owned(),
                target("placement.wsgi.api", "openstack/placement"),
            ),
            (
                "octavia-wsgi".to_owned(),
                AppTarget {
                    caveat: Some("no release ships both".to_owned()),
                    ..target("octavia.wsgi.api", "openstack/octavia")
                },
            ),
        ]))
    })
}

/// Paths each dialect is scanned under: the path decides a few things (release notes, pinned
/// values files, Ansible roles, RPM against Debian), so some dialects get two.
fn paths(dialect: &str) -> &'static [&'static str] {
    match dialect {
        "docs" => &["doc/source/install.rst"],
        "devstack" => &["devstack/lib/nova"],
        "uwsgi-ini" => &["etc/nova/nova-api-uwsgi.ini"],
        "systemd" => &["files/nova-api.service"],
        "dockerfile" => &["Dockerfile"],
        "shell" => &["docker/entrypoint.sh"],
        "yaml" => &["values.yaml", "roles/os_nova/defaults/main.yml"],
        "uwsgi-json" => &["etc/uwsgi/nova.json"],
        "uwsgi-xml" => &["etc/uwsgi/nova.xml"],
        "apache" => &["httpd/nova.conf"],
        "nginx" => &["etc/nginx/sites-enabled/nova"],
        "puppet" => &["manifests/wsgi/uwsgi.pp"],
        "packaging" => &["openstack-nova.spec", "debian/nova-api.install"],
        "other" => &["hooks/keystone_utils.py"],
        other => panic!("no fuzz paths for dialect `{other}`: add them to common/mod.rs"),
    }
}

fn dialect(name: &str) -> &'static dyn Dialect {
    DIALECTS
        .iter()
        .copied()
        .find(|dialect| dialect.name() == name)
        .unwrap_or_else(|| panic!("no dialect named `{name}`"))
}

/// Collect then scan, as the planner does for one file.
fn scan(dialect: &dyn Dialect, path: &str, text: &str) -> Vec<Finding> {
    let map = script_map();
    let mut context = Context::default();
    dialect.collect(path, text, map, &mut context);
    dialect.scan(path, text, map, &context)
}

/// The invariants of one rewriter on arbitrary text, under each of its paths.
pub fn check_dialect(name: &str, data: &[u8]) {
    // A dialect added without fuzz paths (and so without a `dialect_<name>` target) fails
    // every dialect target at once.
    static EVERY_DIALECT_HAS_PATHS: std::sync::Once = std::sync::Once::new();
    EVERY_DIALECT_HAS_PATHS.call_once(|| {
        for dialect in DIALECTS {
            paths(dialect.name());
        }
    });
    let dialect = dialect(name);
    let text = text(data);
    let text = text.as_ref();
    for path in paths(name) {
        assert!(dialect.claims(path), "{name} does not claim {path}");
        let findings = scan(dialect, path, text);
        let mut all = Vec::new();
        for finding in &findings {
            assert!(
                finding.offset <= text.len(),
                "{name}: finding offset {} beyond the text",
                finding.offset
            );
            match finding.action {
                Action::Rewrite => assert!(
                    !finding.edits.is_empty(),
                    "{name}: a rewrite without edits: {finding:?}"
                ),
                // Another action may carry a display-only fix, never written.
                Action::Manual | Action::Ok => {}
            }
            check_edits(text, &finding.edits, &format!("{name} finding"));
            if finding.action == Action::Rewrite {
                all.extend(finding.edits.iter().cloned());
            }
        }
        if all.is_empty() {
            continue;
        }
        // The planner applies every finding's edits of a file together.
        let out = check_edits(text, &all, &format!("{name} file"));
        let again: Vec<Finding> = scan(dialect, path, &out)
            .into_iter()
            .filter(|finding| finding.action == Action::Rewrite)
            .collect();
        assert!(
            again.is_empty(),
            "{name} ({path}) is not idempotent:\ninput:  {text:?}\noutput: {out:?}\nstill rewrites: {again:?}"
        );
    }
}
