//! Help ▸ Getting started: the README's first session, step by step, inside the app (a test
//! keeps the two in step: every title here is a step of the README's first session).

use eframe::egui;

use crate::gui::commands::Command;

/// The first session on the demo: (title, what to do, the command that does it).
pub const STEPS: [(&str, &str, Option<Command>); 7] = [
    (
        "Look.",
        "The list on the left holds eight training recordings (sites 1-4, annotated), four survey \
         recordings (sites 7-8, not annotated) and three test recordings (sites 5-6). Click \
         SITE1_20240512_053000: the warbler's trills are the falling ladders between 3.5 and \
         6 kHz. In the Spectrogram tab on the right, drag Window size from 512 to 4096 and back \
         and watch time blur into frequency detail; switch Frequency scale to Mel. Space plays.",
        Some(Command::OpenDemo),
    ),
    (
        "Annotate.",
        "Open a survey recording. Press 1: new boxes are positives labelled syrinx warbler \
         (the project's positive label, shown in the bar above the spectrogram). Drag a box \
         around a warbler's trill: a ladder of 5-9 short notes, each sweeping down from about \
         6 to 3.5 kHz. Not the falling chirps (2-4 slow, smooth sweeps): they are the survey \
         sites' look-alike. Press 2: new boxes are negatives labelled cricket trill (the \
         project's most used negative label); box a cricket trill, the pulsed buzz near 4.8 kHz. Each box \
         is a row in the table below, where its times, frequencies and label can be typed. To \
         change boxes already drawn, select them and press Ctrl+L: they get the kind and label \
         shown in the bar. Ctrl+Z undoes anything.",
        None,
    ),
    (
        "Train.",
        "Ctrl+T opens the Train window. Model input shows what it proposes from the data and \
         why. Start training: under a minute on a laptop, with live loss and accuracy curves. \
         The result counts the calls found on the validation recordings, as syrinx evaluate \
         would, above the window figures.",
        Some(Command::Train),
    ),
    (
        "Detect.",
        "Ctrl+D, Run over: recordings to survey (the default: not annotated, not test), Start \
         detection. Each detection is a box around its call with its score above it, and the \
         Review tab opens on the first one, framed in amber from outside.",
        Some(Command::Detect),
    ),
    (
        "Review.",
        "Up (or T): a warbler, a true positive. Down (or F): not one, a false positive. Space \
         replays it, Z undoes, Left and Right move without deciding. Drag a box over a trill \
         the model missed: it becomes a positive.",
        Some(Command::ToggleReview),
    ),
    (
        "Feed the mistakes back.",
        "Add false positives to negatives (or N): each becomes a negative labelled \"not syrinx \
         warbler\" over the model's band, remembering the model, score and iteration. The survey \
         recordings are in the training split, so Retrain teaches iteration 2 what iteration 1 \
         got wrong.",
        None,
    ),
    (
        "Compare.",
        "Ctrl+D over the recordings in the test split with each model and review them (their \
         verdicts are kept for evaluation only: test recordings are never trained on), or from \
         the command line run syrinx detect and syrinx evaluate against the demo's truth \
         tables. The Iterations table in the Review tab sets the models side by side.",
        Some(Command::Detect),
    ),
];

/// The Getting started window; the command of the step whose button was clicked.
pub fn window(ctx: &egui::Context, open: &mut bool) -> Option<Command> {
    let mut asked = None;
    egui::Window::new("Getting started")
        .open(open)
        .default_width(520.0)
        .vscroll(true)
        .show(ctx, |ui| {
            ui.label(
                "A first session on the demo (File > Open the demo), about ten minutes. The same \
                 steps are in the README, with the command-line version.",
            );
            ui.separator();
            for (n, (title, text, command)) in STEPS.iter().enumerate() {
                ui.label(egui::RichText::new(format!("{}. {title}", n + 1)).strong());
                ui.label(*text);
                if let Some(command) = command {
                    let key = command
                        .shortcuts()
                        .first()
                        .map(|k| format!(" ({})", crate::gui::commands::shortcut_text(k)))
                        .unwrap_or_default();
                    if ui
                        .button(format!("{}{key}", command.name()))
                        .on_hover_text(command.help())
                        .clicked()
                    {
                        asked = Some(*command);
                    }
                }
                ui.add_space(6.0);
            }
        });
    asked
}
