//! Background jobs, one way for the app and the command line: a named thread, progress through a
//! bounded channel (a worker never blocks on a reader that stopped looking: when the channel is
//! full the newest progress is dropped), partial results that are never dropped (delivered in
//! order with the progress), a cancel flag, a typed result, a panic caught once and
//! turned into an error that names the job, and a waker called after every message (the core
//! never names a GUI toolkit: the app passes one that repaints its window).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel, sync_channel};

/// Called after every progress message and when the job ends.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Progress messages kept unread before the newest are dropped (delivered results do not count).
pub const PROGRESS_CAPACITY: usize = 256;

/// Why a job gave no result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    #[error("{job} was cancelled")]
    Cancelled { job: String },
    #[error("{job} failed unexpectedly: {why}")]
    Panicked { job: String, why: String },
    /// The work ended with an error of its own (already saying what and why).
    #[error("{why}")]
    Failed { job: String, why: String },
    #[error("cannot start {job}: {why}")]
    NotStarted { job: String, why: String },
    /// The thread went away without a result (it cannot, short of an abort).
    #[error("{job} stopped without a result")]
    Lost { job: String },
}

/// What the work sees: where to report progress and whether to stop.
pub struct JobContext<P> {
    name: String,
    /// `(droppable, message)`: progress and delivered results share one channel to keep order.
    progress: Sender<(bool, P)>,
    /// Droppable messages sent and not read yet.
    unread: Arc<AtomicUsize>,
    cancel: Arc<AtomicBool>,
    waker: Waker,
}

impl<P> JobContext<P> {
    /// Sends progress (dropped when the reader is far behind) and wakes the reader.
    pub fn report(&self, progress: P) {
        if self.unread.load(Ordering::Acquire) < PROGRESS_CAPACITY {
            self.unread.fetch_add(1, Ordering::AcqRel);
            // A reader that went away reads nothing more: nothing to do.
            let _ = self.progress.send((true, progress));
        }
        (self.waker)();
    }

    /// Sends a partial result, which is never dropped (a file scored in a batch: the reader
    /// keeps it even if the batch is cancelled later), and wakes the reader.
    pub fn deliver(&self, result: P) {
        let _ = self.progress.send((false, result));
        (self.waker)();
    }

    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// The flag itself, for core functions that take `&AtomicBool`.
    #[must_use]
    pub fn cancel_flag(&self) -> &AtomicBool {
        &self.cancel
    }

    /// The error a worker returns when its work failed, with the work's own message.
    #[must_use]
    pub fn failed(&self, why: impl std::fmt::Display) -> JobError {
        JobError::Failed {
            job: self.name.clone(),
            why: why.to_string(),
        }
    }

    /// The error a worker returns when it stops because it was cancelled.
    #[must_use]
    pub fn cancelled(&self) -> JobError {
        JobError::Cancelled {
            job: self.name.clone(),
        }
    }
}

impl<P> std::fmt::Debug for JobContext<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobContext")
            .field("name", &self.name)
            .field("cancelled", &self.is_cancelled())
            .finish_non_exhaustive()
    }
}

impl<P, T> std::fmt::Debug for Job<P, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("name", &self.name)
            .field("finished", &self.finished)
            .field("cancelling", &self.is_cancelling())
            .finish_non_exhaustive()
    }
}

/// A running (or finished) job with progress of type `P` and a result of type `T`.
pub struct Job<P, T> {
    name: String,
    progress: Receiver<(bool, P)>,
    unread: Arc<AtomicUsize>,
    result: Receiver<Result<T, JobError>>,
    cancel: Arc<AtomicBool>,
    finished: bool,
    /// The worker thread, joined by [`wait`](Self::wait) (dropping a job leaves it detached).
    thread: Option<std::thread::JoinHandle<()>>,
}

impl<P: Send + 'static, T: Send + 'static> Job<P, T> {
    /// Starts `work` on a thread called `syrinx-<name>`. A panic in it becomes
    /// [`JobError::Panicked`]; a thread that cannot start, [`JobError::NotStarted`].
    pub fn spawn(
        name: &str,
        waker: Waker,
        work: impl FnOnce(&JobContext<P>) -> Result<T, JobError> + Send + 'static,
    ) -> Result<Self, JobError> {
        let (progress_sender, progress) = channel();
        let (result_sender, result) = sync_channel(1);
        let cancel = Arc::new(AtomicBool::new(false));
        let unread = Arc::new(AtomicUsize::new(0));
        let context = JobContext {
            name: name.to_owned(),
            progress: progress_sender,
            unread: Arc::clone(&unread),
            cancel: Arc::clone(&cancel),
            waker: Arc::clone(&waker),
        };
        let job_name = name.to_owned();
        let thread = std::thread::Builder::new()
            .name(format!("syrinx-{}", name.replace(' ', "-")))
            .spawn(move || {
                let outcome =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&context)))
                        .unwrap_or_else(|panic| {
                            Err(JobError::Panicked {
                                job: job_name,
                                why: panic_text(panic.as_ref()),
                            })
                        });
                let _ = result_sender.send(outcome);
                waker();
            })
            .map_err(|error| JobError::NotStarted {
                job: name.to_owned(),
                why: error.to_string(),
            })?;
        Ok(Self {
            name: name.to_owned(),
            progress,
            unread,
            result,
            cancel,
            finished: false,
            thread: Some(thread),
        })
    }
}

