//! Restoring an earlier version of a project (File ▸ Restore an earlier version, and offered
//! when a project does not load): the versions are read and the restore written on jobs; the
//! restored project is then installed like one just opened.

use std::path::{Path, PathBuf};

use eframe::egui;

use super::ProjectFlows;
use crate::gui::restore_dialog::{RestoreAction, RestoreDialog, VersionRow};
use crate::gui::workbench::{Cleanup, Event, Workbench};
use crate::project::history;
use crate::session::lock::{ProjectLock, Wait};

/// How long a restore waits for another writer of the project.
const RESTORE_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl ProjectFlows {
    /// The project whose versions File ▸ Restore offers: the open one, or one that failed to
    /// load.
    #[must_use]
    pub fn restorable_project(&self, document: &crate::session::Document) -> Option<PathBuf> {
        document
            .path
            .clone()
            .or_else(|| self.failed_project.clone())
    }

    /// Opens the window for `path` and reads its versions.
    pub fn open_restore(&mut self, bench: &mut Workbench, path: PathBuf) {
        self.restore = Some(RestoreDialog::new(path.clone()));
        bench
            .session
            .spawn_job("reading earlier versions", Cleanup::Nothing, move || {
                let rows = history::versions(&path)
                    .into_iter()
                    .map(|version| {
                        let summary = version
                            .load(&path)
                            .map(|p| {
                                format!(
                                    "{} recording(s), {} selection(s), {} run(s)",
                                    p.recordings.len(),
                                    p.selections.len(),
                                    p.detection_runs.len()
                                )
                            })
                            .map_err(std::sync::Arc::new);
                        VersionRow { version, summary }
                    })
                    .collect();
                Event::VersionsListed(path, rows)
            });
    }

    /// The window, each frame.
    pub fn restore_window(&mut self, bench: &mut Workbench, ctx: &egui::Context) {
        let Some(mut dialog) = self.restore.take() else {
            return;
        };
        match dialog.ui(ctx) {
            RestoreAction::None => self.restore = Some(dialog),
            RestoreAction::Close => {}
            RestoreAction::Restore(index) => {
                let open_here = bench.session.document.path.as_deref() == Some(&dialog.path);
                if open_here && bench.session.document.is_dirty() {
                    // The open project's changes go to the file first, so the restore keeps
                    // them as a version instead of losing them.
                    dialog.pending = Some(index);
                    dialog.busy = Some("saving your changes first…".to_owned());
                    self.restore = Some(dialog);
                    bench.start_save(None);
                } else {
                    self.restore = Some(dialog);
                    self.start_restore(bench, index);
                }
            }
        }
    }

    /// A save ended: a restore waiting for it goes on.
    pub fn restore_after_save(&mut self, bench: &mut Workbench, path: &Path) {
        let waiting = self
            .restore
            .as_mut()
            .filter(|d| d.path == path)
            .and_then(|d| d.pending.take());
        if let Some(index) = waiting {
            self.start_restore(bench, index);
        }
    }

    fn start_restore(&mut self, bench: &mut Workbench, index: usize) {
        let Some(dialog) = self.restore.as_mut() else {
            return;
        };
        let Some(version) = dialog
            .rows
            .as_ref()
            .and_then(|rows| rows.get(index))
            .map(|row| row.version.clone())
        else {
            return;
        };
        dialog.busy = Some("restoring…".to_owned());
        dialog.error = None;
        let path = dialog.path.clone();
        bench.session.spawn_job(
            "restoring an earlier version",
            Cleanup::Nothing,
            move || {
                let result =
                    ProjectLock::acquire(&path, "the Syrinx app", Wait::Up(RESTORE_LOCK_WAIT))
                        .map_err(crate::project::ProjectError::from)
                        .and_then(|_lock| {
                            history::restore(&path, &version)?;
                            crate::session::open(&path, false)
                        });
                Event::Restored {
                    path,
                    saved: version.saved_text(),
                    result: Box::new(result),
                }
            },
        );
    }

    /// The versions were read, or a restore ended.
    pub(crate) fn restore_event(&mut self, bench: &mut Workbench, event: Event) {
        match event {
            Event::VersionsListed(path, rows) => {
                if let Some(dialog) = self.restore.as_mut().filter(|d| d.path == path) {
                    dialog.rows = Some(rows);
                }
            }
            Event::Restored {
                path,
                saved,
                result,
            } => match *result {
                Ok((document, report)) => {
                    self.restore = None;
                    self.failed_project = None;
                    let mut mark = None;
                    if bench.session.document.path.as_deref() == Some(&path) {
                        // Its changes were saved before the restore (and are kept as a
                        // version): nothing to write over the restored file.
                        let revision = bench.session.document.revision();
                        bench.session.document.mark_saved(revision);
                        mark = bench.session.document.open_mark.take();
                    }
                    self.project_loaded(bench, document, &report);
                    bench.session.document.open_mark = mark;
                    bench.session.info(format!(
                        "Restored the version of {} saved {saved}; the file it replaced is kept as an earlier version.",
                        path.display()
                    ));
                }
                Err(error) => {
                    let error = error.to_string();
                    if let Some(dialog) = self.restore.as_mut() {
                        dialog.busy = None;
                        dialog.error = Some(error.clone());
                    }
                    bench.session.error(error);
                }
            },
            _ => {}
        }
    }
}
