//! The command table: every command a user can give from a menu, a key or the command palette
//! (Ctrl+K), with its name, its menu, its default shortcut and (in `app/routing.rs`) when it is
//! enabled and what it does. Menus, key handling, the shortcuts window and the palette are all
//! made from this one list, so they cannot drift apart. Keys that mean something only in a
//! context (arrows on the view, T/F/U while reviewing, 1/2 before drawing) are listed in
//! [`CONTEXT_KEYS`].

use eframe::egui::{Key, KeyboardShortcut, Modifiers};

/// The menus, in menu-bar order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter)]
pub enum Menu {
    File,
    Edit,
    Model,
    View,
    Playback,
    Help,
}

impl Menu {
    /// Every menu, in menu-bar order.
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::File => "File",
            Self::Edit => "Edit",
            Self::Model => "Model",
            Self::View => "View",
            Self::Playback => "Playback",
            Self::Help => "Help",
        }
    }
}

/// A user command, in menu order (the compiler lists them: see [`Command::all`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::EnumIter)]
pub enum Command {
    NewProject,
    OpenProject,
    SaveProject,
    SaveProjectAs,
    RestoreVersion,
    OpenRecordings,
    OpenFolder,
    OpenPath,
    OpenDemo,
    CloseRecording,
    ImportTable,
    ExportSelections,
    Quit,
    Undo,
    Redo,
    DeleteSelected,
    CopyBoxes,
    PasteBoxes,
    SelectAll,
    ApplyToSelected,
    Labels,
    FindSimilar,
    Train,
    Detect,
    ToggleReview,
    CompareMode,
    CompareSideBySide,
    SettingsPanel,
    ModelView,
    DarkTheme,
    LargerText,
    SmallerText,
    DefaultTextSize,
    ResetFrequencyZoom,
    GoToTime,
    Jobs,
    PlayStop,
    PlayVisible,
    FollowPlayback,
    CommandPalette,
    GettingStarted,
    Messages,
    KeyboardShortcuts,
}

/// A shortcut as a constant expression (a `const fn` call would not be promoted to `'static`).
macro_rules! key {
    ($modifiers:expr, $key:expr) => {
        KeyboardShortcut {
            modifiers: $modifiers,
            logical_key: $key,
        }
    };
}

const CTRL: Modifiers = Modifiers::COMMAND;
const CTRL_SHIFT: Modifiers = Modifiers {
    shift: true,
    ..Modifiers::COMMAND
};

