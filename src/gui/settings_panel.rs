//! The teaching panel: every spectrogram parameter, live, with the resulting time and frequency
//! resolution and a plot of the window function.

use eframe::egui;
use egui_plot::{Line, Plot, PlotPoints};

use super::prefs::{DisplaySettings, PaneSettings};
use crate::dsp::{FrequencyScale, MelFormula, MelNorm, WindowFunction, window_coefficients};
use crate::render::Colormap;

/// Window sizes offered in the list (any other size can be typed).
const WINDOW_SIZES: [u32; 8] = [128, 256, 512, 1024, 2048, 4096, 8192, 16_384];

/// Draws the settings of one pane, with a reset to `defaults`; returns true when anything
/// changed.
pub fn pane_settings_ui(
    ui: &mut egui::Ui,
    settings: &mut PaneSettings,
    defaults: &PaneSettings,
    sample_rate_hz: Option<u32>,
    id_salt: &str,
) -> bool {
    let before = *settings;
    // The overlap is what the user chose, not what the hop happens to give: a new window size
    // keeps it.
    let mut overlap_percent = settings
        .overlap_percent
        .unwrap_or_else(|| settings.params.overlap_percent());
    let params = &mut settings.params;
    // Sliders give way in a narrow panel (a 1280-wide screen, large text), so that every
    // control and its value stay in view rather than scrolled off to the side.
    let slider_width = (ui.available_width() - 230.0).clamp(50.0, 150.0);
    ui.spacing_mut().slider_width = slider_width;
    ui.push_id(id_salt, |ui| {
        egui::Grid::new("spectrogram settings").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
            ui.label("Window size");
            ui.horizontal(|ui| {
                egui::ComboBox::from_id_salt("window size")
                    .width(slider_width.max(70.0))
                    .selected_text(format!("{} samples", params.window_len))
                    .show_ui(ui, |ui| {
                        for size in WINDOW_SIZES {
                            ui.selectable_value(&mut params.window_len, size, format!("{size} samples"));
                        }
                    })
                    .response
                    .on_hover_text("Samples per FFT window: longer windows resolve frequency better and time worse");
                let label = ui.label("or");
                ui.add(egui::DragValue::new(&mut params.window_len).range(16..=65_536).suffix(" smp"))
                    .labelled_by(label.id)
                    .on_hover_text("Any window length, not only powers of two");
            });
            ui.end_row();

            if params.window_len != before.params.window_len {
                // The hop follows the window, so the overlap stays as chosen.
                *params = params.with_overlap_percent(overlap_percent);
            }

            ui.label("Overlap");
            let mut overlap = overlap_percent.round();
            if ui
                .add(egui::Slider::new(&mut overlap, 0.0..=95.0).suffix(" %"))
                .on_hover_text("How much consecutive windows overlap; more overlap = smoother in time, more work")
                .changed()
            {
                overlap_percent = overlap;
                *params = params.with_overlap_percent(overlap);
            }
            ui.end_row();

            ui.label("Window function");
            egui::ComboBox::from_id_salt("window function")
                .selected_text(params.window.label())
                .show_ui(ui, |ui| {
                    for window in WindowFunction::all() {
                        ui.selectable_value(&mut params.window, window, window.label());
                    }
                })
                .response
                .on_hover_text("The taper applied to each window: trades leakage against resolution");
            ui.end_row();

            ui.label("Frequency scale");
            ui.horizontal(|ui| {
                let mel = matches!(params.scale, FrequencyScale::Mel { .. });
                if ui.selectable_label(!mel, "Linear").on_hover_text("One row per FFT bin").clicked() {
                    params.scale = FrequencyScale::Linear;
                }
                if ui.selectable_label(mel, "Mel").on_hover_text("Bands spaced like pitch perception").clicked() && !mel {
                    params.scale = FrequencyScale::Mel {
                        bands: 128,
                        norm: MelNorm::Slaney,
                        formula: MelFormula::Slaney,
                    };
                }
            });
            ui.end_row();

            if let FrequencyScale::Mel { bands, norm, .. } = &mut params.scale {
                ui.label("Mel bands");
                ui.add(egui::Slider::new(bands, 16..=256).text("bands"))
                    .on_hover_text("How many mel bands (rows): more bands, finer frequency detail");
                ui.end_row();
                ui.label("Mel normalisation");
                ui.horizontal(|ui| {
                    ui.selectable_value(norm, MelNorm::Slaney, "Slaney (area)")
                        .on_hover_text("Each band is the average of its bins");
                    ui.selectable_value(norm, MelNorm::Peak, "Peak")
                        .on_hover_text("Each triangle peaks at 1: wide bands collect more energy");
                });
                ui.end_row();
            }

            let nyquist = sample_rate_hz.map_or(96_000, |r| r / 2);
            ui.label("Min frequency");
            ui.add(egui::Slider::new(&mut params.min_hz, 0..=nyquist.saturating_sub(100)).suffix(" Hz"))
                .on_hover_text("Lowest frequency computed and shown (the bottom of the picture)");
            ui.end_row();
            ui.label("Max frequency");
            ui.horizontal(|ui| {
                let mut limited = params.max_hz.is_some();
                if ui.checkbox(&mut limited, "limit").on_hover_text("Off: up to half the sample rate").changed() {
                    params.max_hz = limited.then_some(nyquist);
                }
                if let Some(max_hz) = &mut params.max_hz {
                    ui.add(egui::Slider::new(max_hz, 100..=nyquist.max(200)).suffix(" Hz"))
                        .on_hover_text("Highest frequency computed and shown (the top of the picture)");
                }
            });
            ui.end_row();

            ui.label("Silence level");
            ui.add(egui::Slider::new(&mut params.floor_db, -200..=-40).suffix(" dB"))
                .on_hover_text(
                    "Computed levels below this are raised to it, so digital silence stays finite. \
                     Keep it below the darkest level shown (Display), or quiet parts are drawn flat.",
                );
            ui.end_row();
        });

        ui.add_space(4.0);
        ui.label(egui::RichText::new("Display (no recomputation)").strong());
        let display = &mut settings.display;
        egui::Grid::new("display settings").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
            ui.label("Colour map");
            egui::ComboBox::from_id_salt("colour map")
                .selected_text(display.colormap.name())
                .show_ui(ui, |ui| {
                    for map in Colormap::all() {
                        ui.selectable_value(&mut display.colormap, map, map.name());
                    }
                })
                .response
                .on_hover_text("Colours from quiet to loud");
            ui.end_row();
            ui.label("Brightness");
            ui.add(egui::Slider::new(&mut display.gain_db, -40.0..=40.0).suffix(" dB"))
                .on_hover_text("Shifts every level up or down before colouring: brighter or darker");
            ui.end_row();
            ui.label("Contrast");
            ui.add(egui::Slider::new(&mut display.range_db, 20.0..=160.0).suffix(" dB"))
                .on_hover_text("Levels shown between black and full colour: smaller = more contrast");
            ui.end_row();
            ui.label("Darkest level");
            ui.add(egui::Slider::new(&mut display.floor_db, -160.0..=-20.0).suffix(" dB"))
                .on_hover_text("The level drawn as the darkest colour; anything quieter is drawn the same");
            ui.end_row();
        });
    });
    if let Some(silence_db) = flat_below_db(&settings.params, &settings.display) {
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!(
                    "The silence level ({silence_db:.0} dB) is above the darkest level shown: \
                     everything quieter is drawn in one flat colour."
                ),
            );
            if ui
                .small_button("Show from the silence level")
                .on_hover_text("Set the darkest level to the silence level")
                .clicked()
            {
                settings.display.floor_db = silence_db + settings.display.gain_db;
            }
        });
    }
    settings.overlap_percent = Some(overlap_percent);
    resolution_ui(ui, settings, sample_rate_hz, id_salt);
    if ui
        .add_enabled(
            settings.params != defaults.params || settings.display != defaults.display,
            egui::Button::new("Reset to defaults"),
        )
        .on_hover_text("Every setting of this pane back to how Syrinx starts")
        .clicked()
    {
        *settings = *defaults;
    }
    settings.params != before.params || settings.display != before.display
}

