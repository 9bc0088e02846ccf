//! Integration tests for `wsgi_migrate`, built as a single test binary.
mod apply;
mod cli;
mod crash;
mod e2e;
mod fixtures;
mod fleet;
mod git;
mod hardening;
mod ini_differential;
mod pre_commit;
mod python_imports;
mod sphinx;
mod support;
mod verify;
mod walk;