impl Command {
    /// Every command, in menu order.
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    /// The name in menus and the palette (kittest tests find commands by it).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::NewProject => "New project",
            Self::OpenProject => "Open project…",
            Self::SaveProject => "Save project",
            Self::SaveProjectAs => "Save project as…",
            Self::RestoreVersion => "Restore an earlier version…",
            Self::OpenRecordings => "Open recordings…",
            Self::OpenFolder => "Open folder…",
            Self::OpenPath => "Open path…",
            Self::OpenDemo => "Open the demo",
            Self::CloseRecording => "Close recording",
            Self::ImportTable => "Import selection table…",
            Self::ExportSelections => "Export selections…",
            Self::Quit => "Quit",
            Self::Undo => "Undo",
            Self::Redo => "Redo",
            Self::DeleteSelected => "Delete selected boxes",
            Self::CopyBoxes => "Copy boxes",
            Self::PasteBoxes => "Paste boxes at the cursor",
            Self::SelectAll => "Select every box of this recording",
            Self::ApplyToSelected => "Give the selected boxes the kind and label of new boxes",
            Self::Labels => "Labels…",
            Self::FindSimilar => "Find more like this",
            Self::Train => "Train…",
            Self::Detect => "Detect…",
            Self::ToggleReview => "Review panel",
            Self::CompareMode => "Compare two settings",
            Self::CompareSideBySide => "Compare side by side",
            Self::SettingsPanel => "Spectrogram settings panel",
            Self::ModelView => "What the model sees",
            Self::DarkTheme => "Dark theme",
            Self::LargerText => "Text size: larger",
            Self::SmallerText => "Text size: smaller",
            Self::DefaultTextSize => "Text size: default",
            Self::ResetFrequencyZoom => "Reset frequency zoom",
            Self::GoToTime => "Go to time",
            Self::Jobs => "Jobs",
            Self::CommandPalette => "Command palette…",
            Self::PlayStop => "Play / stop",
            Self::PlayVisible => "Play visible range",
            Self::FollowPlayback => "View follows playback",
            Self::GettingStarted => "Getting started",
            Self::Messages => "Messages",
            Self::KeyboardShortcuts => "Keyboard shortcuts",
        }
    }

    /// What it does, for hover texts, the shortcuts window and the palette.
    #[must_use]
    pub fn help(self) -> &'static str {
        match self {
            Self::NewProject => "start an empty project (the current one is saved first)",
            Self::OpenProject => "open a project file",
            Self::SaveProject => "save the project",
            Self::SaveProjectAs => "save the project under a new name",
            Self::RestoreVersion => {
                "bring back one of the project's last saved versions (each save keeps the one it replaces)"
            }
            Self::OpenRecordings => "open recordings (they join the project)",
            Self::OpenFolder => {
                "add a folder's recordings, with the selection tables of the same name"
            }
            Self::OpenPath => "type the path of a recording, folder or project",
            Self::OpenDemo => "open the bundled demo project",
            Self::CloseRecording => "close the shown recording (it stays in the project)",
            Self::ImportTable => "import a Raven, Audacity or CSV selection table",
            Self::ExportSelections => "export selections as tables or clips",
            Self::Quit => "quit (unsaved changes are saved first)",
            Self::Undo => "undo",
            Self::Redo => "redo",
            Self::DeleteSelected => "delete the selected boxes",
            Self::CopyBoxes => "copy the selected boxes",
            Self::PasteBoxes => "paste boxes (at the cursor)",
            Self::SelectAll => "select every box of the recording",
            Self::ApplyToSelected => {
                "give the selected boxes the kind and label of new boxes (undoable)"
            }
            Self::Labels => "the project's labels, their kinds and hotkeys",
            Self::FindSimilar => {
                "the stretches of every recording most like the selected box (no model needed)"
            }
            Self::Train => "open the Train window",
            Self::Detect => "open the Detect window (run a model over recordings)",
            Self::ToggleReview => "show / hide the Review tab (it opens on the current detection)",
            Self::CompareMode => "two spectrograms of one recording, each with its settings",
            Self::CompareSideBySide => {
                "compare's two spectrograms beside each other (off: one above the other)"
            }
            Self::SettingsPanel => "the spectrogram's settings beside it",
            Self::ModelView => "the model's input for the visible window",
            Self::DarkTheme => "dark or light colours",
            Self::LargerText => {
                "make text and controls larger (a projector, a high-resolution screen)"
            }
            Self::SmallerText => "make text and controls smaller",
            Self::DefaultTextSize => "text and controls at their usual size",
            Self::ResetFrequencyZoom => "show the whole frequency range again",
            Self::GoToTime => "go to a time (type it in the toolbar)",
            Self::Jobs => "what runs in the background, with progress and Cancel",
            Self::CommandPalette => "find any command by name and run it",
            Self::PlayStop => "play / stop from the cursor (or the visible start)",
            Self::PlayVisible => "play the visible range",
            Self::FollowPlayback => "view follows playback on/off",
            Self::GettingStarted => "the first session on the demo, step by step",
            Self::Messages => "every message and error of this session",
            Self::KeyboardShortcuts => "this list",
        }
    }

    #[must_use]
    pub fn menu(self) -> Menu {
        use Command as C;
        match self {
            C::NewProject
            | C::OpenProject
            | C::SaveProject
            | C::SaveProjectAs
            | C::RestoreVersion
            | C::OpenRecordings
            | C::OpenFolder
            | C::OpenPath
            | C::OpenDemo
            | C::CloseRecording
            | C::ImportTable
            | C::ExportSelections
            | C::Quit => Menu::File,
            C::Undo
            | C::Redo
            | C::DeleteSelected
            | C::CopyBoxes
            | C::PasteBoxes
            | C::SelectAll
            | C::ApplyToSelected
            | C::Labels
            | C::FindSimilar => Menu::Edit,
            C::Train | C::Detect | C::ToggleReview => Menu::Model,
            C::CompareMode
            | C::CompareSideBySide
            | C::SettingsPanel
            | C::ModelView
            | C::DarkTheme
            | C::LargerText
            | C::SmallerText
            | C::DefaultTextSize
            | C::ResetFrequencyZoom
            | C::GoToTime
            | C::Jobs
            | C::CommandPalette => Menu::View,
            C::PlayStop | C::PlayVisible | C::FollowPlayback => Menu::Playback,
            C::GettingStarted | C::Messages | C::KeyboardShortcuts => Menu::Help,
        }
    }

    /// Whether a separator comes before it in its menu.
    #[must_use]
    pub fn starts_group(self) -> bool {
        matches!(
            self,
            Self::OpenRecordings
                | Self::ImportTable
                | Self::Quit
                | Self::DeleteSelected
                | Self::ApplyToSelected
                | Self::FindSimilar
                | Self::ResetFrequencyZoom
                | Self::LargerText
        )
    }

    /// The default shortcuts (the first is the one shown).
    #[must_use]
    pub fn shortcuts(self) -> &'static [KeyboardShortcut] {
        const NONE: Modifiers = Modifiers::NONE;
        match self {
            Self::SaveProject => &[key!(CTRL, Key::S)],
            Self::SaveProjectAs => &[key!(CTRL_SHIFT, Key::S)],
            Self::OpenRecordings => &[key!(CTRL, Key::O)],
            Self::Quit => &[key!(CTRL, Key::Q)],
            Self::Undo => &[key!(CTRL, Key::Z)],
            Self::Redo => &[key!(CTRL_SHIFT, Key::Z), key!(CTRL, Key::Y)],
            Self::DeleteSelected => &[key!(NONE, Key::Delete), key!(NONE, Key::Backspace)],
            Self::CopyBoxes => &[key!(CTRL, Key::C)],
            Self::PasteBoxes => &[key!(CTRL, Key::V)],
            Self::SelectAll => &[key!(CTRL, Key::A)],
            Self::ApplyToSelected => &[key!(CTRL, Key::L)],
            Self::FindSimilar => &[key!(CTRL, Key::F)],
            Self::Train => &[key!(CTRL, Key::T)],
            Self::Detect => &[key!(CTRL, Key::D)],
            Self::ToggleReview => &[key!(CTRL, Key::R)],
            Self::GoToTime => &[key!(CTRL, Key::G)],
            Self::CommandPalette => &[key!(CTRL, Key::K)],
            Self::LargerText => &[key!(CTRL, Key::Plus), key!(CTRL, Key::Equals)],
            Self::SmallerText => &[key!(CTRL, Key::Minus)],
            Self::DefaultTextSize => &[key!(CTRL, Key::Num0)],
            Self::PlayStop => &[key!(NONE, Key::Space)],
            Self::PlayVisible => &[key!(Modifiers::SHIFT, Key::Space)],
            Self::FollowPlayback => &[key!(NONE, Key::F)],
            _ => &[],
        }
    }

    /// The command named `name` (as in menus and the palette).
    #[must_use]
    pub fn named(name: &str) -> Option<Self> {
        Self::all().find(|c| c.name() == name)
    }

    /// Whether `query` (words, any case) finds this command in the palette: every word is in
    /// its name, menu or help.
    #[must_use]
    pub fn matches(self, query: &str) -> bool {
        let haystack =
            format!("{} {} {}", self.menu().name(), self.name(), self.help()).to_lowercase();
        query
            .split_whitespace()
            .all(|word| haystack.contains(&word.to_lowercase()))
    }
}

