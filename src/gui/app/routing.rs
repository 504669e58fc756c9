//! Routing: what each command of the table ([`crate::gui::commands`]) does in the app and when
//! it is enabled (the menus, the keys and the palette queue commands, run after the frame);
//! the requests features make of each other; and each background job's event, sent to the
//! feature that started it (a failed or cancelled job undoes what it started).

use eframe::egui;

use crate::gui::workbench::Request;

use super::{Cleanup, Event, Search, SyrinxApp, dialogs};
use crate::gui::commands::{Command, Menu, dispatch_order, shortcut_text};
use crate::gui::palette::Palette;

impl SyrinxApp {
    /// Whether the command can run now (disabled commands are greyed out in menus and the
    /// palette, and their keys do nothing).
    #[must_use]
    pub fn command_enabled(&self, command: Command) -> bool {
        self.command_blocked(command).is_none()
    }

    /// Why the command cannot run now, in words the menus and the palette show (`None`: it
    /// can).
    #[must_use]
    pub fn command_blocked(&self, command: Command) -> Option<&'static str> {
        let no_recording = self.workspace.active.is_none();
        let no_boxes = self.workspace.annotator.selected.is_empty();
        match command {
            Command::CloseRecording
            | Command::ResetFrequencyZoom
            | Command::GoToTime
            | Command::SelectAll
            | Command::PasteBoxes
            | Command::PlayVisible
                if no_recording =>
            {
                Some("open a recording first")
            }
            Command::LargerText
                if self.prefs.text_scale >= crate::gui::prefs::TEXT_SCALES[8] - 1e-3 =>
            {
                Some("the text is at its largest")
            }
            Command::SmallerText
                if self.prefs.text_scale <= crate::gui::prefs::TEXT_SCALES[0] + 1e-3 =>
            {
                Some("the text is at its smallest")
            }
            Command::Undo if self.session.document.undo.undo_name().is_none() => {
                Some("nothing to undo yet")
            }
            Command::Redo if self.session.document.undo.redo_name().is_none() => {
                Some("nothing undone to redo")
            }
            Command::RestoreVersion
                if self
                    .ui
                    .projects
                    .restorable_project(&self.session.document)
                    .is_none() =>
            {
                Some("save the project first: earlier versions are kept from its saves")
            }
            Command::DeleteSelected | Command::CopyBoxes | Command::ApplyToSelected if no_boxes => {
                Some("select boxes first (click, Ctrl+click or Ctrl+A)")
            }
            Command::FindSimilar if self.ui.similar.searching => Some("a search is running"),
            Command::FindSimilar
                if self.workspace.annotator.selected.len() != 1
                    && self
                        .ui
                        .review
                        .similar_query(&self.session.document.project)
                        .is_none() =>
            {
                Some("select one box, or review a detection, to find more like it")
            }
            _ => None,
        }
    }

    /// For on/off commands, whether they are on.
    #[must_use]
    pub fn command_checked(&self, command: Command) -> Option<bool> {
        match command {
            Command::ToggleReview => Some(self.ui.review.open),
            Command::CompareMode => Some(self.prefs.compare_mode),
            Command::CompareSideBySide => Some(self.prefs.compare_side_by_side),
            Command::SettingsPanel => Some(self.prefs.show_settings_panel),
            Command::ModelView => Some(self.prefs.show_model_view),
            Command::DarkTheme => Some(self.prefs.dark_theme),
            Command::FollowPlayback => Some(self.prefs.follow_playback),
            Command::Jobs => Some(self.ui.jobs.open),
            _ => None,
        }
    }

    /// The text a menu shows for the command (undo and redo say what they undo).
    fn command_label(&self, command: Command) -> String {
        match command {
            Command::Undo => self
                .session
                .document
                .undo
                .undo_name()
                .map_or_else(|| command.name().to_owned(), |n| format!("Undo {n}")),
            Command::Redo => self
                .session
                .document
                .undo
                .redo_name()
                .map_or_else(|| command.name().to_owned(), |n| format!("Redo {n}")),
            _ => command.name().to_owned(),
        }
    }

    /// Asks for `command` to run after this frame is drawn (menus, keys and the palette queue
    /// theirs, so none runs in the middle of drawing a panel).
    pub fn queue_command(&mut self, command: Command) {
        self.ui.queued_commands.push(command);
    }

    /// Runs the commands queued during the frame, in order (each only if still enabled), and
    /// what features asked of each other, until neither asks for more: what a command starts
    /// (a new project resets the panels) is done before the next frame.
    pub(super) fn drain_commands(&mut self, ctx: &egui::Context) {
        loop {
            self.run_requests();
            let commands = std::mem::take(&mut self.ui.queued_commands);
            if commands.is_empty() {
                return;
            }
            for command in commands {
                self.run_command(ctx, command);
            }
        }
    }

    /// Routes what features asked of each other (commands wait for the end of the frame).
    pub(super) fn run_requests(&mut self) {
        // A request's handler may make more: they run in the same pass.
        while !self.session.requests.is_empty() {
            for request in std::mem::take(&mut self.session.requests) {
                match request {
                    Request::Command(command) => self.ui.queued_commands.push(command),
                    Request::OpenProject(path) => workbench!(self).open_project(path),
                    Request::OpenFolder(path) => workbench!(self).open_folder(path),
                    Request::AskPath(purpose, text) => self.ui.projects.ask_path(purpose, text),
                    Request::Relink(id) => self.ui.projects.ask_relink(&mut workbench!(self), id),
                    Request::Retrain => self.ui.training.retrain(&mut workbench!(self)),
                    Request::ProjectReplaced => {
                        self.ui.detect.abandon();
                        self.ui.review.reset();
                    }
                    Request::UseEmbedder(path) => self.ui.training.embedder = Some(path),
                }
            }
        }
    }

    /// Runs the command now (when enabled; returns whether it ran).
    pub fn run_command(&mut self, ctx: &egui::Context, command: Command) -> bool {
        if !self.command_enabled(command) {
            return false;
        }
        match command {
            Command::NewProject => self.ui.projects.new_project(&mut workbench!(self)),
            Command::OpenProject => self
                .ui
                .projects
                .ask_path(dialogs::PromptFor::OpenProject, String::new()),
            Command::SaveProject => self.ui.projects.save_project(&mut workbench!(self)),
            Command::SaveProjectAs => self.ui.projects.ask_save_as(&mut workbench!(self)),
            Command::RestoreVersion => {
                if let Some(path) = self.ui.projects.restorable_project(&self.session.document) {
                    self.ui.projects.open_restore(&mut workbench!(self), path);
                }
            }
            Command::OpenRecordings => workbench!(self).pick_files(),
            Command::OpenFolder => self
                .ui
                .projects
                .ask_path(dialogs::PromptFor::OpenFolder, String::new()),
            Command::OpenPath => self
                .ui
                .projects
                .ask_path(dialogs::PromptFor::OpenPath, String::new()),
            Command::OpenDemo => workbench!(self).open_demo(),
            Command::CloseRecording => {
                if let Some(id) = self.workspace.active {
                    workbench!(self).close_recording(id);
                }
            }
            Command::ImportTable => self
                .ui
                .projects
                .ask_path(dialogs::PromptFor::ImportTable, String::new()),
            Command::ExportSelections => self.ui.projects.open_export_dialog(&mut workbench!(self)),
            Command::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
            Command::Undo => self.undo(),
            Command::Redo => self.redo(),
            Command::DeleteSelected => self
                .workspace
                .annotator
                .delete_selected(&mut self.session.document),
            Command::CopyBoxes => workbench!(self).copy_selection(ctx),
            Command::PasteBoxes => workbench!(self).paste_selection(),
            Command::SelectAll => {
                if let Some(target) = workbench!(self).active_target() {
                    self.workspace
                        .annotator
                        .select_all(&self.session.document, target.recording);
                }
            }
            Command::ApplyToSelected => workbench!(self).apply_to_selected(),
            Command::Labels => self.ui.projects.show_labels = true,
            Command::FindSimilar => {
                let under_review = self.ui.review.similar_query(&self.session.document.project);
                self.ui
                    .similar
                    .find_similar_to_selected(&mut workbench!(self), under_review);
            }
            Command::Train => self.ui.training.open_window(&mut workbench!(self)),
            Command::Detect => self.ui.detect.open_window(&mut workbench!(self)),
            Command::ToggleReview => self.ui.review.toggle(&mut workbench!(self)),
            Command::CompareMode => self.prefs.compare_mode = !self.prefs.compare_mode,
            Command::CompareSideBySide => {
                // Asking for side by side also turns compare on.
                self.prefs.compare_side_by_side = !self.prefs.compare_side_by_side;
                self.prefs.compare_mode |= self.prefs.compare_side_by_side;
            }
            Command::SettingsPanel => {
                self.prefs.show_settings_panel = !self.prefs.show_settings_panel;
            }
            Command::ModelView => self.prefs.show_model_view = !self.prefs.show_model_view,
            Command::LargerText => self.prefs.step_text_scale(true),
            Command::SmallerText => self.prefs.step_text_scale(false),
            Command::DefaultTextSize => self.prefs.text_scale = 1.0,
            Command::DarkTheme => {
                self.prefs.dark_theme = !self.prefs.dark_theme;
                ctx.set_theme(if self.prefs.dark_theme {
                    egui::Theme::Dark
                } else {
                    egui::Theme::Light
                });
            }
            Command::ResetFrequencyZoom => {
                if let Some(recording) = self.workspace.active_recording_mut() {
                    recording.viewport.reset_frequency();
                }
            }
            Command::GoToTime => {
                ctx.memory_mut(|m| m.request_focus(egui::Id::unique(super::GO_TO_FIELD)));
            }
            Command::CommandPalette => {
                self.ui.palette = Palette::opened();
            }
            Command::Jobs => self.ui.jobs.open = !self.ui.jobs.open,
            Command::PlayStop => workbench!(self).toggle_playback(),
            Command::PlayVisible => workbench!(self).play_visible(),
            Command::FollowPlayback => self.prefs.follow_playback = !self.prefs.follow_playback,
            Command::GettingStarted => self.ui.show_getting_started = true,
            Command::Messages => self.ui.messages.log_open = true,
            Command::KeyboardShortcuts => self.ui.show_shortcuts = true,
        }
        true
    }

    #[must_use]
    pub fn palette_is_open(&self) -> bool {
        self.ui.palette.open
    }

    /// Runs the command called `name` (tests drive the app this way). Returns whether it ran.
    pub fn run_command_named(&mut self, ctx: &egui::Context, name: &str) -> bool {
        Command::named(name).is_some_and(|command| self.run_command(ctx, command))
    }

    /// The commands' keys (ignored while typing in a field; run after the context keys, which
    /// take theirs first).
    pub(super) fn command_keys(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        // Copy and paste arrive as events of their own on most platforms.
        let (copy_event, paste_event) = ctx.input(|i| {
            (
                i.events
                    .iter()
                    .any(|e| matches!(e, egui::Event::Copy | egui::Event::Cut)),
                i.events.iter().any(|e| matches!(e, egui::Event::Paste(_))),
            )
        });
        let mut triggered: Vec<Command> = Vec::new();
        for (command, shortcut) in dispatch_order() {
            if self.command_enabled(command)
                && !triggered.contains(&command)
                && ctx.input_mut(|i| i.consume_shortcut(&shortcut))
            {
                triggered.push(command);
            }
        }
        if copy_event && !triggered.contains(&Command::CopyBoxes) {
            triggered.push(Command::CopyBoxes);
        }
        if paste_event && !triggered.contains(&Command::PasteBoxes) {
            triggered.push(Command::PasteBoxes);
        }
        for command in triggered {
            self.queue_command(command);
        }
    }

    /// A menu made from the table (the File menu adds its recent-file lists).
    pub(super) fn command_menu_ui(&mut self, ui: &mut egui::Ui, menu: Menu) {
        for command in Command::all().filter(|c| c.menu() == menu) {
            if command.starts_group() {
                ui.separator();
            }
            let hover = match command.shortcuts().first() {
                Some(shortcut) => format!("{}: {}", shortcut_text(shortcut), command.help()),
                None => command.help().to_owned(),
            };
            let blocked = self.command_blocked(command);
            let keys = command
                .shortcuts()
                .first()
                .map(shortcut_text)
                .unwrap_or_default();
            let clicked = crate::gui::palette::command_item(
                ui,
                command.name(),
                self.command_label(command),
                keys,
                self.command_checked(command),
                false,
                blocked.is_none(),
            )
            .on_hover_text(hover)
            .on_disabled_hover_text(blocked.unwrap_or_default())
            .clicked();
            if clicked {
                self.queue_command(command);
                ui.close();
            }
            if menu == Menu::File {
                match command {
                    Command::OpenProject => self.recent_projects_menu_ui(ui),
                    Command::OpenPath => self.recent_recordings_menu_ui(ui),
                    _ => {}
                }
            }
        }
    }

    pub(super) fn apply_cleanup(&mut self, cleanup: &Cleanup) {
        match cleanup {
            Cleanup::Nothing => {}
            #[cfg(feature = "test-hooks")]
            Cleanup::Cancellable => {}
            Cleanup::Opening(path) => {
                self.workspace.opening.retain(|p| p != path);
                self.workspace
                    .first_screen_pending
                    .retain(|(p, _)| p != path);
            }
            Cleanup::Saving => self.session.saves.finished(),
            Cleanup::Search(Search::Similar) => self.ui.similar.searching = false,
            Cleanup::Search(Search::LabelNext) => self.ui.review.label_next.searching = false,
            Cleanup::Dialog => {
                self.session.dialog_open = false;
                if let Some(prompt) = &mut self.ui.projects.prompt {
                    prompt.browsing = false;
                }
                if let Some(export) = &mut self.ui.projects.export {
                    export.browsing = false;
                }
            }
        }
    }

    /// Takes what background threads finished.
    pub(super) fn poll_events(&mut self) {
        for event in self.session.take_events() {
            match event {
                Event::Opened {
                    path,
                    order,
                    project_id,
                    result,
                } => {
                    self.workspace.opening.retain(|p| p != &path);
                    match *result {
                        Ok(opened) => {
                            if let Some(id) =
                                workbench!(self).add_recording(path, order, project_id, opened)
                            {
                                self.ui
                                    .review
                                    .after_recording_opened(&mut workbench!(self), id);
                            }
                        }
                        Err(error) => {
                            self.workspace
                                .first_screen_pending
                                .retain(|(p, _)| p != &path);
                            self.session.error(error.to_string());
                        }
                    }
                }
                Event::DemoReady(Ok(project)) => {
                    self.session
                        .messages
                        .retain(|m| !m.text.starts_with("preparing the demo"));
                    workbench!(self).open_project(project);
                }
                Event::DemoReady(Err(error)) => self.session.error(error.to_string()),
                Event::Picked(picked) => {
                    self.session.dialog_open = false;
                    match picked {
                        Some(files) => workbench!(self).open_paths(files),
                        None => self.session.info(
                            "No files chosen. If no dialog appeared (no desktop portal), use File > Open path… to type one."
                                .to_owned(),
                        ),
                    }
                }
                Event::JobFailed { message, cleanup } => {
                    self.apply_cleanup(&cleanup);
                    self.session.error(message);
                }
                Event::JobCancelled { message, cleanup } => {
                    self.apply_cleanup(&cleanup);
                    self.session.info(message);
                }
                Event::Measured(key, result) => workbench!(self).measured(key, result),
                Event::SimilarFound(result) => {
                    if let Err(error) = result.as_ref() {
                        self.session.error(format!("Find more like this: {error}"));
                    }
                    self.ui.similar.finished(*result);
                }
                Event::LabelNextFound(queue) => self.ui.review.label_next.finished(*queue),
                other => self.ui.projects.event(&mut workbench!(self), other),
            }
        }
        for error in self.workspace.engine.take_errors() {
            self.session.error(error);
        }
        if let Some(error) = self.workspace.player.take_error() {
            self.session.error(error.to_string());
        }
        // What the events asked for (a project loaded resets the panels) before they draw.
        self.run_requests();
    }
}
