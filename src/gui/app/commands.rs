//! What each command of the table ([`crate::gui::commands`]) does in the app, when it is
//! enabled, and the three places made from the table: the menus, the keys and the command
//! palette (Ctrl+K).

use eframe::egui;

use super::{SyrinxApp, dialogs};
use crate::gui::commands::{Command, Menu, dispatch_order, shortcut_text};

/// The palette's state: open or not, what is typed, which match is highlighted.
#[derive(Debug, Default)]
pub struct Palette {
    pub open: bool,
    pub query: String,
    pub highlighted: usize,
    /// Focus goes to the field on the first frame only (a click elsewhere may take it).
    focus_pending: bool,
}

impl SyrinxApp {
    /// Whether the command can run now (disabled commands are greyed out in menus, left out of
    /// the palette, and their keys do nothing).
    #[must_use]
    pub fn command_enabled(&self, command: Command) -> bool {
        let boxes_selected = !self.ui.annotator.selected.is_empty();
        match command {
            Command::CloseRecording | Command::ResetFrequencyZoom | Command::GoToTime => {
                self.ui.active.is_some()
            }
            Command::Undo => self.session.document.undo.undo_name().is_some(),
            Command::RestoreVersion => self.restorable_project().is_some(),
            Command::Redo => self.session.document.undo.redo_name().is_some(),
            Command::DeleteSelected | Command::CopyBoxes | Command::ApplyToSelected => {
                boxes_selected
            }
            Command::SelectAll | Command::PasteBoxes | Command::PlayVisible => {
                self.ui.active.is_some()
            }
            Command::FindSimilar => {
                (self.ui.annotator.selected.len() == 1 || self.review_query().is_some())
                    && !self.ui.similar.searching
            }
            _ => true,
        }
    }

