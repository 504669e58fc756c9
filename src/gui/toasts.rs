//! Messages as transient notifications: drawn over the window's bottom-right corner (an area,
//! not a panel, so a new message never moves a button under the pointer), each for a few
//! seconds from when it is first shown (errors longer), kept while the pointer is on it. Every
//! message also goes to the session's log (Help > Messages).

use eframe::egui;

/// A note for the user: an error (red) or information.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub text: String,
    pub is_error: bool,
    /// When it was first shown as a notification (`None`: not yet).
    pub shown_secs: Option<f64>,
}

/// How long an information message stays, from when it is first shown.
pub const INFO_SECS: f64 = 6.0;
/// How long an error stays: long enough to read a path in it.
pub const ERROR_SECS: f64 = 15.0;
/// At most this many at once (the oldest go first).
pub const MAX_SHOWN: usize = 4;

/// When a message shown first at `shown_secs` goes.
#[must_use]
pub fn expires_secs(message: &Message, shown_secs: f64) -> f64 {
    shown_secs
        + if message.is_error {
            ERROR_SECS
        } else {
            INFO_SECS
        }
}

/// Stamps messages shown for the first time, drops expired ones (not while `hovered`) and keeps
/// the newest [`MAX_SHOWN`]; returns the seconds until the next one expires.
pub fn prune(messages: &mut Vec<Message>, now_secs: f64, hovered: bool) -> Option<f64> {
    for message in messages.iter_mut() {
        if message.shown_secs.is_none() || hovered {
            message.shown_secs = Some(now_secs);
        }
    }
    messages.retain(|m| m.shown_secs.is_none_or(|at| expires_secs(m, at) > now_secs));
    let excess = messages.len().saturating_sub(MAX_SHOWN);
    messages.drain(..excess);
    messages
        .iter()
        .filter_map(|m| m.shown_secs.map(|at| expires_secs(m, at) - now_secs))
        .reduce(f64::min)
}

/// Draws the notifications (`hidden`: how many more the log holds); returns the index of one
/// whose × was clicked, whether the log was asked for, and whether the pointer is on them.
pub fn show(
    ctx: &egui::Context,
    messages: &[Message],
    hidden: usize,
) -> (Option<usize>, bool, bool) {
    let mut dismiss = None;
    let mut open_log = false;
    let mut hovered = false;
    if messages.is_empty() {
        return (None, false, false);
    }
    let response = egui::Area::new(egui::Id::unique("notifications"))
        .order(egui::Order::Foreground)
        .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -40.0))
        .interactable(true)
        .show(ctx, |ui| {
            ui.set_max_width(440.0);
            for (i, message) in messages.iter().enumerate() {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    ui.horizontal(|ui| {
                        if ui.small_button("×").on_hover_text("Dismiss").clicked() {
                            dismiss = Some(i);
                        }
                        let color = if message.is_error {
                            ui.visuals().error_fg_color
                        } else {
                            ui.visuals().text_color()
                        };
                        ui.add(
                            egui::Label::new(egui::RichText::new(&message.text).color(color))
                                .wrap(),
                        );
                    });
                });
            }
            if hidden > 0
                && ui
                    .small_button("All messages… (Help > Messages)")
                    .on_hover_text(format!("{hidden} earlier message(s) this session"))
                    .clicked()
            {
                open_log = true;
            }
        });
    hovered |= response.response.contains_pointer();
    (dismiss, open_log, hovered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str, is_error: bool) -> Message {
        Message {
            text: text.to_owned(),
            is_error,
            shown_secs: None,
        }
    }

    #[test]
    fn messages_go_after_their_time_from_when_first_shown_unless_pointed_at() {
        let mut messages = vec![message("saved", false), message("cannot read x.wav", true)];
        assert_eq!(prune(&mut messages, 100.0, false), Some(INFO_SECS));
        assert_eq!(messages.len(), 2);
        // Pointed at: both wait.
        prune(&mut messages, 100.0 + INFO_SECS + 1.0, true);
        assert_eq!(messages.len(), 2);
        let later = 100.0 + 2.0 * INFO_SECS + 1.5;
        prune(&mut messages, later, false);
        assert_eq!(messages.len(), 1, "the information went, the error stays");
        assert!(messages[0].is_error);
        prune(&mut messages, later + ERROR_SECS, false);
        assert!(messages.is_empty());
        assert_eq!(prune(&mut messages, later + ERROR_SECS, false), None);
    }

    #[test]
    fn only_the_newest_few_are_shown() {
        let mut messages: Vec<Message> = (0..7).map(|i| message(&i.to_string(), false)).collect();
        prune(&mut messages, 0.0, false);
        let texts: Vec<&str> = messages.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(texts, ["3", "4", "5", "6"]);
    }
}
