//! The project side: from a service's `wsgi_scripts` declarations to the modules that replace
//! them.
//!
//! [`entry_points`] reads and removes the declarations, [`naming`] (with the upstream
//! [`registry`]) chooses each script's module, [`scaffold`] writes a generated module,
//! [`release_note`] the reno note and [`sphinx`] the docs exclusion. All pure: the planner gives
//! them text and keeps what they return.

pub mod entry_points;
pub mod naming;
pub mod registry;
pub mod release_note;
pub mod scaffold;
pub mod sphinx;
