//! The two windows made from the command table: the command palette (Ctrl+K: type to
//! filter, Up/Down to choose, Enter to run, Esc to close) and the keyboard shortcuts.

use eframe::egui;

use crate::gui::commands::{Command, shortcut_text};

/// The palette's state: open or not, what is typed, which match is highlighted.
#[derive(Debug, Default)]
pub struct Palette {
    pub open: bool,
    pub query: String,
    pub highlighted: usize,
    /// Focus goes to the field on the first frame only (a click elsewhere may take it).
    pub focus_pending: bool,
}

impl Palette {
    /// Opens it afresh, focus in the field.
    #[must_use]
    pub fn opened() -> Self {
        Self {
            open: true,
            focus_pending: true,
            ..Self::default()
        }
    }

    /// The command palette: type to filter, Up/Down to choose, Enter to run, Esc to close.
    /// `blocked` says why a command cannot run now: those are listed greyed, with the reason,
    /// so "undo" or "find" always find their command. Returns the command chosen.
    pub fn show(
        &mut self,
        ctx: &egui::Context,
        blocked: impl Fn(Command) -> Option<&'static str>,
    ) -> Option<Command> {
        if !self.open {
            return None;
        }
        let matches: Vec<Command> = Command::all()
            .filter(|c| *c != Command::CommandPalette)
            .filter(|c| c.matches(&self.query))
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
            self.highlighted = (self.highlighted + 1).min(last);
        }
        if up {
            self.highlighted = self.highlighted.saturating_sub(1);
        }
        self.highlighted = self.highlighted.min(last);
        let mut chosen = enter
            .then(|| matches.get(self.highlighted).copied())
            .flatten()
            .filter(|c| blocked(*c).is_none());
        let mut open = !escape;
        egui::Window::new("Command palette")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_TOP, egui::vec2(0.0, 60.0))
            .default_width(420.0)
            .show(ctx, |ui| {
                let field = ui.add(
                    egui::TextEdit::singleline(&mut self.query)
                        .hint_text("Type a command: train, save, review…")
                        .desired_width(f32::INFINITY),
                );
                // Enter on a command that cannot run leaves the field (egui's single-line
                // fields let go on Enter): typing goes on there.
                if std::mem::take(&mut self.focus_pending) || (enter && chosen.is_none()) {
                    field.request_focus();
                }
                if field.changed() {
                    self.highlighted = 0;
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
                            let why_not = blocked(*command);
                            let name = format!("{} > {}", command.menu().name(), command.name());
                            let row = command_item(
                                ui,
                                &name,
                                name.clone(),
                                shortcut,
                                None,
                                index == self.highlighted,
                                why_not.is_none(),
                            )
                            .on_hover_text(command.help());
                            if let Some(why) = why_not {
                                ui.weak(format!("    {why}"));
                            }
                            if row.clicked() {
                                chosen = Some(*command);
                            }
                        }
                    });
            });
        if chosen.is_some() {
            open = false;
        }
        self.open = open && self.open;
        chosen
    }
}

/// The shortcuts window: the table's keys, then the keys of each context.
pub fn shortcuts_window(ctx: &egui::Context, open: &mut bool) {
    egui::Window::new("Keyboard shortcuts")
        .open(open)
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
}

/// A command as a menu or palette item: its shortcut at the right, greyed when it cannot run,
/// drawn selected when `checked` (an on/off command that is on) or `highlighted` (the
/// palette's current row). Screen readers (and tests) get its name alone as its label, the
/// shortcut as the key to press, and on/off commands as ticked or not.
pub fn command_item(
    ui: &mut egui::Ui,
    name: &str,
    text: String,
    keys: String,
    checked: Option<bool>,
    highlighted: bool,
    enabled: bool,
) -> egui::Response {
    // As wide as the menu or list, so every shortcut lines up at the right.
    let item = egui::Button::selectable(checked.unwrap_or(false) || highlighted, text)
        .min_size(egui::vec2(ui.available_width(), 0.0));
    let response = ui.add_enabled(enabled, item.shortcut_text(keys.clone()));
    response.widget_info(|| match checked {
        Some(on) => egui::WidgetInfo::selected(egui::accesskit::Role::CheckBox, enabled, on, name),
        None => egui::WidgetInfo::labeled(egui::accesskit::Role::Button, enabled, name),
    });
    if !keys.is_empty() {
        ui.ctx()
            .accesskit_node_builder(response.id, |node| node.set_keyboard_shortcut(keys));
    }
    response
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
