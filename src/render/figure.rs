//! A spectrogram figure as PNG, with labelled time and frequency axes and a dB colour bar — a
//! figure a biologist can paste into a report. The image is built from per-pixel columns, so a
//! span of any length renders in bounded memory.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::prelude::*;

use super::colormap::Colormap;
use super::ticks::{
    format_frequency, frequency_ticks, frequency_unit_label, time_ticks, time_unit_label,
};
use crate::dsp::FrequencyAxis;
use crate::util::timefmt::format_time_secs;

/// Width of the colour-bar strip on the right.
const COLORBAR_AREA_PX: u32 = 100;
const FONT: &str = "sans-serif";
static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Errors while drawing or writing a figure.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot draw the figure: {0}")]
    Draw(String),
    #[error("figure size {width_px}×{height_px} px is too small (at least 400×250)")]
    TooSmall { width_px: u32, height_px: u32 },
    #[error("cannot write the figure: {detail}: {}", path.display())]
    Write { path: PathBuf, detail: String },
}

/// How the figure looks.
#[derive(Debug, Clone)]
pub struct FigureOptions {
    pub width_px: u32,
    pub height_px: u32,
    pub colormap: Colormap,
    /// Dynamic range shown: levels below `ceiling − range` get the floor colour.
    pub range_db: f32,
    /// Level that gets the top colour; `None`: the loudest level in the image.
    pub ceiling_db: Option<f32>,
    pub title: String,
}

impl Default for FigureOptions {
    fn default() -> Self {
        Self {
            width_px: 1200,
            height_px: 500,
            colormap: Colormap::Viridis,
            range_db: 80.0,
            ceiling_db: None,
            title: String::new(),
        }
    }
}

/// Spectrogram levels gathered into the figure's pixel columns: each column averages the power
/// of the frames that fall in it (a long-term spectral average, so hours fit on one figure
/// without noise maxima washing it out). Frames go in as linear power; [`finish`](Self::finish)
/// turns the columns into dB.
#[derive(Debug, Clone)]
pub struct ColumnImage {
    pub columns: usize,
    pub bands: usize,
    /// Column-major: `db[column * bands + band]` (power sums until `finish`).
    pub db: Vec<f32>,
    counts: Vec<u32>,
}

impl ColumnImage {
    #[must_use]
    pub fn new(columns: usize, bands: usize) -> Self {
        Self {
            columns,
            bands,
            db: vec![0.0; columns * bands],
            counts: vec![0; columns],
        }
    }

    /// Adds one frame of linear power (`bands` values) to `column`.
    pub fn add_frame(&mut self, column: usize, power: &[f32]) {
        if column >= self.columns {
            return;
        }
        let dst = &mut self.db[column * self.bands..(column + 1) * self.bands];
        for (d, s) in dst.iter_mut().zip(power) {
            *d += s;
        }
        self.counts[column] += 1;
    }

    /// Averages each column and converts it to dB with `to_db` (e.g. [`Stft::power_to_db`]);
    /// columns no frame fell into (zoomed in past one frame per pixel) copy their nearest
    /// filled neighbour.
    ///
    /// [`Stft::power_to_db`]: crate::dsp::Stft::power_to_db
    pub fn finish(&mut self, to_db: impl Fn(&mut [f32])) {
        for (column, count) in self.counts.iter().enumerate() {
            if *count > 0 {
                let values = &mut self.db[column * self.bands..(column + 1) * self.bands];
                let scale = 1.0 / *count as f32;
                for v in values.iter_mut() {
                    *v *= scale;
                }
                to_db(values);
            }
        }
        let filled: Vec<usize> = (0..self.columns).filter(|c| self.counts[*c] > 0).collect();
        if filled.is_empty() {
            return;
        }
        let mut next = 0;
        for column in 0..self.columns {
            if self.counts[column] > 0 {
                continue;
            }
            while next + 1 < filled.len() && filled[next + 1] <= column {
                next += 1;
            }
            let source = match filled.get(next + 1) {
                Some(&after) if after.abs_diff(column) < filled[next].abs_diff(column) => after,
                _ => filled[next],
            };
            self.db.copy_within(
                source * self.bands..(source + 1) * self.bands,
                column * self.bands,
            );
        }
    }

