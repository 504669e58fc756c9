//! Background jobs of the app and what their results do: each job's event comes back here, a
//! failed or cancelled one undoes what it started.

use std::sync::Arc;

use super::{Cleanup, Event, Search, SyrinxApp};

impl SyrinxApp {
    /// Runs `job` on its own thread; its event (or, if it panics, a message) comes back through
    /// the event channel.
    pub(super) fn spawn_job(
        &mut self,
        name: &'static str,
        cleanup: Cleanup,
        job: impl FnOnce() -> Event + Send + 'static,
    ) {
        match crate::util::jobs::Job::spawn(name, Arc::clone(&self.session.waker), move |_| {
            Ok(job())
        }) {
            Ok(job) => self.session.jobs.push((job, cleanup)),
            Err(error) => {
                self.error(error.to_string());
                self.apply_cleanup(&cleanup);
            }
        }
    }

    /// Starts a background job that stops when asked (the Jobs window offers Cancel): `job`
    /// gets the flag to check.
    pub(super) fn spawn_cancellable_job(
        &mut self,
        name: &'static str,
        cleanup: Cleanup,
        job: impl FnOnce(&std::sync::atomic::AtomicBool) -> Event + Send + 'static,
    ) {
        match crate::util::jobs::Job::spawn(name, Arc::clone(&self.session.waker), move |context| {
            Ok(job(context.cancel_flag()))
        }) {
            Ok(job) => self.session.jobs.push((job, cleanup)),
            Err(error) => {
                self.error(error.to_string());
                self.apply_cleanup(&cleanup);
            }
        }
    }

    /// Starts a background job that panics (tests check that the app reports it and goes on).
    #[cfg(feature = "test-hooks")]
    #[allow(clippy::panic)] // the point of it
    pub fn spawn_panicking_job_for_tests(&mut self) {
        self.spawn_job("test job", Cleanup::Nothing, || {
            panic!("deliberate failure");
        });
    }

    /// Starts Find more like this's spinner and a search job that panics (tests check that the
    /// spinner stops and the failure is reported).
    #[cfg(feature = "test-hooks")]
    #[allow(clippy::panic)] // the point of it
    pub fn spawn_panicking_search_for_tests(&mut self) {
        self.ui.similar.searching = true;
        self.spawn_cancellable_job(
            "finding similar boxes",
            Cleanup::Search(Search::Similar),
            |_| panic!("deliberate failure"),
        );
    }

    pub(super) fn apply_cleanup(&mut self, cleanup: &Cleanup) {
        match cleanup {
            Cleanup::Nothing => {}
            #[cfg(feature = "test-hooks")]
            Cleanup::Cancellable => {}
            Cleanup::Opening(path) => {
                self.ui.opening.retain(|p| p != path);
                self.ui.first_screen_pending.retain(|(p, _)| p != path);
            }
            Cleanup::Saving => self.session.saves.finished(),
            Cleanup::Search(Search::Similar) => self.ui.similar.searching = false,
            Cleanup::Search(Search::LabelNext) => self.ui.review.label_next.searching = false,
            Cleanup::Dialog => {
                self.ui.dialog_open = false;
                if let Some(prompt) = &mut self.ui.prompt {
                    prompt.browsing = false;
                }
                if let Some(export) = &mut self.ui.export {
                    export.browsing = false;
                }
            }
        }
    }

    /// Takes what background threads finished.
    pub(super) fn poll_events(&mut self) {
        let mut finished = Vec::new();
        self.session
            .jobs
            .retain_mut(|(job, cleanup)| match job.poll() {
                None => true,
                Some(Ok(event)) => {
                    finished.push(event);
                    false
                }
                // Stopped by the user: said so, not as an error.
                Some(Err(error @ crate::util::jobs::JobError::Cancelled { .. })) => {
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
        for event in finished {
            match event {
                Event::Opened {
                    path,
                    order,
                    project_id,
                    result,
                } => {
                    self.ui.opening.retain(|p| p != &path);
                    match *result {
                        Ok(opened) => self.add_recording(path, order, project_id, opened),
                        Err(error) => {
                            self.ui.first_screen_pending.retain(|(p, _)| p != &path);
                            self.error(error.to_string());
                        }
                    }
                }
                Event::DemoReady(Ok(project)) => {
                    self.session
                        .messages
                        .retain(|m| !m.text.starts_with("preparing the demo"));
                    self.open_project(project);
                }
                Event::DemoReady(Err(error)) => self.error(error.to_string()),
                Event::Picked(picked) => {
                    self.ui.dialog_open = false;
                    match picked {
                        Some(files) => self.open_paths(files),
                        None => self.info(
                            "No files chosen. If no dialog appeared (no desktop portal), use File > Open path… to type one."
                                .to_owned(),
                        ),
                    }
                }
                Event::JobFailed { message, cleanup } => {
                    self.apply_cleanup(&cleanup);
                    self.error(message);
                }
                Event::JobCancelled { message, cleanup } => {
                    self.apply_cleanup(&cleanup);
                    self.info(message);
                }
                other => self.project_event(other),
            }
        }
        for error in self.ui.engine.take_errors() {
            self.error(error);
        }
        if let Some(error) = self.ui.player.take_error() {
            self.error(error.to_string());
        }
    }
}
