//! The session as the window holds it: the project with its history and saves, the jobs
//! working on it, what they reported (messages), and the requests features make of each other.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex};

use crate::gui::files::FileDialog;
use crate::gui::toasts::Message;
use crate::session::Document;
use crate::util::jobs::{Job, JobError};

use super::Request;
use super::events::{Cleanup, Event};

/// Messages kept for the notifications (the newest few are shown, see `toasts`).
const MAX_MESSAGES: usize = 6;
/// Messages kept in the log (Help ▸ Messages): enough for a folder of hundreds of bad files,
/// bounded so a long session does not grow without end.
const MAX_LOGGED_MESSAGES: usize = 2_000;

/// What the user is working on: kept however the window is laid out.
pub struct Session {
    /// The project: recordings, selections, labels, runs, with its undo history (always one,
    /// untitled at first).
    pub document: Document,

    // Saving.
    /// The app's data folder (untitled projects are autosaved under it).
    pub(crate) data_dir: Option<PathBuf>,
    /// Saves in order, and autosave.
    pub(crate) saves: crate::session::Saves,
    /// Counts documents installed (see `Event::Saved`).
    pub(crate) generation: u64,
    /// A project is being loaded.
    pub loading_project: bool,
    /// A native file dialog is open.
    pub(crate) dialog_open: bool,

    // Jobs and what they report.
    /// Background jobs started with `spawn_job`, each with what to undo if it fails.
    pub(crate) jobs: Vec<(crate::util::jobs::Job<(), Event>, Cleanup)>,
    /// Wakes the window when a job sends something.
    pub(crate) waker: Arc<dyn Fn() + Send + Sync>,
    /// Counts wake-ups (tests wait on it instead of sleeping).
    pub(crate) activity: Arc<Activity>,
    /// The latest messages (the notifications show the newest few).
    pub messages: Vec<Message>,
    /// Every message of the session, oldest first (the last [`MAX_LOGGED_MESSAGES`]): the
    /// status bar shows only the latest few.
    pub message_log: std::collections::VecDeque<Message>,

    /// Jobs that could not start, reported as failed ones by the next poll (their cleanups
    /// touch the window).
    pub(crate) unstarted: Vec<Event>,
    /// What features asked of each other during this frame, routed by the shell after it.
    pub(crate) requests: Vec<Request>,

    // The platform.
    pub(crate) file_dialog: Arc<dyn FileDialog>,
    /// Where the demo lives (`None`: no demo).
    pub(crate) demo_dir: Option<PathBuf>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("project", &self.document.title())
            .field("jobs", &self.jobs.len())
            .field("messages", &self.messages.len())
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn error(&mut self, text: String) {
        self.push_message(Message {
            text,
            is_error: true,
            shown_secs: None,
        });
    }

    pub(crate) fn info(&mut self, text: String) {
        self.push_message(Message {
            text,
            is_error: false,
            shown_secs: None,
        });
    }

    pub(crate) fn push_message(&mut self, message: Message) {
        self.message_log.push_back(message.clone());
        while self.message_log.len() > MAX_LOGGED_MESSAGES {
            self.message_log.pop_front();
        }
        // The same message again is shown afresh, not twice.
        self.messages
            .retain(|m| m.text != message.text || m.is_error != message.is_error);
        self.messages.push(message);
        while self.messages.len() > MAX_MESSAGES {
            self.messages.remove(0);
        }
    }

    /// Runs `job` on its own thread; its event (or, if it panics, a message) comes back through
    /// the event channel.
    pub(crate) fn spawn_job(
        &mut self,
        name: &'static str,
        cleanup: Cleanup,
        job: impl FnOnce() -> Event + Send + 'static,
    ) {
        match Job::spawn(name, Arc::clone(&self.waker), move |_| Ok(job())) {
            Ok(job) => self.jobs.push((job, cleanup)),
            Err(error) => self.unstarted.push(Event::JobFailed {
                message: error.to_string(),
                cleanup,
            }),
        }
    }

    /// Starts a background job that stops when asked (the Jobs window offers Cancel): `job`
    /// gets the flag to check.
    pub(crate) fn spawn_cancellable_job(
        &mut self,
        name: &'static str,
        cleanup: Cleanup,
        job: impl FnOnce(&AtomicBool) -> Event + Send + 'static,
    ) {
        match Job::spawn(name, Arc::clone(&self.waker), move |context| {
            Ok(job(context.cancel_flag()))
        }) {
            Ok(job) => self.jobs.push((job, cleanup)),
            Err(error) => self.unstarted.push(Event::JobFailed {
                message: error.to_string(),
                cleanup,
            }),
        }
    }

    /// The folder files made from the project go into: beside the project, or the app's data
    /// folder while it is untitled (`None`: neither).
    #[must_use]
    pub fn folder_beside_project(&self) -> Option<PathBuf> {
        self.document
            .save_path()
            .and_then(std::path::Path::parent)
            .map(std::path::Path::to_path_buf)
            .or_else(|| self.data_dir.clone())
    }

    /// Asks the shell for `request` once this frame is drawn.
    pub(crate) fn request(&mut self, request: Request) {
        self.requests.push(request);
    }

    /// What the jobs sent back (finished, failed or cancelled), and jobs that never started.
    pub(crate) fn take_events(&mut self) -> Vec<Event> {
        let mut finished = std::mem::take(&mut self.unstarted);
        self.jobs.retain_mut(|(job, cleanup)| match job.poll() {
            None => true,
            Some(Ok(event)) => {
                finished.push(event);
                false
            }
            // Stopped by the user: said so, not as an error.
            Some(Err(error @ JobError::Cancelled { .. })) => {
                finished.push(Event::JobCancelled {
                    message: error.to_string(),
                    cleanup: cleanup.clone(),
                });
                false
            }
            // A panic in the job: reported, and what it started undone.
            Some(Err(error)) => {
                finished.push(Event::JobFailed {
                    message: error.to_string(),
                    cleanup: cleanup.clone(),
                });
                false
            }
        });
        finished
    }
}

/// Counts wake-ups from background threads, so a caller can wait for work to arrive (tests wait
/// on this instead of sleeping).
#[derive(Debug, Default)]
pub struct Activity {
    count: Mutex<u64>,
    changed: Condvar,
}

impl Activity {
    pub fn bump(&self) {
        if let Ok(mut count) = self.count.lock() {
            *count += 1;
        }
        self.changed.notify_all();
    }

    pub fn count(&self) -> u64 {
        self.count.lock().map_or(0, |c| *c)
    }

    /// Waits until the count passes `seen` or `timeout` elapses; true if it did.
    pub fn wait_past(&self, seen: u64, timeout: std::time::Duration) -> bool {
        let Ok(guard) = self.count.lock() else {
            return false;
        };
        self.changed
            .wait_timeout_while(guard, timeout, |count| *count <= seen)
            .is_ok_and(|(_, result)| !result.timed_out())
    }
}
