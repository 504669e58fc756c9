//! Saving from the window: save, save as, autosave, the save before exit. The session's
//! [`Saves`](crate::session::Saves) orders them; writing runs on a job. Saving needs no window
//! (only save as asks for a path), so it is the `Workbench`'s.

use std::path::{Path, PathBuf};

use super::ProjectFlows;
use crate::gui::dialogs::PromptFor;
use crate::gui::workbench::{Cleanup, Event, Workbench};
use crate::project::PROJECT_EXTENSION;
use crate::project::merge::DiskMerge;

impl ProjectFlows {
    /// Writes the project where it belongs; an untitled one asks for a name first.
    pub fn save_project(&mut self, bench: &mut Workbench) {
        if bench.session.document.path.is_none() {
            self.ask_save_as(bench);
            return;
        }
        bench.start_save(None);
    }

    pub fn ask_save_as(&mut self, bench: &mut Workbench) {
        let suggestion = bench
            .session
            .document
            .path
            .clone()
            .or_else(|| {
                bench
                    .prefs
                    .last_folder
                    .as_ref()
                    .map(|f| f.join(format!("project.{PROJECT_EXTENSION}")))
            })
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        self.ask_path(PromptFor::SaveProjectAs, suggestion);
    }
}

impl Workbench<'_> {
    /// Saves unsaved changes every autosave interval.
    pub fn autosave(&mut self) {
        if self.session.saves.autosave_due(&self.session.document) {
            self.start_save(None);
        }
    }

    /// Writes unsaved changes before the window closes (on this thread: the process is ending).
    pub fn save_before_exit(&mut self) {
        let path = self.session.document.save_path().map(Path::to_path_buf);
        match self.session.saves.save_now(&mut self.session.document) {
            Ok(merges) => {
                if let Some(path) = path {
                    for merge in &merges {
                        self.say_merged(&path, merge);
                    }
                }
            }
            Err(error) => eprintln!("error: {error}"),
        }
    }

    /// Writes the project in the background to `to` (save as) or where it belongs.
    pub fn start_save(&mut self, to: Option<PathBuf>) {
        let Some(ticket) = self.session.saves.start(&self.session.document, to) else {
            return;
        };
        let generation = self.session.generation;
        self.session
            .spawn_job("saving the project", Cleanup::Saving, move || {
                Event::Saved {
                    generation,
                    done: Box::new(ticket.write()),
                }
            });
    }

    /// Says what merging another writer's save of `path` brought in.
    pub fn say_merged(&mut self, path: &Path, merge: &DiskMerge) {
        if merge.is_empty() {
            return;
        }
        let text = merge.describe();
        let mut chars = text.chars();
        let first: String = chars
            .next()
            .map(|c| c.to_uppercase().collect())
            .unwrap_or_default();
        self.session
            .info(format!("{}: {first}{}.", path.display(), chars.as_str()));
    }
}
