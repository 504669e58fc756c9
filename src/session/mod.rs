//! The open project as both front ends hold it: the document and its undo history, opening it
//! with a report of what was found, the project lock (one writer at a time) and what a session
//! knows of its file (so a save never writes over changes it has not seen), ordered saves and
//! autosave, merging another writer's saves, and adding recordings with their tables. The app
//! keeps one open; each command that changes a project opens, changes and saves it the same
//! way.

mod add;
pub mod disk;
mod document;
pub mod lock;
mod open;
mod save;

pub use add::{AddOptions, Addition, LabelChoice, TableAdded, plan as plan_addition};
pub use document::{Document, Revision};
pub use open::{Notice, OpenReport, edit, open, read};
pub use save::{
    AUTOSAVE_FOLDER, SaveDone, SaveError, SaveGate, SaveTicket, Saved, Saves, untitled_path,
};
