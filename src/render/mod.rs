//! Turning spectrograms into pictures: colour maps (shared with the desktop view) and PNG
//! figures with labelled axes for reports.

mod colormap;
mod figure;

pub use colormap::Colormap;
pub use figure::{
    ColumnImage, FigureOptions, RenderError, format_time_secs, plot_size, write_spectrogram_png,
};
