//! The desktop app (feature `gui`): eframe/egui front end over the core.

mod annotate;
mod app;
pub mod commands;
mod detection;
mod dialogs;
mod files;
mod frame_stats;
mod getting_started;
mod import_dialog;
mod jobs_window;
mod legend;
mod messages;
mod model_view;
mod palette;
mod prefs;
mod projects;
mod recordings_panel;
mod restore_dialog;
mod review;
mod selection_table;
mod settings_panel;
pub mod similar;
mod spectrogram_view;
mod textures;
pub mod theme;
mod toasts;
mod training;
mod workbench;

use std::path::PathBuf;
use std::sync::Arc;

pub use crate::session::Document;
pub use annotate::{Annotator, EditTarget};
pub use app::{
    AUTOSAVE_INTERVAL, AppOptions, OpenRecording, SyrinxApp, default_data_dir, default_demo_dir,
};
pub use detection::{DetectAction, DetectScope, DetectWindow};
pub use dialogs::PromptFor;
pub use files::{FileDialog, NativeFileDialog, NoFileDialog, is_audio_path};
pub use frame_stats::FrameStats;
pub use getting_started::STEPS as GETTING_STARTED_STEPS;
pub use import_dialog::{ImportDialog, LabelChoice};
pub use jobs_window::{CancelTarget, JobRow};
pub use palette::shortcut_rows;
pub use prefs::{DisplaySettings, PaneSettings, Preferences};
pub use review::{ReviewAction, ReviewState};
pub use selection_table::SelectionTable;
pub use toasts::Message;
pub use training::{TrainAction, TrainResult, TrainingFailed, TrainingWindow, next_model_dir};
pub use workbench::{Session, Workbench, Workspace};

/// The window icon (the same picture as the installed icon set).
const WINDOW_ICON_PNG: &[u8] = include_bytes!("../../assets/syrinx-128.png");

/// Identifies the app's storage (preferences, demo data).
pub const APP_ID: &str = "Syrinx";

/// Opens the window on `files` (or the last session, or the demo on first run) and runs until it
/// is closed.
pub fn run(files: Vec<PathBuf>, frame_stats: bool) -> anyhow::Result<()> {
    let viewport = eframe::egui::ViewportBuilder::default()
        .with_title("Syrinx")
        .with_app_id("syrinx")
        .with_inner_size([1440.0, 900.0])
        .with_min_inner_size([800.0, 500.0])
        .with_drag_and_drop(true);
    // The launcher icon, also shown by window managers that take it from the window.
    let viewport = match eframe::icon_data::from_png_bytes(WINDOW_ICON_PNG) {
        Ok(icon) => viewport.with_icon(icon),
        Err(_) => viewport,
    };
    let native_options = eframe::NativeOptions {
        viewport,
        persist_window: true,
        ..eframe::NativeOptions::default()
    };
    let tile_threads =
        std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1));
    eframe::run_native(
        APP_ID,
        native_options,
        Box::new(move |cc| {
            let options = AppOptions {
                files,
                demo_dir: default_demo_dir(),
                open_demo_on_first_run: true,
                file_dialog: Arc::new(NativeFileDialog),
                audio_output: Arc::new(crate::playback::CpalOutput),
                tile_threads,
                frame_stats,
                data_dir: default_data_dir(),
                autosave_interval: AUTOSAVE_INTERVAL,
            };
            Ok(Box::new(SyrinxApp::new(&cc.egui_ctx, cc.storage, options)))
        }),
    )
    .map_err(|e| {
        anyhow::anyhow!(
            "cannot open the window (is there a display?): {e}. The commands work without one: syrinx --help"
        )
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_window_icon_is_a_square_png() {
        let icon =
            eframe::icon_data::from_png_bytes(super::WINDOW_ICON_PNG).map_err(|e| e.to_string());
        let icon = icon.as_ref().map(|i| (i.width, i.height, i.rgba.len()));
        assert_eq!(icon, Ok((128, 128, 128 * 128 * 4)));
    }
}