/// The silence level (computed levels are clamped to it) when it lies above the darkest level the
/// colours show, after brightness: the view below it is one flat colour. `None` when it does not.
#[must_use]
pub fn flat_below_db(
    params: &crate::dsp::SpectrogramParams,
    display: &DisplaySettings,
) -> Option<f32> {
    let silence_db = f32::from(params.floor_db);
    (silence_db + display.gain_db > display.floor_db + 0.5).then_some(silence_db)
}

/// On a mel axis, how far apart the bands are at its two ends, and where they are finer than
/// the FFT (so add no detail): what Δf means there. `None` on a linear axis.
#[must_use]
pub fn mel_spacing_text(params: &crate::dsp::SpectrogramParams, rate: u32) -> Option<String> {
    let axis = params.axis(rate);
    if axis.mel.is_none() || axis.rows < 2 {
        return None;
    }
    let spacing = |row: f64| axis.hz_at_row(row + 1.0) - axis.hz_at_row(row);
    let (low, high) = (spacing(0.0), spacing(axis.rows as f64 - 2.0));
    let fft_hz = params.bin_hz(rate);
    let mut text = format!(
        "{} mel bands: {low:.0} Hz apart at {:.0} Hz, {high:.0} Hz apart at {:.0} Hz",
        axis.rows,
        axis.hz_at_row(0.0),
        axis.hz_at_row(axis.rows as f64 - 1.0)
    );
    if low < fft_hz {
        // The band where mel spacing reaches the FFT's: below it, bands repeat bins.
        let finer_until = (0..axis.rows - 1)
            .map(|r| r as f64)
            .find(|r| spacing(*r) >= fft_hz)
            .map_or(axis.hz_at_row(axis.rows as f64 - 1.0), |r| {
                axis.hz_at_row(r)
            });
        text.push_str(&format!(
            "; below {finer_until:.0} Hz they are finer than the FFT's {fft_hz:.1} Hz and add no detail"
        ));
    }
    Some(text)
}