impl<P, T> Job<P, T> {
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Asks the work to stop (it decides when: see [`JobContext::is_cancelled`]).
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    #[must_use]
    pub fn is_cancelling(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Progress and delivered results sent since the last call, oldest first.
    pub fn progress(&self) -> impl Iterator<Item = P> + '_ {
        self.progress.try_iter().map(|(droppable, message)| {
            if droppable {
                self.unread.fetch_sub(1, Ordering::AcqRel);
            }
            message
        })
    }

    /// The result, once, when the job has ended; `None` while it runs (and after).
    pub fn poll(&mut self) -> Option<Result<T, JobError>> {
        if self.finished {
            return None;
        }
        match self.result.try_recv() {
            Ok(result) => {
                self.finished = true;
                Some(result)
            }
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.finished = true;
                Some(Err(JobError::Lost {
                    job: self.name.clone(),
                }))
            }
        }
    }

    /// Whether the result has not been taken yet.
    #[must_use]
    pub fn is_running(&self) -> bool {
        !self.finished
    }

    /// Whether the worker thread is still at work (a result it left untaken does not count:
    /// nothing is being worked out any more).
    #[must_use]
    pub fn is_working(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Blocks until the job ends and its thread is gone (the command line's way).
    pub fn wait(mut self) -> Result<T, JobError> {
        self.finished = true;
        let result = self.result.recv().unwrap_or_else(|_| {
            Err(JobError::Lost {
                job: self.name.clone(),
            })
        });
        if let Some(thread) = self.thread.take() {
            // The thread's last act is the waker; it has no result of its own.
            let _ = thread.join();
        }
        result
    }
}

/// Runs `work` as a job and hands its progress and results to `on_progress` here, as they
/// arrive, until it ends: the command line's way (the work runs on its own thread while this one
/// writes tables or draws the progress bar). `on_progress` returns false to cancel the job.
pub fn run_here<P: Send + 'static, T: Send + 'static>(
    name: &str,
    work: impl FnOnce(&JobContext<P>) -> Result<T, JobError> + Send + 'static,
    on_progress: &mut dyn FnMut(P) -> bool,
) -> Result<T, JobError> {
    // The job wakes this thread after every message: one token is enough, since every wake-up
    // reads everything sent so far.
    let (wake, woken) = sync_channel::<()>(1);
    let waker: Waker = Arc::new(move || {
        let _ = wake.try_send(());
    });
    let mut job = Job::spawn(name, waker, work)?;
    loop {
        for message in job.progress() {
            if !on_progress(message) {
                job.cancel();
            }
        }
        if let Some(result) = job.poll() {
            // What was sent just before the end.
            for message in job.progress() {
                on_progress(message);
            }
            if let Some(thread) = job.thread.take() {
                let _ = thread.join();
            }
            return result;
        }
        // An error means the job's thread is gone: its result is there for `poll`.
        let _ = woken.recv();
    }
}

/// The message a panic carried.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown error".to_owned())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    /// Polls as the app does until the result comes (progress stays unread for the test).
    fn poll_until_done<P, T>(job: &mut Job<P, T>) -> Result<T, JobError> {
        loop {
            if let Some(result) = job.poll() {
                return result;
            }
            std::thread::yield_now();
        }
    }

    fn counting_waker() -> (Waker, Arc<AtomicUsize>) {
        let count = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&count);
        (
            Arc::new(move || {
                seen.fetch_add(1, Ordering::Relaxed);
            }),
            count,
        )
    }

    #[test]
    fn progress_arrives_in_order_and_the_result_once() {
        let (waker, wakes) = counting_waker();
        let job = Job::spawn("counting", waker, |context: &JobContext<u32>| {
            assert_eq!(
                std::thread::current().name(),
                Some("syrinx-counting"),
                "the thread is named"
            );
            for i in 0..10 {
                context.report(i);
            }
            Ok("done")
        })
        .unwrap();
        assert_eq!(job.name(), "counting");
        let mut job = job;
        let result = poll_until_done(&mut job);
        assert_eq!(result, Ok("done"));
        assert!(job.poll().is_none(), "the result comes once");
        assert!(!job.is_running());
        let progress: Vec<u32> = job.progress().collect();
        assert_eq!(progress, (0..10).collect::<Vec<_>>());
        // One per message (the one at the end may still be on its way).
        assert!(wakes.load(Ordering::Relaxed) >= 10);
    }

    #[test]
    fn a_cancelled_job_stops_when_its_work_looks() {
        let (waker, _) = counting_waker();
        let (started_sender, started) = std::sync::mpsc::channel();
        let job = Job::spawn("waiting", waker, move |context: &JobContext<()>| {
            started_sender.send(()).unwrap();
            while !context.is_cancelled() {
                std::thread::yield_now();
            }
            Err::<(), _>(context.cancelled())
        })
        .unwrap();
        started.recv().unwrap();
        assert!(!job.is_cancelling());
        job.cancel();
        assert!(job.is_cancelling());
        assert_eq!(
            job.wait(),
            Err(JobError::Cancelled {
                job: "waiting".to_owned()
            })
        );
    }

    #[test]
    fn a_panic_becomes_an_error_that_names_the_job() {
        let (waker, wakes) = counting_waker();
        let job =
            Job::<(), ()>::spawn("exploding", waker, |_| panic!("deliberate failure")).unwrap();
        let error = job.wait().unwrap_err();
        assert_eq!(
            error.to_string(),
            "exploding failed unexpectedly: deliberate failure"
        );
        assert_eq!(
            wakes.load(Ordering::Relaxed),
            1,
            "the reader is woken to see it"
        );
    }

    #[test]
    fn delivered_results_are_never_dropped_and_keep_their_place() {
        let (waker, _) = counting_waker();
        let job = Job::spawn("scoring", waker, |context: &JobContext<(bool, usize)>| {
            for i in 0..PROGRESS_CAPACITY * 3 {
                if i % 100 == 0 {
                    context.deliver((true, i));
                } else {
                    context.report((false, i));
                }
            }
            Ok(())
        })
        .unwrap();
        let mut job = job;
        let result = poll_until_done(&mut job);
        assert_eq!(result, Ok(()));
        let messages: Vec<(bool, usize)> = job.progress().collect();
        let delivered: Vec<usize> = messages.iter().filter(|m| m.0).map(|m| m.1).collect();
        assert_eq!(delivered, [0, 100, 200, 300, 400, 500, 600, 700]);
        assert!(messages.windows(2).all(|w| w[0].1 < w[1].1), "in order");
        let reported = messages.iter().filter(|m| !m.0).count();
        assert_eq!(reported, PROGRESS_CAPACITY, "progress still bounded");
    }

    #[test]
    fn run_here_hands_over_everything_in_order_and_cancels_when_told() {
        let mut seen = Vec::new();
        let result = run_here(
            "counting here",
            |context: &JobContext<usize>| {
                for i in 0..50 {
                    context.deliver(i);
                }
                Ok("done")
            },
            &mut |i| {
                seen.push(i);
                true
            },
        );
        assert_eq!(result, Ok("done"));
        assert_eq!(seen, (0..50).collect::<Vec<_>>());
        // Returning false cancels: the work sees it and stops.
        let result = run_here(
            "stoppable",
            |context: &JobContext<()>| {
                while !context.is_cancelled() {
                    context.report(());
                    std::thread::yield_now();
                }
                Err::<(), _>(context.cancelled())
            },
            &mut |()| false,
        );
        assert!(
            matches!(result, Err(JobError::Cancelled { .. })),
            "{result:?}"
        );
        let panicked = run_here::<(), ()>("exploding here", |_| panic!("boom"), &mut |()| true);
        assert_eq!(
            panicked.unwrap_err().to_string(),
            "exploding here failed unexpectedly: boom"
        );
    }

    #[test]
    fn a_reader_far_behind_never_blocks_the_worker() {
        let (waker, _) = counting_waker();
        let job = Job::spawn("chatty", waker, |context: &JobContext<usize>| {
            for i in 0..PROGRESS_CAPACITY * 4 {
                context.report(i);
            }
            Ok(())
        })
        .unwrap();
        // Nobody reads progress: the worker still finishes.
        let mut job = job;
        let result = poll_until_done(&mut job);
        assert_eq!(result, Ok(()));
        let kept: Vec<usize> = job.progress().collect();
        assert_eq!(
            kept,
            (0..PROGRESS_CAPACITY).collect::<Vec<_>>(),
            "the oldest kept, in order"
        );
    }
}
