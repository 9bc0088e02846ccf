//! `wsgi_scripts` mentioned in `setup.py`.
//!
//! `setup.py` is a program, and this tool does not evaluate or parse Python, so a mention is
//! reported for a person to move into `setup.cfg` or `pyproject.toml` (or to drop once the
//! modules exist). No upstream project declared the group here; the report exists so that a
//! project that did is not silently left half-migrated.

use crate::project::entry_points::GROUP;
use crate::syntax::text;

/// The 1-based lines of `text` that mention the `wsgi_scripts` group.
pub fn mentions(text: &str) -> Vec<usize> {
    text::lines(text)
        .filter(|line| line.content.contains(GROUP))
        .map(|line| line.number)
        .collect()
}

pub const MESSAGE: &str = "setup.py declares `wsgi_scripts`, which this tool does not rewrite: \
    move each script to a `<package>.wsgi.<server>` module by hand (or declare the group in \
    setup.cfg and run `wsgi-migrate apply` again), then remove the group from setup.py";

#[cfg(test)]
mod tests {
    #[test]
    fn finds_mentions() {
        let text =
            "setup(\n    entry_points={\n        'wsgi_scripts': ['x = x.api:app'],\n    })\n";
        assert_eq!(super::mentions(text), vec![3]);
    }
}