    fn max_db(&self) -> f32 {
        self.db
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(f32::NEG_INFINITY, f32::max)
    }
}

/// Pixel width and height of the spectrogram inside a figure of these options, so callers
/// can gather exactly one [`ColumnImage`] column per pixel.
pub fn plot_size(options: &FigureOptions) -> Result<(usize, usize), RenderError> {
    let mut scratch = vec![0_u8; (options.width_px * options.height_px * 3) as usize];
    let axis = FrequencyAxis {
        mel: None,
        first_center: 0.0,
        step: 1.0,
        rows: 2,
    };
    let (x, y) = draw_frame(&mut scratch, options, &axis, 0.0..1.0, (-1.0, 0.0))?;
    Ok(((x.end - x.start) as usize, (y.end - y.start) as usize))
}

/// Draws the figure and writes it to `path` as PNG (atomically: a temporary file is renamed).
pub fn write_spectrogram_png(
    image: &ColumnImage,
    axis: &FrequencyAxis,
    time_secs: Range<f64>,
    options: &FigureOptions,
    path: &Path,
) -> Result<(), RenderError> {
    let ceiling = options.ceiling_db.unwrap_or_else(|| image.max_db().ceil());
    let ceiling = if ceiling.is_finite() { ceiling } else { 0.0 };
    let floor = ceiling - options.range_db.max(1.0);
    let (w, h) = (options.width_px as usize, options.height_px as usize);
    let mut buffer = vec![255_u8; w * h * 3];
    let (plot_x, plot_y) = draw_frame(
        &mut buffer,
        options,
        axis,
        time_secs,
        (f64::from(floor), f64::from(ceiling)),
    )?;
    let lut = options.colormap.lut();
    let colour = |db: f32| {
        lut[(((db - floor) / (ceiling - floor)).clamp(0.0, 1.0) * 255.0).round() as usize]
    };

    // The spectrogram: one image column per pixel column; rows gathered by maximum.
    let (width, height) = (
        (plot_x.end - plot_x.start) as usize,
        (plot_y.end - plot_y.start) as usize,
    );
    let rows = image.bands as f64;
    for py in 0..height {
        let top = rows * (1.0 - py as f64 / height as f64);
        let bottom = rows * (1.0 - (py + 1) as f64 / height as f64);
        let first = (bottom.floor().max(0.0) as usize).min(image.bands - 1);
        let last = ((top.ceil() as usize).max(first + 1)).min(image.bands);
        for px in 0..width {
            let column = (px * image.columns / width).min(image.columns - 1);
            let values = &image.db[column * image.bands + first..column * image.bands + last];
            let level = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let offset = ((plot_y.start as usize + py) * w + plot_x.start as usize + px) * 3;
            buffer[offset..offset + 3].copy_from_slice(&colour(level));
        }
    }
    write_png(&buffer, options.width_px, options.height_px, path)
}