    /// For on/off commands, whether they are on.
    #[must_use]
    pub fn command_checked(&self, command: Command) -> Option<bool> {
        match command {
            Command::ToggleReview => Some(self.ui.review.open),
            Command::CompareMode => Some(self.prefs.compare_mode),
            Command::SettingsPanel => Some(self.prefs.show_settings_panel),
            Command::ModelView => Some(self.prefs.show_model_view),
            Command::DarkTheme => Some(self.prefs.dark_theme),
            Command::FollowPlayback => Some(self.prefs.follow_playback),
            Command::Jobs => Some(self.ui.show_jobs),
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

    /// Runs the commands queued during the frame, in order (each only if still enabled).
    pub(super) fn drain_commands(&mut self, ctx: &egui::Context) {
        for command in std::mem::take(&mut self.ui.queued_commands) {
            self.run_command(ctx, command);
        }
    }

    /// Runs the command now (when enabled; returns whether it ran).
    pub fn run_command(&mut self, ctx: &egui::Context, command: Command) -> bool {
        if !self.command_enabled(command) {
            return false;
        }
        match command {
            Command::NewProject => self.new_project(),
            Command::OpenProject => self.ask_path(dialogs::PromptFor::OpenProject, String::new()),
            Command::SaveProject => self.save_project(),
            Command::SaveProjectAs => self.ask_save_as(),
            Command::RestoreVersion => {
                if let Some(path) = self.restorable_project() {
                    self.open_restore(path);
                }
            }
            Command::OpenRecordings => self.pick_files(),
            Command::OpenFolder => self.ask_path(dialogs::PromptFor::OpenFolder, String::new()),
            Command::OpenPath => self.ask_path(dialogs::PromptFor::OpenPath, String::new()),
            Command::OpenDemo => self.open_demo(),
            Command::CloseRecording => {
                if let Some(id) = self.ui.active {
                    self.close_recording(id);
                }
            }
            Command::ImportTable => self.ask_path(dialogs::PromptFor::ImportTable, String::new()),
            Command::ExportSelections => self.open_export_dialog(),
            Command::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
            Command::Undo => self.undo(),
            Command::Redo => self.redo(),
            Command::DeleteSelected => self
                .ui
                .annotator
                .delete_selected(&mut self.session.document),
            Command::CopyBoxes => self.copy_selection(ctx),
            Command::PasteBoxes => self.paste_selection(),
            Command::SelectAll => {
                if let Some(target) = self.active_target() {
                    self.ui
                        .annotator
                        .select_all(&self.session.document, target.recording);
                }
            }
            Command::ApplyToSelected => self.apply_to_selected(),
            Command::Labels => self.ui.show_labels = true,
            Command::FindSimilar => self.find_similar_to_selected(),
            Command::Train => self.open_training(),
            Command::Detect => self.open_detect(),
            Command::ToggleReview => self.toggle_review(),
            Command::CompareMode => self.prefs.compare_mode = !self.prefs.compare_mode,
            Command::SettingsPanel => {
                self.prefs.show_settings_panel = !self.prefs.show_settings_panel;
            }
            Command::ModelView => self.prefs.show_model_view = !self.prefs.show_model_view,
            Command::DarkTheme => {
                self.prefs.dark_theme = !self.prefs.dark_theme;
                ctx.set_theme(if self.prefs.dark_theme {
                    egui::Theme::Dark
                } else {
                    egui::Theme::Light
                });
            }
            Command::ResetFrequencyZoom => {
                if let Some(recording) = self.active_recording_mut() {
                    recording.viewport.reset_frequency();
                }
            }
            Command::GoToTime => {
                ctx.memory_mut(|m| m.request_focus(egui::Id::unique(super::GO_TO_FIELD)));
            }
            Command::CommandPalette => {
                self.ui.palette = Palette {
                    open: true,
                    focus_pending: true,
                    ..Palette::default()
                };
            }
            Command::Jobs => self.ui.show_jobs = !self.ui.show_jobs,
            Command::PlayStop => self.toggle_playback(),
            Command::PlayVisible => self.play_visible(),
            Command::FollowPlayback => self.prefs.follow_playback = !self.prefs.follow_playback,
            Command::GettingStarted => self.ui.show_getting_started = true,
            Command::Messages => self.ui.show_message_log = true,
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
            let enabled = self.command_enabled(command);
            let clicked = match self.command_checked(command) {
                Some(mut on) => ui
                    .add_enabled(enabled, egui::Checkbox::new(&mut on, command.name()))
                    .on_hover_text(hover)
                    .clicked(),
                None => ui
                    .add_enabled(enabled, egui::Button::new(self.command_label(command)))
                    .on_hover_text(hover)
                    .clicked(),
            };
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

    /// The command palette: type to filter, Up/Down to choose, Enter to run, Esc to close.
    pub(super) fn palette_ui(&mut self, ctx: &egui::Context) {
        if !self.ui.palette.open {
            return;
        }
        let matches: Vec<Command> = Command::all()
            .filter(|c| self.command_enabled(*c) && *c != Command::CommandPalette)
            .filter(|c| c.matches(&self.ui.palette.query))
            .collect();
        let (up, down, enter, escape) = ctx.input_mut(|i| {
            (
                i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowUp),
                i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowDown),
                i.consume_key(egui::Modifiers::NONE, egui::Key::Enter),
                i.consume_key(egui::Modifiers::NONE, egui::Key::Escape),
            )
        });
        let last = matches.len().saturating_sub(1);
        if down {
            self.ui.palette.highlighted = (self.ui.palette.highlighted + 1).min(last);
        }
        if up {
            self.ui.palette.highlighted = self.ui.palette.highlighted.saturating_sub(1);
        }
        self.ui.palette.highlighted = self.ui.palette.highlighted.min(last);
        let mut chosen = enter
            .then(|| matches.get(self.ui.palette.highlighted).copied())
            .flatten();
        let mut open = !escape;
        egui::Window::new("Command palette")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_TOP, egui::vec2(0.0, 60.0))
            .default_width(420.0)
            .show(ctx, |ui| {
                let field = ui.add(
                    egui::TextEdit::singleline(&mut self.ui.palette.query)
                        .hint_text("Type a command: train, save, review…")
                        .desired_width(f32::INFINITY),
                );
                if std::mem::take(&mut self.ui.palette.focus_pending) {
                    field.request_focus();
                }
                if field.changed() {
                    self.ui.palette.highlighted = 0;
                }
                ui.separator();
                egui::ScrollArea::vertical()
                    .max_height(320.0)
                    .show(ui, |ui| {
                        if matches.is_empty() {
                            ui.weak("No command matches.");
                        }
                        for (index, command) in matches.iter().enumerate() {
                            let shortcut = command
                                .shortcuts()
                                .first()
                                .map(shortcut_text)
                                .unwrap_or_default();
                            let row = ui
                                .selectable_label(
                                    index == self.ui.palette.highlighted,
                                    format!("{} > {}", command.menu().name(), command.name()),
                                )
                                .on_hover_text(format!("{shortcut}  {}", command.help()));
                            if row.clicked() {
                                chosen = Some(*command);
                            }
                        }
                    });
            });
        if let Some(command) = chosen {
            open = false;
            self.queue_command(command);
        }
        // A command that opened the palette again (none does) keeps it open.
        self.ui.palette.open = open && self.ui.palette.open;
    }

    /// The shortcuts window: the table's keys, then the keys of each context.
    pub(super) fn shortcuts_window(&mut self, ctx: &egui::Context) {
        let mut open = self.ui.show_shortcuts;
        egui::Window::new("Keyboard shortcuts")
            .open(&mut open)
            .resizable(false)
            .show(ctx, |ui| {
                egui::ScrollArea::vertical()
                    .max_height(520.0)
                    .show(ui, |ui| {
                        egui::Grid::new("shortcuts").striped(true).show(ui, |ui| {
                            for (keys, action) in shortcut_rows() {
                                ui.monospace(keys);
                                ui.label(action);
                                ui.end_row();
                            }
                        });
                    });
            });
        self.ui.show_shortcuts = open;
    }
}

/// Every key, for the shortcuts window and the README: each command's shortcuts (`A / B` when
/// it has two), then the context keys.
#[must_use]
pub fn shortcut_rows() -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = Command::all()
        .filter(|c| !c.shortcuts().is_empty())
        .map(|c| {
            let keys: Vec<String> = c.shortcuts().iter().map(shortcut_text).collect();
            (keys.join(" / "), c.help().to_owned())
        })
        .collect();
    rows.extend(
        crate::gui::commands::CONTEXT_KEYS
            .iter()
            .map(|(keys, action)| ((*keys).to_owned(), (*action).to_owned())),
    );
    rows
}