/// Δt, Δf (and what it means on a mel axis) and a plot of the window function.
fn resolution_ui(
    ui: &mut egui::Ui,
    settings: &PaneSettings,
    sample_rate_hz: Option<u32>,
    id_salt: &str,
) {
    let params = &settings.params;
    if let Some(rate) = sample_rate_hz {
        let dt_ms = params.hop_secs(rate) * 1e3;
        let window_ms = f64::from(params.window_len) / f64::from(rate) * 1e3;
        let df = params.bin_hz(rate);
        ui.label(format!(
            "Δt = {dt_ms:.2} ms between frames (window {window_ms:.1} ms)"
        ))
        .on_hover_text("Time resolution: how far apart in time the columns are");
        ui.label(format!("Δf = {df:.1} Hz between FFT bins"))
            .on_hover_text("Frequency resolution of the FFT: sample rate ÷ window size");
        if let Some(mel) = mel_spacing_text(params, rate) {
            ui.label(mel).on_hover_text(
                "Mel bands are narrow at low frequencies and wide at high ones; where they are \
                 narrower than the FFT's bins they add no detail",
            );
        }
    }
    let coefficients = window_coefficients(params.window, 256);
    let points: PlotPoints = coefficients
        .iter()
        .enumerate()
        .map(|(i, w)| [i as f64 / 255.0, f64::from(*w)])
        .collect();
    Plot::new(("window plot", id_salt))
        .height(80.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .show_axes([false, true])
        .include_y(0.0)
        .include_y(1.05)
        .show(ui, |plot| {
            plot.line(Line::new(params.window.label(), points));
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_a_mel_axis_the_spacing_of_bands_is_said_at_both_ends() {
        let linear = crate::dsp::SpectrogramParams::default();
        assert_eq!(mel_spacing_text(&linear, 22_050), None);
        let mel = linear.mel(128);
        let text = mel_spacing_text(&mel, 22_050).unwrap();
        assert!(text.starts_with("128 mel bands: "), "{text}");
        // 22,050 Hz / 512 = 43.1 Hz bins: the low mel bands are finer than that.
        assert!(text.contains("finer than the FFT's 43.1 Hz"), "{text}");
        let coarse = crate::dsp::SpectrogramParams {
            window_len: 4096,
            ..linear
        }
        .mel(32);
        let text = mel_spacing_text(&coarse, 22_050).unwrap();
        assert!(!text.contains("finer than"), "{text}");
    }

    #[test]
    fn a_silence_level_above_the_darkest_colour_is_flagged() {
        let mut settings = PaneSettings::default();
        assert_eq!(
            flat_below_db(&settings.params, &settings.display),
            None,
            "the defaults draw quiet parts"
        );
        settings.params.floor_db = -60;
        settings.display.floor_db = -100.0;
        assert_eq!(
            flat_below_db(&settings.params, &settings.display),
            Some(-60.0)
        );
        // What the warning's button does: black starts at the silence level.
        settings.display.floor_db = -60.0 + settings.display.gain_db;
        assert_eq!(flat_below_db(&settings.params, &settings.display), None);
    }
}