/// The order in which shortcuts are tried: egui matches Shift and Alt loosely (Space also fires
/// for Shift+Space), so shortcuts with more modifiers go first.
#[must_use]
pub fn dispatch_order() -> Vec<(Command, KeyboardShortcut)> {
    let mut all: Vec<(Command, KeyboardShortcut)> = Command::all()
        .flat_map(|c| c.shortcuts().iter().map(move |s| (c, *s)))
        .collect();
    let weight =
        |m: Modifiers| usize::from(m.shift) + usize::from(m.alt) + usize::from(m.command || m.ctrl);
    all.sort_by_key(|(_, s)| std::cmp::Reverse(weight(s.modifiers)));
    all
}

/// Keys that mean something only in a context, for the shortcuts window and the README.
pub const CONTEXT_KEYS: &[(&str, &str)] = &[
    (
        "Left / Right",
        "pan by a tenth of the view (boxes selected: nudge them)",
    ),
    ("Page Up / Page Down", "previous / next page (10 % overlap)"),
    ("Home / End", "start / end of the recording"),
    (
        "+ / − (no Ctrl)",
        "zoom time in / out (Ctrl+Plus / Minus change the text size)",
    ),
    (
        "Up / Down",
        "zoom frequency in / out (boxes selected: nudge them)",
    ),
    ("Shift+arrows", "nudge selected boxes ten times further"),
    ("wheel", "pan time"),
    ("Ctrl+wheel", "zoom time at the pointer"),
    ("Shift+wheel", "zoom frequency at the pointer"),
    (
        "drag",
        "draw a box (on a box: move it; on an edge or corner: resize)",
    ),
    ("Shift+drag", "draw a full-band time selection"),
    (
        "Alt+drag / right drag / middle drag",
        "pan (time, and frequency when zoomed)",
    ),
    ("click", "select a box, or set the cursor"),
    ("Ctrl+click", "add a box to the selection (or take it out)"),
    (
        "1 / 2",
        "the next boxes are positive / negative (the selected boxes keep theirs)",
    ),
    (
        "label hotkey",
        "the next boxes get that label (Edit > Labels…); only after a click on the spectrogram",
    ),
    ("Esc", "cancel the drag, or clear the selection"),
    (
        "Up / T (reviewing)",
        "the current detection is a true positive; next",
    ),
    (
        "Down / F (reviewing)",
        "the current detection is a false positive; next",
    ),
    (
        "C, then 1–9 (reviewing)",
        "the current detection is another class: a positive of it, a false positive here; next",
    ),
    ("U (reviewing)", "unsure; next"),
    (
        "Left / Right (reviewing)",
        "previous / next detection (the view centres on it)",
    ),
    ("Z (reviewing)", "undo the last verdict"),
    (
        "Space (reviewing)",
        "play the detection with a second either side",
    ),
    ("N (reviewing)", "add the false positives to the negatives"),
    (
        "drag (reviewing)",
        "draw a call the model missed: it becomes a positive",
    ),
];

