//! The "Find more like this" window: the search's matches, best first, each with a thumbnail
//! of its stretch of spectrogram, one click from its place, and marked positive or negative
//! from the list (the app applies each marking as one undo step). It reads the project and
//! returns actions.

mod apply;

use std::collections::BTreeSet;

use eframe::egui;

use crate::annotation::SelectionKind;
use crate::project::Project;
use crate::render::Colormap;
use crate::similar::QueryBox;
use crate::util::timefmt::format_time_secs;
use crate::workflow::similar::{Embedding, SimilarOutcome, Thumbnail};

/// Matches a search asks for.
pub const SIMILAR_TOP: usize = 20;
/// Thumbnail height on screen, and the width of each of its time cells (points).
const THUMBNAIL_HEIGHT: f32 = 40.0;
const THUMBNAIL_CELL_WIDTH: f32 = 4.0;
/// dB range of thumbnails: each is scaled from its own quietest to loudest cell.
const THUMBNAIL_MIN_RANGE_DB: f32 = 20.0;

/// What was searched for.
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarQuery {
    pub query: QueryBox,
    /// The box's label and kind (the defaults of selections made from matches).
    pub label: String,
    pub kind: SelectionKind,
}

/// The window's state.
#[derive(Default)]
pub struct SimilarWindow {
    pub open: bool,
    /// A search is running.
    pub searching: bool,
    pub query: Option<SimilarQuery>,
    pub outcome: Option<SimilarOutcome>,
    /// Matches ticked for marking.
    pub checked: BTreeSet<usize>,
    /// Matches already made selections (by this window).
    pub marked: BTreeSet<usize>,
    pub error: Option<String>,
    /// What recordings are compared by (the spectrogram, or one of the project's models).
    pub embedding: Embedding,
    /// A pretrained embedder chosen in the Train window, offered as a comparison.
    pub embedder: Option<std::path::PathBuf>,
    textures: Vec<Option<egui::TextureHandle>>,
}

impl std::fmt::Debug for SimilarWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimilarWindow")
            .field("open", &self.open)
            .field("searching", &self.searching)
            .field("query", &self.query)
            .finish_non_exhaustive()
    }
}

/// What the user asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum SimilarAction {
    /// Show match `n` on the spectrogram.
    Show(usize),
    /// Make these matches selections of this kind (one undo step).
    Mark(Vec<usize>, SelectionKind),
    /// Search for the same box again (the comparison changed).
    SearchAgain,
}

impl SimilarWindow {
    /// A search for `query` started.
    pub fn searching_for(&mut self, query: SimilarQuery) {
        self.open = true;
        self.searching = true;
        self.query = Some(query);
        self.outcome = None;
        self.error = None;
        self.checked.clear();
        self.marked.clear();
        self.textures.clear();
    }

    /// The search ended.
    pub fn finished(&mut self, result: Result<SimilarOutcome, crate::similar::SimilarError>) {
        self.searching = false;
        match result {
            Ok(outcome) => {
                self.textures = vec![None; outcome.matches.len()];
                self.outcome = Some(outcome);
            }
            Err(error) => self.error = Some(error.to_string()),
        }
    }

    /// Draws the window.
    pub fn window_ui(&mut self, ctx: &egui::Context, project: &Project) -> Vec<SimilarAction> {
        let mut actions = Vec::new();
        if !self.open {
            return actions;
        }
        let mut open = true;
        egui::Window::new("Find more like this")
            .open(&mut open)
            .default_width(460.0)
            .default_height(480.0)
            .show(ctx, |ui| self.contents_ui(ui, project, &mut actions));
        self.open = open;
        actions
    }