/// Axes, labels, title and colour bar. Returns the pixel ranges of the spectrogram area.
fn draw_frame(
    buffer: &mut [u8],
    options: &FigureOptions,
    axis: &FrequencyAxis,
    time_secs: Range<f64>,
    db_range: (f64, f64),
) -> Result<(Range<i32>, Range<i32>), RenderError> {
    if options.width_px < 400 || options.height_px < 250 {
        return Err(RenderError::TooSmall {
            width_px: options.width_px,
            height_px: options.height_px,
        });
    }
    register_font()?;
    let draw_error = |e: &dyn std::fmt::Display| RenderError::Draw(e.to_string());
    let root = BitMapBackend::with_buffer(buffer, (options.width_px, options.height_px))
        .into_drawing_area();
    root.fill(&WHITE).map_err(|e| draw_error(&e))?;
    let (main, side) = root.split_horizontally(options.width_px - COLORBAR_AREA_PX);
    let time_desc = time_unit_label(time_secs.end);
    let time = TimeCoord { range: time_secs };
    let frequency = FrequencyCoord { axis: *axis };
    let frequency_desc = frequency_unit_label(frequency.range().end);
    let mut chart = ChartBuilder::on(&main)
        .caption(&options.title, (FONT, 17))
        .margin(12)
        .x_label_area_size(46)
        .y_label_area_size(64)
        .build_cartesian_2d(time, frequency)
        .map_err(|e| draw_error(&e))?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(10)
        .y_labels(9)
        .x_desc(time_desc)
        .y_desc(frequency_desc)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .draw()
        .map_err(|e| draw_error(&e))?;
    let (plot_x, plot_y) = chart.plotting_area().get_pixel_range();

    let (floor, ceiling) = db_range;
    let mut bar = ChartBuilder::on(&side)
        .margin_top(u32::try_from(plot_y.start).unwrap_or(0))
        .margin_bottom(
            u32::try_from(i64::from(options.height_px) - i64::from(plot_y.end)).unwrap_or(0),
        )
        .margin_left(16)
        .margin_right(6)
        .set_label_area_size(LabelAreaPosition::Right, 50)
        .build_cartesian_2d(0.0..1.0, floor..ceiling)
        .map_err(|e| draw_error(&e))?;
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(8)
        .y_desc("Level (dB)")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()
        .map_err(|e| draw_error(&e))?;
    let (bar_x, bar_y) = bar.plotting_area().get_pixel_range();
    let lut = options.colormap.lut();
    let bar_height = (bar_y.end - bar_y.start).max(1);
    for y in bar_y.clone() {
        let t = 1.0 - f64::from(y - bar_y.start) / f64::from(bar_height - 1).max(1.0);
        let [r, g, b] = lut[(t * 255.0).round() as usize];
        root.draw(&PathElement::new(
            vec![(bar_x.start, y), (bar_x.end - 1, y)],
            RGBColor(r, g, b),
        ))
        .map_err(|e| draw_error(&e))?;
    }
    root.present().map_err(|e| draw_error(&e))?;
    Ok((plot_x, plot_y))
}

/// A grouped bar chart as PNG: one group of bars per label of `groups`, one bar per series
/// (`(name, values)`, a value per group), a legend when there is more than one series.
/// For activity plots: detections per hour of day or per date, a series per site.
pub fn write_bar_chart_png(
    title: &str,
    (x_desc, y_desc): (&str, &str),
    groups: &[String],
    series: &[(String, Vec<f64>)],
    path: &Path,
) -> Result<(), RenderError> {
    const SIZE: (u32, u32) = (1200, 500);
    register_font()?;
    let draw_error = |e: &dyn std::fmt::Display| RenderError::Draw(e.to_string());
    let mut buffer = vec![255_u8; (SIZE.0 * SIZE.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_error(&e))?;
        let top = series
            .iter()
            .flat_map(|(_, values)| values.iter().copied())
            .fold(0.0_f64, f64::max)
            .max(1.0)
            * 1.1;
        let slots = groups.len().max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 17))
            .margin(12)
            .x_label_area_size(46)
            .y_label_area_size(64)
            // Group k is centred on x = k, where the axis's whole-number labels fall.
            .build_cartesian_2d(-0.5..slots as f64 - 0.5, 0.0..top)
            .map_err(|e| draw_error(&e))?;
        let every = slots.div_ceil(24).max(1);
        let labels = groups.to_vec();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(slots.min(24) + 1)
            .x_label_formatter(&|x| {
                let k = x.round().max(0.0) as usize;
                if (x - x.round()).abs() < 1e-9 && k < labels.len() && k.is_multiple_of(every) {
                    labels[k].clone()
                } else {
                    String::new()
                }
            })
            .light_line_style(TRANSPARENT)
            .y_label_formatter(&|v| format!("{v:.0}"))
            .x_desc(x_desc)
            .y_desc(y_desc)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .draw()
            .map_err(|e| draw_error(&e))?;
        let width = 0.8 / series.len().max(1) as f64;
        for (k, (name, values)) in series.iter().enumerate() {
            let colour = Palette99::pick(k).to_rgba();
            let offset = -0.4 + width * k as f64;
            chart
                .draw_series(values.iter().enumerate().map(|(slot, value)| {
                    let x = slot as f64 + offset;
                    Rectangle::new([(x, 0.0), (x + width, *value)], colour.filled())
                }))
                .map_err(|e| draw_error(&e))?
                .label(name.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
                });
        }
        if series.len() > 1 {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .label_font((FONT, 13))
                .draw()
                .map_err(|e| draw_error(&e))?;
        }
        root.present().map_err(|e| draw_error(&e))?;
    }
    write_png(&buffer, SIZE.0, SIZE.1, path)
}

