//! The effects: everything that touches the outside world, kept out of the pure core.
//!
//! [`workspace`] walks and reads a tree (the planner's `Source` on disk), [`apply`] writes a plan
//! through the rollback [`journal`], [`git`] and [`commit`] make the review-ready commit through
//! libgit2, [`verify`] imports and serves the modules in child processes, and [`fleet`] runs the
//! migration over many repositories and pushes the results.

pub mod apply;
pub mod commit;
pub mod fleet;
pub mod git;
pub mod journal;
pub mod verify;
pub mod workspace;