    fn contents_ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Project,
        actions: &mut Vec<SimilarAction>,
    ) {
        if let Some(query) = &self.query {
            let name = project
                .recording(query.query.recording)
                .map(crate::project::ProjectRecording::name)
                .unwrap_or_default();
            ui.label(format!(
                "Like the {} box \"{}\" in {name} at {}",
                query.kind.name(),
                query.label,
                format_time_secs(query.query.start_secs, query.query.end_secs)
            ));
        }
        self.embedding_ui(ui, project, actions);
        if self.searching {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Searching the project's recordings… (Jobs has Cancel)");
            });
            return;
        }
        if let Some(error) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
            return;
        }
        let Some(outcome) = &self.outcome else {
            return;
        };
        ui.weak(format!(
            "{} match(es) in {} recording(s); {} index(es) computed, the others read from disk",
            outcome.matches.len(),
            outcome.searched,
            outcome.computed
        ));
        for problem in &outcome.problems {
            ui.colored_label(ui.visuals().warn_fg_color, problem);
        }
        let label = self
            .query
            .as_ref()
            .map(|q| q.label.clone())
            .unwrap_or_default();
        ui.horizontal(|ui| {
            let checked: Vec<usize> = self
                .checked
                .iter()
                .copied()
                .filter(|n| !self.marked.contains(n))
                .collect();
            for kind in [SelectionKind::Positive, SelectionKind::Negative] {
                if ui
                    .add_enabled(
                        !checked.is_empty(),
                        egui::Button::new(format!(
                            "Mark ticked {} ({})",
                            kind.name(),
                            checked.len()
                        )),
                    )
                    .on_hover_text(format!(
                        "Add them as {} boxes labelled \"{label}\" (one undo step)",
                        kind.name()
                    ))
                    .clicked()
                {
                    actions.push(SimilarAction::Mark(checked.clone(), kind));
                }
            }
        });
        ui.separator();
        let colormap = Colormap::default().lut();
        egui::ScrollArea::vertical().show(ui, |ui| {
            for (n, m) in outcome.matches.iter().enumerate() {
                let name = project
                    .recording(m.recording)
                    .map(crate::project::ProjectRecording::name)
                    .unwrap_or_default();
                ui.horizontal(|ui| {
                    let mut ticked = self.checked.contains(&n);
                    if ui
                        .add_enabled(
                            !self.marked.contains(&n),
                            egui::Checkbox::without_text(&mut ticked),
                        )
                        .on_hover_text("Tick to mark it with the buttons above")
                        .changed()
                    {
                        if ticked {
                            self.checked.insert(n);
                        } else {
                            self.checked.remove(&n);
                        }
                    }
                    if let Some(Some(thumbnail)) = outcome
                        .thumbnails
                        .get(n)
                        .map(|t| texture(ui, &mut self.textures, n, t, &colormap))
                    {
                        // Time cells are short: drawn wider than tall, so a call's shape shows.
                        let size = thumbnail.size_vec2();
                        let width = (size.x * THUMBNAIL_CELL_WIDTH)
                            .clamp(THUMBNAIL_HEIGHT, 4.0 * THUMBNAIL_HEIGHT);
                        ui.image((thumbnail.id(), egui::vec2(width, THUMBNAIL_HEIGHT)));
                    }
                    let text = format!(
                        "{}. {:.2} · {name} · {}",
                        n + 1,
                        m.similarity,
                        format_time_secs(m.start_secs, m.end_secs)
                    );
                    if ui.link(text).on_hover_text("Show it").clicked() {
                        actions.push(SimilarAction::Show(n));
                    }
                    if self.marked.contains(&n) {
                        ui.weak("added");
                    } else {
                        if ui
                            .small_button("+ positive")
                            .on_hover_text("Add it as a positive box")
                            .clicked()
                        {
                            actions.push(SimilarAction::Mark(vec![n], SelectionKind::Positive));
                        }
                        if ui
                            .small_button("+ negative")
                            .on_hover_text("Add it as a negative box")
                            .clicked()
                        {
                            actions.push(SimilarAction::Mark(vec![n], SelectionKind::Negative));
                        }
                    }
                });
            }
        });
    }
}

impl SimilarWindow {
    /// "Compare by": the spectrogram or one of the project's models; a change searches again.
    fn embedding_ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Project,
        actions: &mut Vec<SimilarAction>,
    ) {
        let name = |embedding: &Embedding| match embedding {
            Embedding::Spectrogram => "the spectrogram (the box's time and band)".to_owned(),
            Embedding::Model(dir) => format!(
                "model {} (what it sees alike)",
                project.iteration_of(dir).max(1)
            ),
            Embedding::Embedder(spec) => format!(
                "pretrained embedder {}",
                spec.file_stem()
                    .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
            ),
        };
        let before = self.embedding.clone();
        ui.horizontal(|ui| {
            let label = ui.label("Compare by");
            egui::ComboBox::from_id_salt("similar embedding")
                .selected_text(name(&self.embedding))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.embedding, Embedding::Spectrogram, name(&Embedding::Spectrogram));
                    for dir in &project.models {
                        let choice = Embedding::Model(dir.clone());
                        let text = name(&choice);
                        ui.selectable_value(&mut self.embedding, choice, text);
                    }
                    if let Some(spec) = &self.embedder {
                        let choice = Embedding::Embedder(spec.clone());
                        let text = name(&choice);
                        ui.selectable_value(&mut self.embedding, choice, text);
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text("The spectrogram needs no model; a model compares what it has learnt to tell apart");
        });
        if self.embedding != before {
            actions.push(SimilarAction::SearchAgain);
        }
    }
}

/// The texture of match `n`'s thumbnail (made once).
fn texture(
    ui: &egui::Ui,
    textures: &mut [Option<egui::TextureHandle>],
    n: usize,
    thumbnail: &Thumbnail,
    lut: &[[u8; 3]; 256],
) -> Option<egui::TextureHandle> {
    if thumbnail.rows == 0 || thumbnail.dims == 0 {
        return None;
    }
    if let Some(Some(texture)) = textures.get(n) {
        return Some(texture.clone());
    }
    let high = thumbnail.db.iter().copied().fold(f32::MIN, f32::max);
    let low = thumbnail
        .db
        .iter()
        .copied()
        .fold(f32::MAX, f32::min)
        .min(high - THUMBNAIL_MIN_RANGE_DB);
    let mut pixels = Vec::with_capacity(thumbnail.rows * thumbnail.dims);
    // Time runs across, frequency up: the top row is the highest cell.
    for dim in (0..thumbnail.dims).rev() {
        for row in 0..thumbnail.rows {
            let value = thumbnail.db[row * thumbnail.dims + dim];
            let t = ((value - low) / (high - low)).clamp(0.0, 1.0);
            let [r, g, b] = lut[(t * 255.0) as usize];
            pixels.push(egui::Color32::from_rgb(r, g, b));
        }
    }
    let image = egui::ColorImage::new([thumbnail.rows, thumbnail.dims], pixels);
    let texture = ui.ctx().load_texture(
        format!("similar match {n}"),
        image,
        egui::TextureOptions::NEAREST,
    );
    if let Some(slot) = textures.get_mut(n) {
        *slot = Some(texture.clone());
    }
    Some(texture)
}
