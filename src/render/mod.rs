//! Turning spectrograms into pictures: colour maps (shared with the desktop view) and PNG
//! figures with labelled axes for reports.

mod colormap;
mod figure;
mod ticks;

pub use colormap::Colormap;
pub use figure::{
    ColumnImage, FigureOptions, RenderError, plot_size, write_bar_chart_png, write_spectrogram_png,
};
pub use ticks::{
    format_frequency, frequency_ticks, frequency_unit_label, level_ticks, time_ticks,
    time_unit_label,
};
