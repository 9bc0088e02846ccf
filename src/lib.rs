//! `wsgi-migrate`: move a PBR-built Python project, and the deployments that use it, from PBR
//! `wsgi_scripts` entry points to `<package>.wsgi.<server>` modules.
//!
//! The library exists for the binary and its tests; its API is not stable. ARCHITECTURE.md maps
//! the modules below, in reading order, and the invariants they keep.

pub mod apply;
pub mod cli;
pub mod code;
pub mod commit;
pub mod commit_message;
pub mod diagnostic;
pub mod dialect;
pub mod edit;
pub mod entry_points;
pub mod fleet;
pub mod git;
pub mod ini;
pub mod journal;
pub mod naming;
pub mod plan;
pub mod python;
pub mod registry;
pub mod release_note;
pub mod render;
pub mod report;
pub mod scaffold;
pub mod script_map;
pub mod shell;
pub mod sphinx;
pub mod text;
pub mod verify;
pub mod workspace;