/// A shortcut as people write it (`Ctrl+Shift+S`), the same on every platform so that the
/// README and the help agree.
#[must_use]
pub fn shortcut_text(shortcut: &KeyboardShortcut) -> String {
    let m = shortcut.modifiers;
    let mut text = String::new();
    if m.command || m.ctrl {
        text.push_str("Ctrl+");
    }
    if m.alt {
        text.push_str("Alt+");
    }
    if m.shift {
        text.push_str("Shift+");
    }
    text.push_str(shortcut.logical_key.name());
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_listed_once_with_a_unique_name() {
        let mut names: Vec<&str> = Command::all().map(Command::name).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
        for command in Command::all() {
            assert_eq!(Command::named(command.name()), Some(command));
            assert!(!command.help().is_empty());
        }
    }

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen: Vec<(Command, KeyboardShortcut)> = Vec::new();
        for (command, shortcut) in dispatch_order() {
            if let Some((other, _)) = seen.iter().find(|(_, s)| *s == shortcut) {
                panic!(
                    "{} is bound to both {other:?} and {command:?}",
                    shortcut_text(&shortcut)
                );
            }
            seen.push((command, shortcut));
        }
        // Shift+Space is tried before Space: egui's loose Shift would let Space take it.
        let order: Vec<Command> = dispatch_order().into_iter().map(|(c, _)| c).collect();
        let position = |c| order.iter().position(|o| *o == c);
        assert!(position(Command::PlayVisible) < position(Command::PlayStop));
        assert!(position(Command::SaveProjectAs) < position(Command::SaveProject));
        assert!(position(Command::Redo) < position(Command::Undo));
    }

    #[test]
    fn the_palette_finds_commands_by_any_words_of_their_name_menu_or_help() {
        assert!(Command::Train.matches("train"));
        assert!(Command::Detect.matches("model run"));
        assert!(Command::SaveProjectAs.matches("SAVE new name"));
        assert!(!Command::Train.matches("save"));
        let found: Vec<Command> = Command::all().filter(|c| c.matches("review")).collect();
        assert!(found.contains(&Command::ToggleReview), "{found:?}");
    }

    #[test]
    fn shortcuts_read_as_the_readme_writes_them() {
        assert_eq!(
            shortcut_text(&Command::SaveProjectAs.shortcuts()[0]),
            "Ctrl+Shift+S"
        );
        assert_eq!(shortcut_text(&Command::PlayStop.shortcuts()[0]), "Space");
        assert_eq!(
            shortcut_text(&Command::CommandPalette.shortcuts()[0]),
            "Ctrl+K"
        );
    }
}
