//! The recordings list on the left: the project's recordings (open, missing, changed), the
//! shown recording's training flags (each an undo step) and Remove from project.

use super::*;

impl SyrinxApp {
    /// The project's recordings (open or not, missing ones marked), and the flags of the one
    /// on screen.
    pub(super) fn recordings_panel_ui(&mut self, ui: &mut egui::Ui) {
        let max_width = (ui.available_width() * 0.25).max(RECORDINGS_PANEL_MIN_WIDTH);
        egui::Panel::left("recordings")
            .resizable(true)
            .default_size(RECORDINGS_PANEL_WIDTH)
            .min_size(RECORDINGS_PANEL_MIN_WIDTH)
            .max_size(max_width)
            .show(ui, |ui| {
                ui.heading("Recordings");
                ui.weak(self.document.title());
                let counts = self.selection_counts();
                let active_project = self.active_recording().map(|r| r.project_id);
                let mut open = None;
                let mut relink = None;
                let mut close = None;
                let mut remove = None;
                egui::ScrollArea::vertical()
                    .id_salt("recordings list")
                    .max_height(ui.available_height() - 150.0)
                    .show(ui, |ui| {
                        for recording in &self.document.project.recordings {
                            let missing = self.document.missing.contains(&recording.id);
                            let changed = self.document.changed_files.contains(&recording.id);
                            let is_open = self.open_recording_of(recording.id);
                            let n = counts.get(&recording.id).copied().unwrap_or(0);
                            let mut text = format!(
                                "{}\n{} · {:.1} kHz · {n} sel.",
                                recording.name(),
                                format_time_secs(recording.duration_secs, recording.duration_secs),
                                f64::from(recording.sample_rate_hz) / 1000.0,
                            );
                            if recording.fully_annotated {
                                text.push_str(" · full");
                            }
                            ui.horizontal(|ui| {
                                if let Some(r) = is_open
                                    && ui.small_button("×").on_hover_text(CLOSE_HELP).clicked()
                                {
                                    close = Some(r.id);
                                }
                                let selected = active_project == Some(recording.id);
                                let mut label = egui::RichText::new(text);
                                if missing {
                                    label = label.color(ui.visuals().error_fg_color);
                                } else if is_open.is_none() {
                                    label = label.weak();
                                }
                                let response = ui
                                    .selectable_label(selected, label)
                                    .on_hover_text(recording.path.display().to_string());
                                if response.clicked() {
                                    open = Some(recording.id);
                                }
                                response.context_menu(|ui| {
                                    if ui
                                        .button("Remove from project")
                                        .on_hover_text(REMOVE_HELP)
                                        .clicked()
                                    {
                                        remove = Some(recording.id);
                                        ui.close();
                                    }
                                });
                            });
                            if missing {
                                ui.horizontal(|ui| {
                                    ui.colored_label(ui.visuals().error_fg_color, "file not found");
                                    if ui
                                        .small_button("Relink…")
                                        .on_hover_text(
                                            "Point it at the file's new place (checked to be the same recording)",
                                        )
                                        .clicked()
                                    {
                                        relink = Some(recording.id);
                                    }
                                });
                            } else if changed {
                                ui.colored_label(ui.visuals().warn_fg_color, "file changed")
                                    .on_hover_text(CHANGED_HELP);
                            }
                        }
                        for path in &self.opening {
                            ui.horizontal(|ui| {
                                ui.spinner();
                                ui.label(
                                    path.file_name()
                                        .map(|n| n.to_string_lossy().into_owned())
                                        .unwrap_or_default(),
                                );
                            });
                        }
                        if self.loading_project {
                            ui.horizontal(|ui| {
                                ui.spinner();
                                ui.label("opening project…");
                            });
                        }
                    });
                if let Some(id) = close {
                    self.close_recording(id);
                }
                if let Some(id) = open {
                    self.show_project_recording(id);
                }
                if let Some(id) = relink {
                    self.ask_relink(id);
                }
                if let Some(id) = remove {
                    self.remove_from_project(id);
                }
                ui.separator();
                self.recording_flags_ui(ui);
            });
    }

    /// Fully annotated, split and group of the recording on screen.
    pub(super) fn recording_flags_ui(&mut self, ui: &mut egui::Ui) {
        let Some(id) = self.active_recording().map(|r| r.project_id) else {
            ui.weak("Open a recording to set its training flags.");
            return;
        };
        let Some(before) = self
            .document
            .project
            .recording(id)
            .map(crate::project::ProjectRecording::flags)
        else {
            return;
        };
        let mut flags = before.clone();
        ui.checkbox(&mut flags.fully_annotated, "Fully annotated")
            .on_hover_text(FULLY_ANNOTATED_HELP);
        ui.horizontal(|ui| {
            ui.label("Split");
            egui::ComboBox::from_id_salt("recording split")
                .selected_text(flags.split.name())
                .show_ui(ui, |ui| {
                    for split in crate::project::Split::ALL {
                        ui.selectable_value(&mut flags.split, split, split.name());
                    }
                })
                .response
                .accessible_name("Split")
                .on_hover_text(SPLIT_HELP);
        });
        ui.horizontal(|ui| {
            let label = ui.label("Site/group");
            let mut group = flags.group.clone().unwrap_or_default();
            if ui
                .add(
                    egui::TextEdit::singleline(&mut group)
                        .hint_text("e.g. SITE1")
                        .desired_width(110.0),
                )
                .labelled_by(label.id)
                .on_hover_text("Recordings of one group always land in the same split")
                .changed()
            {
                flags.group = (!group.trim().is_empty()).then_some(group);
            }
        });
        // One undo step per flag (typing a group name is one step).
        if let Some(change) = self.document.project.flags_change(id, flags.clone()) {
            let name = if flags.fully_annotated != before.fully_annotated {
                "mark fully annotated"
            } else if flags.split != before.split {
                "change the split"
            } else {
                "change the group"
            };
            self.document.change_project(name, change);
        }
        if ui
            .button("Remove from project")
            .on_hover_text(REMOVE_HELP)
            .clicked()
        {
            self.remove_from_project(id);
        }
    }

    /// Takes a recording and its selections out of the project (one undo step); the file
    /// stays where it is.
    pub fn remove_from_project(&mut self, id: ProjectRecordingId) {
        let Some((edit, change)) = self.document.project.removal_of(id) else {
            return;
        };
        if let Some(open) = self.open_recording_of(id).map(|r| r.id) {
            self.close_recording(open);
        }
        let name = self
            .document
            .project
            .recording(id)
            .map(crate::project::ProjectRecording::name)
            .unwrap_or_default();
        let selections = match &edit {
            crate::annotation::Edit::Delete(s) => s.len(),
            _ => 0,
        };
        self.document
            .edit_project(&format!("remove {name}"), vec![edit], change);
        self.annotator.prune(&self.document);
        self.info(format!(
            "Removed {name} and its {selections} selection(s) from the project; the file is untouched (Ctrl+Z undoes)."
        ));
    }
}
