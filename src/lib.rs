//! `wsgi-migrate`: move a PBR-built Python project, and the deployments that use it, from PBR
//! `wsgi_scripts` entry points to `<package>.wsgi.<server>` modules.
//!
//! The library exists for the binary and its tests; its API is not stable. The folders name the
//! stages of the pipeline, in reading order (ARCHITECTURE.md maps them and the invariants they
//! keep): the syntax readers; the project side (entry points to generated modules); the script
//! map; the dialects and the one directive decision; the plan; the reports; the effects (walk,
//! write, git, verify, fleet); the command line. Only `effects` and `cli` touch the outside world.

pub mod code;
pub mod diagnostic;

pub mod syntax;

pub mod project;

pub mod script_map;

pub mod dialect;

pub mod plan;

pub mod report;

pub mod effects;

pub mod cli;
