//! The review keys, while the panel is open and a run has detections.

use eframe::egui;

use super::{ReviewAction, ReviewState};
use crate::gui::workbench::Workbench;
use crate::project::runs::Verdict;

impl ReviewState {
    /// Review keys, while the panel is open and a run has detections: ↑/T true, ↓/F false,
    /// U unsure, ←/→ previous/next, Z undo, Space play, N add false positives to negatives.
    /// Returns whether review handled the keyboard this frame (other keys still work).
    pub fn keys(&mut self, bench: &mut Workbench, ctx: &egui::Context) {
        if !self.open || self.run(&bench.session.document.project).is_none() {
            return;
        }
        // Shift and Alt keep their workbench meanings (Shift+Space plays the view, Shift+arrows
        // nudge ×10); egui's key matching would otherwise let them through.
        if ctx.input(|i| i.modifiers.shift || i.modifiers.alt) {
            return;
        }
        use egui::{Key, Modifiers};
        let take = |key: Key| ctx.input_mut(|i| i.consume_key(Modifiers::NONE, key));
        let bindings: [(&[Key], ReviewAction); 8] = [
            (
                &[Key::ArrowUp, Key::T],
                ReviewAction::Verdict(Some(Verdict::TruePositive)),
            ),
            (
                &[Key::ArrowDown, Key::F],
                ReviewAction::Verdict(Some(Verdict::FalsePositive)),
            ),
            (&[Key::U], ReviewAction::Verdict(Some(Verdict::Unsure))),
            (&[Key::ArrowLeft], ReviewAction::Previous),
            (&[Key::ArrowRight], ReviewAction::Next),
            (&[Key::Z], ReviewAction::UndoVerdict),
            (&[Key::Space], ReviewAction::Play),
            (&[Key::N], ReviewAction::AddFalsePositives),
        ];
        let mut actions = Vec::new();
        // C opens the other classes; while they are open, a digit picks one and Esc closes.
        if take(Key::C) {
            actions.push(ReviewAction::PickClass);
        }
        if self.picking_class {
            let others = self
                .run(&bench.session.document.project)
                .map(|run| crate::review::other_classes(&bench.session.document.project, run))
                .unwrap_or_default();
            let digits = [
                Key::Num1,
                Key::Num2,
                Key::Num3,
                Key::Num4,
                Key::Num5,
                Key::Num6,
                Key::Num7,
                Key::Num8,
                Key::Num9,
            ];
            for (digit, label) in digits.into_iter().zip(&others) {
                if take(digit) {
                    actions.push(ReviewAction::Reclassify(label.clone()));
                }
            }
            if take(Key::Escape) {
                self.picking_class = false;
            }
        }
        for (keys, action) in bindings {
            // Every key of a binding is consumed, so none falls through to panning or playback.
            if keys.iter().fold(false, |any, key| take(*key) | any) {
                actions.push(action);
            }
        }
        for action in actions {
            self.apply(bench, action);
        }
    }
}
