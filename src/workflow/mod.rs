//! The loop's steps as the app and the command line both run them: each step takes a project
//! (or files) and plain settings, reports through a callback or a [`crate::util::jobs`] context, and
//! leaves its result in the project, so that what `syrinx` does from a cluster job opens in the
//! app exactly as if the app had done it.

pub mod detect;
pub mod export;
pub mod folders;
pub mod head;
pub mod journal;
pub mod similar;
pub mod train;