fn register_font() -> Result<(), RenderError> {
    static REGISTER: Once = Once::new();
    let mut result = Ok(());
    REGISTER.call_once(|| {
        result = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES)
            .map_err(|_| RenderError::Draw("the bundled font is unreadable".to_owned()));
    });
    result
}

fn write_png(buffer: &[u8], width: u32, height: u32, path: &Path) -> Result<(), RenderError> {
    crate::util::fsutil::write_atomically_with(path, |writer| {
        let mut encoder = png::Encoder::new(writer, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut png_writer = encoder.write_header().map_err(std::io::Error::other)?;
        png_writer
            .write_image_data(buffer)
            .map_err(std::io::Error::other)?;
        png_writer.finish().map_err(std::io::Error::other)
    })
    .map_err(|e| RenderError::Write {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

/// The time axis: seconds, labelled s, m:ss or h:mm:ss by span.
struct TimeCoord {
    range: Range<f64>,
}

impl Ranged for TimeCoord {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = (self.range.end - self.range.start).max(1e-12);
        let fraction = (value - self.range.start) / span;
        limit.0 + (fraction * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        time_ticks(self.range.start, self.range.end, hint.max_num_points())
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

impl ValueFormatter<f64> for TimeCoord {
    fn format_ext(&self, value: &f64) -> String {
        format_time_secs(*value, self.range.end)
    }
}

/// The frequency axis: hertz, mapped through the spectrogram's own (linear or mel) row spacing.
struct FrequencyCoord {
    axis: FrequencyAxis,
}

impl FrequencyCoord {
    /// Position in [0, 1] from the bottom edge.
    fn fraction(&self, hz: f64) -> f64 {
        (self.axis.row_at_hz(hz) + 0.5) / self.axis.rows as f64
    }
}

impl Ranged for FrequencyCoord {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        limit.0 + (self.fraction(*value) * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        let range = self.range();
        frequency_ticks(
            &self.axis,
            range.start,
            range.end,
            hint.max_num_points(),
            |hz| self.fraction(hz),
        )
    }

    fn range(&self) -> Range<f64> {
        let (low, high) = self.axis.range_hz();
        low.max(0.0)..high
    }
}

impl ValueFormatter<f64> for FrequencyCoord {
    fn format_ext(&self, value: &f64) -> String {
        format_frequency(*value, self.range().end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_average_power_and_gaps_copy_the_nearest_column() {
        let mut image = ColumnImage::new(5, 1);
        image.add_frame(0, &[1.0]);
        image.add_frame(4, &[5.0]);
        image.add_frame(4, &[3.0]);
        image.finish(|values| values.iter_mut().for_each(|v| *v *= 10.0));
        assert_eq!(image.db, vec![10.0, 10.0, 10.0, 40.0, 40.0]);
    }
}
